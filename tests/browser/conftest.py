"""Fixtures of the tests moved here from other folders (issue #17 item 10: tests mirror the
tree); defined once, where they were first written."""

from __future__ import annotations

from tests.dashboard.conftest import (  # noqa: F401 - fixtures shared with the page tests
    _fresh_engines_and_caches,
    app,
    empty_db,
    home,
    query_db,
    rules_copy,
    small_db,
)
