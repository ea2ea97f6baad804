"""The hostile-input suite reuses the access fixtures (cheap hashing, databases, AppTest)."""

from tests.access.conftest import (  # noqa: F401 - fixtures reused, not duplicated
    _cheap_hashing,
    _fresh_engines_and_caches,
    _migrated_template,
    app,
    db,
    empty_db,
    home,
    small_db,
)
