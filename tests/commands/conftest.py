"""Fixtures of the tests moved here from other folders (issue #17 item 10: tests mirror the
tree); defined once, where they were first written."""

from __future__ import annotations

from tests.access.conftest import (  # noqa: F401 - fixtures shared with the access tests
    _cheap_hashing,
    _migrated_template,
    db,
)
from tests.alerts.conftest import alert_rules, http_receiver, smtp_server  # noqa: F401
from tests.dashboard.conftest import (  # noqa: F401 - fixtures shared with the page tests
    _fresh_engines_and_caches,
    app,
    empty_db,
    home,
    query_db,
    rules_copy,
    small_db,
)
from tests.rules.conftest import judge, rule, synthetic_dir  # noqa: F401
from tests.vision.conftest import noise_images, shelf_scene, tiny_clip, tiny_weights  # noqa: F401
