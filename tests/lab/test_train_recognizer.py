"""Starter recognizer training data and a short end-to-end training run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline import keys
from pipeline.detections import of_kind


@pytest.fixture(scope="module")
def gappy_scene(catalog):
    """A synthetic scene with empty slots (ground-truth gaps)."""
    from pipeline.synth import render_scene

    for seed in range(200, 260):
        scene = render_scene(catalog, seed=seed, width=960)
        if len(of_kind(scene.truth.detections, keys.GAP)) >= 2:
            return scene
    pytest.fail("no synthetic scene with two gaps in 60 seeds")


def _inside(box, area, slack=0.12):
    w, h = area[2] - area[0], area[3] - area[1]
    return (box[0] >= area[0] - slack * w and box[2] <= area[2] + slack * w
            and box[3] <= area[3] + slack * h and box[3] >= area[1])


def test_empty_shelf_crops_are_cut_from_the_gaps(gappy_scene):
    from pipeline.lab.shelf_crops import empty_boxes

    truth = gappy_scene.truth
    gaps = of_kind(truth.detections, keys.GAP)
    boxes = empty_boxes(truth, 2, np.random.default_rng(0))
    assert len(boxes) == 2 * len(gaps)
    for k, box in enumerate(boxes):
        assert box[2] > box[0] and box[3] > box[1]
        assert _inside(box, gaps.xyxy[k // 2])
    products = of_kind(truth.detections, keys.PRODUCT)
    assert not any(_inside(p, b, 0.0) for p in products.xyxy for b in boxes)  # no product inside
    assert len(empty_boxes(truth, 0, np.random.default_rng(0))) == 0


def test_crop_set_labels_empty_crops_as_the_extra_class(catalog, gappy_scene):
    from pipeline.lab.shelf_crops import collect_crops

    scenes = [(np.asarray(gappy_scene.image), gappy_scene.truth)]
    plain = collect_crops(catalog, iter(scenes), 32, per_group=0)
    with_empty = collect_crops(catalog, iter(scenes), 32, per_group=0, empty_per_gap=2)
    gaps = len(of_kind(gappy_scene.truth.detections, keys.GAP))
    assert len(with_empty) == len(plain) + 2 * gaps
    assert (with_empty.sku_index == len(catalog.skus) + 1).sum() == 2 * gaps
    assert (plain.sku_index <= len(catalog.skus)).all()
    assert with_empty.pixels.shape[1:] == (3, 32, 32)


def test_a_short_training_run_writes_a_loadable_recognizer_with_the_empty_class(tmp_path, catalog):
    from pipeline.lab.train_recognizer import (
        RecognizerTraining,
        retune_recognizer,
        train_recognizer,
    )
    from pipeline.vision.recognizer import Recognizer

    job = RecognizerTraining(scenes=3, val_scenes=2, steps=6, batch=16, width=32, layers=1,
                             image_size=32, out=tmp_path / "rec", gallery_out=tmp_path / "gal",
                             gallery_per_sku=1, max_minutes=2)
    record = train_recognizer(job, log=lambda line: None)
    assert record["fit"]["steps"] == 6
    tuning = json.loads((tmp_path / "rec" / "shelfaudit_recognizer.json").read_text())
    assert tuning["empty_class"] is True and tuning["unknown_class"] is True
    rec = Recognizer.load(tmp_path / "rec", catalog, device="cpu", gallery=[tmp_path / "gal"])
    assert rec.rule.empty_class and len(rec.text.sku) == len(catalog.skus) + 2

    # --retune: the rule is tuned again (from the previous tuning), the weights stay
    weights = (tmp_path / "rec" / "model.safetensors").read_bytes()
    tuning["min_score"] = 0.3
    (tmp_path / "rec" / "shelfaudit_recognizer.json").write_text(json.dumps(tuning))
    retune_recognizer(job, log=lambda line: None)
    again = json.loads((tmp_path / "rec" / "shelfaudit_recognizer.json").read_text())
    record = json.loads((tmp_path / "rec" / "training.json").read_text())
    assert record["retuned"]["val_crops"] > 0 and record["fit"]["steps"] == 6
    assert (tmp_path / "rec" / "model.safetensors").read_bytes() == weights
    assert set(again) == set(tuning) and again["orientation_weight"] in (0, 0.25, 0.5, 1, 2, 4)


def test_retune_needs_a_trained_model(tmp_path):
    from pipeline.errors import ShelfAuditError
    from pipeline.lab.train_recognizer import RecognizerTraining, retune_recognizer

    with pytest.raises(ShelfAuditError, match="no trained recognizer"):
        retune_recognizer(RecognizerTraining(out=tmp_path / "none"), log=lambda line: None)


def test_no_product_windows_over_signs_and_tags_cover_no_product(gappy_scene):
    from pipeline.lab.shelf_crops import empty_boxes

    truth = gappy_scene.truth
    gaps = len(of_kind(truth.detections, keys.GAP))
    boxes = empty_boxes(truth, 1, np.random.default_rng(1), signs=4)
    windows = boxes[:len(boxes) - gaps]  # the sign windows come first
    assert 1 <= len(windows) <= 4
    kinds = truth.detections.data[keys.KIND]
    signs = truth.detections.xyxy[(kinds == keys.PROMO) | (kinds == keys.PRICE_TAG)]
    products = of_kind(truth.detections, keys.PRODUCT).xyxy
    for w in windows:
        cx, cy = (w[0] + w[2]) / 2, (w[1] + w[3]) / 2
        assert any(s[0] <= cx <= s[2] and s[1] <= cy <= s[3] for s in signs)
        iw = np.clip(np.minimum(w[2], products[:, 2]) - np.maximum(w[0], products[:, 0]), 0, None)
        ih = np.clip(np.minimum(w[3], products[:, 3]) - np.maximum(w[1], products[:, 1]), 0, None)
        assert (iw * ih).sum() <= 0.1 * (w[2] - w[0]) * (w[3] - w[1]) + 1e-6


def test_detector_boxes_are_labelled_from_the_truth(catalog):
    from pipeline.detections import make_detections
    from pipeline.lab.shelf_crops import label_proposals

    can, bottle = "colaco-cola-330", "clearspring-550"
    truth = make_detections([[0, 60, 30, 116], [40, 20, 70, 116], [80, 90, 180, 116]],
                            sku=[can, bottle, bottle], orientation=["upright", "upright", "lying"])
    proposals = np.array([
        [0, 60, 30, 116],    # on the can exactly: ordinary
        [0, 20, 30, 116],    # up to the bottles' height over the short can (IoU 0.58)
        [72, 20, 78, 116],   # a sliver between two products, on none: empty shelf
        [20, 60, 50, 116],   # half on the can, half on the bottle: left out
        [100, 92, 150, 114],  # the label of the lying bottle only (a fragment)
        [200, 20, 230, 116],  # past the last product: empty shelf
    ], np.float32)
    index = {s: i for i, s in enumerate(catalog.sku_ids)}
    empty = len(catalog.skus) + 1
    boxes, labels, lying = label_proposals(catalog, proposals, truth, 0, np.random.default_rng(0))
    assert boxes.tolist() == proposals[[1, 2, 4, 5]].tolist()  # no ordinary box asked for
    assert labels.tolist() == [index[can], empty, index[bottle], empty]
    assert lying.tolist() == [False, False, True, False]
    boxes, labels, _ = label_proposals(catalog, proposals, truth, 1, np.random.default_rng(0))
    assert boxes.tolist() == proposals[[0, 1, 2, 4, 5]].tolist()


def test_fine_tuning_starts_from_a_trained_recognizer_and_learns_detector_boxes(
        tmp_path, catalog, tiny_weights):
    from pipeline.lab.train_recognizer import RecognizerTraining, train_recognizer
    from pipeline.vision.dual_encoder import load_dual_encoder

    first = RecognizerTraining(scenes=2, val_scenes=1, steps=3, batch=16, width=32, layers=1,
                               image_size=32, out=tmp_path / "rec", gallery_out=None,
                               max_minutes=2)
    train_recognizer(first, log=lambda line: None)
    tuned = RecognizerTraining(scenes=2, val_scenes=1, steps=3, batch=16, out=tmp_path / "ft",
                               gallery_out=None, max_minutes=2, init=tmp_path / "rec",
                               detector=tiny_weights, lr=1e-4)
    record = train_recognizer(tuned, log=lambda line: None)
    before = load_dual_encoder(tmp_path / "rec", "cpu")
    after = load_dual_encoder(tmp_path / "ft", "cpu")
    assert after.model.config.vision_config.hidden_size == 32  # the init's shape, not the job's
    assert after.tokenizer.get_vocab() == before.tokenizer.get_vocab()
    assert record["train_crops"] > 0 and record["job"]["init"] == str(tmp_path / "rec")
    moved = [not (a == b).all() for a, b in zip(before.model.parameters(),
                                                after.model.parameters(), strict=True)]
    assert any(moved)
