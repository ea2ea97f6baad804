"""Recognition measured on ground-truth product boxes (pipeline.lab.recognizer_eval)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.lab.recognizer_eval import evaluate_recognizer


@pytest.fixture
def recognizer(tiny_clip, catalog):
    from pipeline.vision.recognizer import Recognizer

    return Recognizer.load(tiny_clip, catalog, device="cpu")


def test_evaluate_recognizer_scores_a_synthetic_folder(recognizer, tmp_path, catalog):
    from pipeline.synth import write_dataset

    write_dataset(catalog, tmp_path / "set", scenes=2, seed=5, width=640, progress=False)
    result = evaluate_recognizer(recognizer, tmp_path / "set")
    assert result["photos"] == 2 and result["products"] > 20
    for name in ("sku_top1", "sku_top1_open_set", "orientation_accuracy"):
        assert 0.0 <= result[name] <= 1.0


def test_starter_recognizer_names_a_fresh_synthetic_shelf(catalog):
    """The committed starter model + gallery on a scene from a seed it never saw."""
    from pipeline.settings import STARTER_MODELS_DIR
    from pipeline.synth import render_scene
    from pipeline.vision.recognizer import Recognizer

    rec = Recognizer.load(STARTER_MODELS_DIR / "recognizer", catalog, device="cpu",
                          gallery=[STARTER_MODELS_DIR / "gallery"])
    assert len(rec.gallery) == 5 * len(catalog.skus)
    scenes = [render_scene(catalog, seed=s, width=1280) for s in (90001, 90002)]
    result = evaluate_recognizer(rec, [(np.asarray(s.image), s.truth) for s in scenes])
    assert result["products"] > 100
    assert result["sku_top1"] >= 0.95
    assert result["orientation_accuracy"] >= 0.95
