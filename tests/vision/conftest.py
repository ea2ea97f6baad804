"""Fixtures for the vision tests: a tiny untrained 3-class YOLO checkpoint, synthetic photos."""

from __future__ import annotations

import numpy as np
import pytest

REPO_NAMES = {0: "product", 1: "price_tag", 2: "promo"}


def save_tiny_checkpoint(path, names=REPO_NAMES):
    """An untrained yolo11n with the given class names, saved the way ultralytics saves one."""
    from ultralytics import YOLO
    from ultralytics.nn.tasks import DetectionModel

    model = YOLO("yolo11n.yaml")
    network = DetectionModel("yolo11n.yaml", nc=len(names), verbose=False)
    network.names = dict(names)
    model.model = network
    model.save(str(path))
    return path


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory):
    """Path of a tiny local checkpoint (random weights: it finds random boxes at low conf)."""
    return save_tiny_checkpoint(tmp_path_factory.mktemp("weights") / "tiny3.pt")


@pytest.fixture(scope="session")
def shelf_scene(catalog):
    """One rendered synthetic shelf photo with its ground truth."""
    from pipeline.synth import render_scene

    return render_scene(catalog, seed=11, width=960)


@pytest.fixture
def noise_images():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (240, 320, 3), dtype=np.uint8) for _ in range(3)] + [
        rng.integers(0, 255, (200, 280, 3), dtype=np.uint8)
    ]
