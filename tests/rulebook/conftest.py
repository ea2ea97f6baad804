"""Fixtures of these tests: the small-database ones, defined once in tests/factories."""

from tests.factories.dashboard_fixtures import *  # noqa: F403 - the small-database fixtures
