"""Fixtures shared with the vision tests: a tiny untrained YOLO checkpoint, a tiny random CLIP."""

from tests.vision.conftest import tiny_clip, tiny_weights  # noqa: F401 - fixtures
