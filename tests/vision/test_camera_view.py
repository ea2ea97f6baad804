"""Is an uploaded photo of the chosen camera's shelf? (issue #19 item 5) — the decision on
features, and the shipped embedder on the demo's fixed synthetic camera views."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pipeline.vision import camera_view as cv


def _unit(*values: float) -> torch.Tensor:
    return torch.nn.functional.normalize(torch.tensor(values, dtype=torch.float32), dim=0)


def _refs(*vectors: torch.Tensor) -> torch.Tensor:
    return torch.stack(vectors)


# Reference views: c01 along x, c02 along y (each two photos, a little apart).
C01 = _refs(_unit(1, 0.05, 0), _unit(1, -0.05, 0))
C02 = _refs(_unit(0.05, 1, 0), _unit(-0.05, 1, 0))


@pytest.mark.parametrize("photo, camera, code, nearest", [
    (_unit(1, 0.1, 0.1), "c01", cv.MATCH, "c01"),
    (_unit(0.1, 1, 0), "c01", cv.OTHER_CAMERA, "c02"),  # another camera's view is nearer
    (_unit(0, 0, 1), "c01", cv.UNLIKE, None),  # like no camera of the store
    (_unit(0.3, 1, 1.2), "c01", cv.UNLIKE, None),  # nearer c02 but too far from it too
    (_unit(1, 0.1, 0.1), "c03", cv.UNCHECKED, None),  # no reference photos of c03
], ids=["same-view", "other-camera", "unlike-any", "unlike-nearer-other", "no-reference"])
def test_decision(photo, camera, code, nearest):
    verdict = cv.decide(photo, camera, {"c01": C01, "c02": C02})
    assert verdict.code == code and verdict.nearest == nearest
    assert verdict.judge == (code in (cv.MATCH, cv.UNCHECKED))
    if code == cv.UNCHECKED:
        assert verdict.why == cv.NO_REFERENCE


def test_a_camera_whose_days_differ_tolerates_more():
    wide = _refs(_unit(1, 0.6, 0), _unit(1, -0.6, 0))  # spread well above the floor / 3
    assert cv.spread(wide) > cv.FLOOR / cv.SPREAD_FACTOR
    photo = _unit(1, 0, 1.1)  # 0.33 from C01 (beyond the floor), 0.42 from wide (< 3 x 0.53)
    assert cv.decide(photo, "c01", {"c01": wide}).code == cv.MATCH
    assert cv.decide(photo, "c01", {"c01": C01}).code == cv.UNLIKE
    assert cv.spread(C01[:1]) == 0.0


@pytest.fixture(scope="module")
def views(catalog, tmp_path_factory):
    """Three days of two fixed demo cameras (their planograms and views), as files."""
    from pipeline.demo.build import _camera_planograms
    from pipeline.rules.config import load_config
    from pipeline.synth import FaultRates, render_scene

    rules = load_config()  # the shipped stores and planograms, no database needed
    store = rules.stores.stores[0].resolved(rules.planograms)
    plans = _camera_planograms([store], catalog, 2026)
    folder = tmp_path_factory.mktemp("views")
    out = {}
    for c_i, cam in enumerate(["c01", "c02"]):
        for day in range(4):
            scene = render_scene(catalog, 500 + 10 * day + c_i, width=640,
                                 planogram=plans[(store.id, cam)],
                                 fault_rates=FaultRates().scaled(0.5 + 0.4 * day),
                                 view_seed=2026 * 7_919 + c_i)
            path = folder / f"{cam}-{day}.jpg"
            scene.image.save(path, "JPEG", quality=90)
            out.setdefault(cam, []).append(str(path))
    return out


def test_the_shipped_embedder_tells_the_cameras_apart(views):
    from PIL import Image

    check = cv.view_check()
    assert check is not None, "the starter embedder (models/embedder) should load"
    references = {cam: paths[:3] for cam, paths in views.items()}
    today = {cam: np.asarray(Image.open(paths[3]).convert("RGB")) for cam, paths in views.items()}
    noise = np.random.default_rng(1).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    same, other, unlike = check.check([today["c01"], today["c02"], noise], "c01", references)
    assert same.code == cv.MATCH and same.distance <= same.limit
    assert other.code == cv.OTHER_CAMERA and other.nearest == "c02"
    assert unlike.code == cv.UNLIKE and unlike.distance > unlike.limit
    shifted = today["c01"][:, 80:]  # the same shelf from a little to the side
    assert check.check([shifted], "c01", references)[0].code == cv.MATCH
    # reference features are kept per file: a second check reads no photo again
    assert all(cv._file_key(p) in cv._features for p in references["c01"])


def test_without_an_embedder_the_check_is_off(monkeypatch, tmp_path):
    monkeypatch.setattr(cv, "embedder_folder", lambda: tmp_path / "missing")
    cv._load.cache_clear()
    try:
        assert cv.view_check() is None
    finally:
        cv._load.cache_clear()
