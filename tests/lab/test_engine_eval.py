"""Evaluation on labeled sets: formats, matching, and metrics that move with the errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline import keys
from pipeline.detections import PhotoDetections, field_values, make_detections
from pipeline.errors import ShelfAuditError
from pipeline.lab.engine_eval import (
    attribute_metrics,
    detection_metrics,
    evaluate,
    load_labeled_set,
    match,
)


@pytest.fixture(scope="module")
def synth_set(tmp_path_factory, catalog):
    from pipeline.synth import write_dataset

    out = tmp_path_factory.mktemp("labeled")
    write_dataset(catalog, out, scenes=2, seed=5, width=800, progress=False, val_fraction=0.5)
    return out


def test_the_three_formats_agree(synth_set):
    fmt, synthetic = load_labeled_set(synth_set)
    assert fmt == "synthetic" and len(synthetic) == 2
    fmt_yolo, yolo = load_labeled_set(synth_set / "yolo")
    fmt_coco, coco = load_labeled_set(synth_set / "coco" / "annotations.json")
    assert (fmt_yolo, fmt_coco) == ("yolo", "coco")
    assert len(yolo) == 1 and len(coco) == 2  # YOLO: the val split
    by_name = {p.path.name: p.truth for p in synthetic}
    for photo in [*yolo, *coco]:
        truth = by_name[photo.path.name]
        detector_kinds = np.isin(field_values(truth, keys.KIND).astype(str),
                                 list(keys.DETECTOR_CLASSES))
        assert len(photo.truth) == int(detector_kinds.sum())
        np.testing.assert_allclose(np.sort(photo.truth.xyxy, axis=0),
                                   np.sort(truth.xyxy[detector_kinds], axis=0), atol=1.0)


def test_nothing_labeled_is_a_clear_error(tmp_path):
    with pytest.raises(ShelfAuditError, match="no labeled set found"):
        load_labeled_set(tmp_path)


def test_match_is_one_to_one_by_iou():
    pred = make_detections([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]])
    truth = make_detections([[0, 0, 10, 10], [100, 100, 110, 110]])
    assert match(pred, truth) == [(0, 0)]


def _truths(synth_set):
    return [p.truth for p in load_labeled_set(synth_set)[1]]


def test_perfect_predictions_score_one(synth_set):
    truths = _truths(synth_set)
    det = detection_metrics(truths, truths)
    assert det["per_kind"][keys.PRODUCT]["map50"] == pytest.approx(1.0)
    assert det["per_kind"][keys.PRICE_TAG]["map50"] == pytest.approx(1.0)
    attrs = attribute_metrics(truths, truths)
    assert attrs["sku_top1"] == 1.0 and attrs["orientation_accuracy"] == 1.0
    assert attrs["ocr_exact_price"] == 1.0 and attrs["matched_price_tags"] > 0


def test_metrics_fall_with_misses_and_wrong_names(synth_set):
    truths = _truths(synth_set)
    worse = []
    for truth in truths:
        keep = np.ones(len(truth), dtype=bool)
        products = np.flatnonzero(field_values(truth, keys.KIND) == keys.PRODUCT)
        keep[products[::2]] = False  # miss every second product
        det = truth[keep]
        det.data[keys.SKU] = np.array(["wrong" if k == keys.PRODUCT else s for k, s in
                                       zip(det.data[keys.KIND], det.data[keys.SKU],
                                           strict=True)], dtype=object)
        det.data[keys.PRICE] = np.array([None] * len(det), dtype=object)
        worse.append(det)
    product = detection_metrics(worse, truths)["per_kind"][keys.PRODUCT]
    assert product["map50"] < 0.6 and product["predicted_boxes"] < product["true_boxes"]
    attrs = attribute_metrics(worse, truths)
    assert attrs["sku_top1"] == 0.0 and attrs["ocr_exact_price"] == 0.0
    assert attrs["orientation_accuracy"] == 1.0


class TruthInspector:
    """Test double: 'detects' exactly the ground truth of each photo file."""

    recognizer = reader = object()
    models = {"detector": "truth"}

    def __init__(self, root: Path):
        self.truth = {}
        for path in (root / "truth").glob("*.json"):
            doc = json.loads(path.read_text())
            self.truth[str(root / doc["path"])] = PhotoDetections.from_dict(doc).detections

    def inspect(self, photos):
        return [PhotoDetections(p.source, p.width, p.height, self.truth[p.source])
                for p in photos]


def test_evaluate_end_to_end_with_an_unreadable_photo(synth_set, tmp_path):
    import shutil

    root = tmp_path / "set"
    shutil.copytree(synth_set, root)
    broken = sorted((root / "images").glob("*.jpg"))[0]
    broken.write_bytes(b"broken")
    report = evaluate(root, TruthInspector(root), batch=1)
    assert report["format"] == "synthetic" and report["photos"] == 1
    assert len(report["errors"]) == 1 and broken.name in report["errors"][0]
    assert report["detection"]["per_kind"][keys.PRODUCT]["map50"] == pytest.approx(1.0)
    assert report["attributes"]["sku_top1"] == 1.0
