"""Fixtures of the command-line tests: defined once, with the tests of the rooms they drive."""

from __future__ import annotations

from tests.access.conftest import (  # noqa: F401 - fixtures shared with the access tests
    _cheap_hashing,
    _migrated_template,
    db,
)
from tests.alerts.conftest import alert_rules, http_receiver, smtp_server  # noqa: F401
from tests.factories.dashboard_fixtures import *  # noqa: F403 - the small-database fixtures
from tests.rules.conftest import judge, rule, synthetic_dir  # noqa: F401
from tests.vision.conftest import noise_images, shelf_scene, tiny_clip, tiny_weights  # noqa: F401
