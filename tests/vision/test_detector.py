"""The YOLO wrapper: batching, slicing, kinds from class names, clear errors for missing weights."""

from __future__ import annotations

import time

import numpy as np
import pytest

from pipeline import keys
from pipeline.errors import ModelNotFoundError
from pipeline.settings import STARTER_MODELS_DIR
from pipeline.vision.config import ModelsConfig
from pipeline.vision.detector import COCO_PRODUCT_LIKE, ShelfDetector, kind_map


def _loaded(weights, **config):
    config = {"kind_conf": {}, **config}  # random weights: keep every box above conf
    return ShelfDetector.load(weights, device="cpu", config=ModelsConfig(conf=0.001, **config))


def test_per_kind_floors_drop_low_confidence_boxes_of_that_kind(tiny_weights, noise_images):
    # the network's boxes, before the clean-up of overlapping products (random weights give
    # tied confidences, so which of two overlapping boxes survives that is arbitrary)
    every = _loaded(tiny_weights)._predict(noise_images)
    kinds = np.concatenate([d.data[keys.KIND] for d in every])
    conf = np.concatenate([d.confidence for d in every])
    floor = float(np.median(conf))
    kind = kinds[0]
    floored_detector = _loaded(tiny_weights, kind_conf={kind: floor})
    floored = floored_detector._predict(noise_images)
    got_kinds = np.concatenate([d.data[keys.KIND] for d in floored])
    got_conf = np.concatenate([d.confidence for d in floored])
    assert np.all(got_conf[got_kinds == kind] >= floor)
    assert (got_kinds == kind).sum() == ((kinds == kind) & (conf >= floor)).sum()
    assert (got_kinds != kind).sum() == (kinds != kind).sum()  # other kinds untouched
    for det in floored_detector.detect(noise_images):  # and so after the clean-up
        assert np.all(det.confidence[det.data[keys.KIND] == kind] >= floor)


def test_the_starter_detector_runs_at_its_chosen_size():
    from pipeline.settings import STARTER_MODELS_DIR

    weights = STARTER_MODELS_DIR / "detector.pt"
    assert ShelfDetector.load(weights, device="cpu").imgsz == 800  # its last stage's size
    assert ShelfDetector.load(weights, device="cpu", config=ModelsConfig(imgsz=512)).imgsz == 512


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ({0: "product", 1: "price_tag", 2: "promo"},
         {0: keys.PRODUCT, 1: keys.PRICE_TAG, 2: keys.PROMO}),
        ({0: "object"}, {0: keys.PRODUCT}),  # SKU-110K
        ({0: "anything"}, {0: keys.PRODUCT}),  # any single-class checkpoint
        ({0: "person", 39: "bottle", 41: "cup", 2: "car"}, {39: keys.PRODUCT, 41: keys.PRODUCT}),
        ({0: "Price Tag", 1: "Promotion", 2: "SKU"},
         {0: keys.PRICE_TAG, 1: keys.PROMO, 2: keys.PRODUCT}),
    ],
)
def test_class_names_map_to_kinds(names, expected):
    assert kind_map(names) == expected


def test_coco_people_are_not_products():
    assert "person" not in COCO_PRODUCT_LIKE and "bottle" in COCO_PRODUCT_LIKE


def test_missing_weights_fail_fast_with_a_way_out(tmp_path):
    started = time.perf_counter()
    with pytest.raises(ModelNotFoundError) as err:
        ShelfDetector.load(tmp_path / "nowhere" / "detector.pt")
    message = str(err.value)
    assert "nowhere/detector.pt" in message
    assert "shelfaudit train detector" in message and "models.yaml" in message
    assert time.perf_counter() - started < 5


def test_a_bare_name_is_never_downloaded(monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the detector tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    with pytest.raises(ModelNotFoundError, match="shelf-no-such-weights.pt"):
        ShelfDetector.load("shelf-no-such-weights.pt")


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all"])
def test_a_broken_checkpoint_is_a_clear_error(tmp_path, content):
    path = tmp_path / "broken.pt"
    path.write_bytes(content)
    with pytest.raises(ModelNotFoundError, match="cannot load detector weights"):
        ShelfDetector.load(path)


def test_a_folder_is_not_a_checkpoint(tmp_path):
    with pytest.raises(ModelNotFoundError, match="is a folder"):
        ShelfDetector.load(tmp_path)


def test_loaded_checkpoint_reports_kinds_and_version(tiny_weights):
    detector = _loaded(tiny_weights)
    assert detector.kinds == {0: keys.PRODUCT, 1: keys.PRICE_TAG, 2: keys.PROMO}
    assert detector.version.startswith("tiny3.pt:")


def test_batched_detections_equal_one_by_one(tiny_weights, noise_images):
    detector = _loaded(tiny_weights, batch=8)
    together = detector.detect(noise_images)
    alone = [detector.detect([image])[0] for image in noise_images]
    assert len(together) == len(noise_images)
    assert sum(len(d) for d in together) > 0  # random weights still find (random) boxes
    for a, b in zip(together, alone, strict=True):
        assert len(a) == len(b)
        order_a, order_b = np.lexsort(a.xyxy.T), np.lexsort(b.xyxy.T)
        np.testing.assert_allclose(a.xyxy[order_a], b.xyxy[order_b], atol=0.5)
        np.testing.assert_allclose(a.confidence[order_a], b.confidence[order_b], atol=1e-3)
        assert list(a.data[keys.KIND][order_a]) == list(b.data[keys.KIND][order_b])


def test_detections_carry_kinds_and_class_ids(tiny_weights, noise_images):
    det = _loaded(tiny_weights).detect(noise_images[:1])[0]
    assert set(det.data[keys.KIND]) <= {keys.PRODUCT, keys.PRICE_TAG, keys.PROMO}
    expected = [keys.KINDS.index(k) for k in det.data[keys.KIND]]
    assert list(det.class_id) == expected


def test_large_photos_are_sliced_small_ones_are_not(tiny_weights, monkeypatch):
    detector = _loaded(tiny_weights, slice_above_px=300, slice_px=160, batch=4)
    seen: list[tuple[int, ...]] = []
    predict = detector._predict

    def spy(images):
        seen.extend(image.shape for image in images)
        return predict(images)

    monkeypatch.setattr(detector, "_predict", spy)
    rng = np.random.default_rng(1)
    small = rng.integers(0, 255, (200, 300, 3), dtype=np.uint8)
    large = rng.integers(0, 255, (360, 480, 3), dtype=np.uint8)

    detector.detect([small])
    assert seen == [small.shape]

    seen.clear()
    (det,) = detector.detect([large])
    assert len(seen) > 4 and all(max(shape[:2]) <= 160 for shape in seen)
    if len(det):  # boxes come back in the full photo's coordinates
        assert det.xyxy[:, 2].max() <= 480 + 1 and det.xyxy[:, 3].max() <= 360 + 1
        assert keys.KIND in det.data


def test_no_photos_no_work(tiny_weights):
    assert _loaded(tiny_weights).detect([]) == []


def test_loading_a_detector_keeps_corrupt_photos_a_photo_error(tiny_weights):
    """ultralytics patches PIL.Image.open on import; the loader must undo it."""
    from pipeline.errors import PhotoError
    from pipeline.imaging import decode_photo

    _loaded(tiny_weights)
    with pytest.raises(PhotoError):
        decode_photo(b"\xff\xd8\xff not a jpeg", "corrupt.jpg")
    with pytest.raises(PhotoError):
        decode_photo(b"plain text", "notes.txt")


def test_input_size_follows_the_checkpoint_unless_set(tiny_weights, tmp_path):
    import shutil

    assert _loaded(tiny_weights).imgsz == 640  # untrained checkpoints record no size
    assert _loaded(tiny_weights, imgsz=320).imgsz == 320
    copy = tmp_path / "mine.pt"  # a trained checkpoint that is not the starter
    shutil.copy(STARTER_MODELS_DIR / "detector.pt", copy)
    trained = ShelfDetector.load(copy, device="cpu")
    assert trained.imgsz == trained.model.overrides["imgsz"]


def test_boxes_inside_a_more_confident_product_or_sign_are_dropped():
    from pipeline.detections import make_detections
    from pipeline.vision.detector import drop_contained

    det = make_detections(
        [[0, 0, 40, 100],  # a carton
         [1, 20, 39, 100],  # the lower part of it, less sure: dropped
         [50, 0, 90, 100],  # the next carton
         [52, 10, 88, 95],  # inside it but surer: stays (the outer box is the doubt)
         [100, 0, 200, 40],  # a promo poster
         [120, 5, 140, 35],  # a product pictured on it: dropped
         [210, 0, 250, 100], [245, 0, 285, 100],  # neighbours that touch: both stay
         [300, 0, 340, 100], [340, 0, 380, 100], [298, 0, 382, 100]],  # two cans boxed as
        kind=[keys.PRODUCT, keys.PRODUCT, keys.PRODUCT, keys.PRODUCT, keys.PROMO,  # one: dropped
              keys.PRODUCT, keys.PRODUCT, keys.PRODUCT, keys.PRODUCT, keys.PRODUCT, keys.PRODUCT],
        score=[0.9, 0.4, 0.5, 0.8, 0.9, 0.6, 0.9, 0.5, 0.8, 0.8, 0.6])
    kept = drop_contained(det)
    assert kept.xyxy[:, 0].tolist() == [0, 50, 52, 100, 210, 245, 300, 340]
    assert len(drop_contained(det[[0, 2]])) == 2


def test_a_second_box_on_the_same_product_is_dropped():
    from pipeline.detections import make_detections
    from pipeline.vision.detector import drop_overlapping

    det = make_detections(
        [[345, 410, 371, 434], [355, 409, 376, 434],  # one product boxed twice (IoU 0.52)
         [400, 400, 440, 500], [436, 400, 476, 500],  # neighbours touching: both stay
         [345, 410, 371, 434]],  # a price tag exactly there is not a product: stays
        kind=[keys.PRODUCT] * 4 + [keys.PRICE_TAG], score=[0.45, 0.5, 0.9, 0.6, 0.3])
    kept = drop_overlapping(det)
    assert kept.xyxy[:, 0].tolist() == [355, 400, 436, 345]
    assert len(drop_overlapping(det, iou=0.6)) == 5


def test_faint_product_boxes_come_marked_and_only_when_asked(tiny_weights, noise_images):
    every = _loaded(tiny_weights)._predict(noise_images)
    kinds = np.concatenate([d.data[keys.KIND] for d in every])
    conf = np.concatenate([d.confidence for d in every])[kinds == keys.PRODUCT]
    levels = np.unique(conf)  # random weights: a few tied confidence levels
    assert len(levels) >= 2
    low, floor = float(levels[0]), float(levels[-1])
    detector = _loaded(tiny_weights, kind_conf={keys.PRODUCT: floor}, faint_product_conf=low)
    faint = 0
    for det in detector._predict(noise_images):
        product = det.data[keys.KIND] == keys.PRODUCT
        assert np.all(det.confidence[product] >= low)
        assert det.data[keys.FAINT].tolist() == (product & (det.confidence < floor)).tolist()
        faint += int(det.data[keys.FAINT].sum())
    assert faint > 0
    for det in detector.detect(noise_images, faint=True):  # marks survive the clean-up
        product = det.data[keys.KIND] == keys.PRODUCT
        assert det.data[keys.FAINT].tolist() == (product & (det.confidence < floor)).tolist()
    for det in detector.detect(noise_images):  # by default: neither faint boxes nor marks
        assert keys.FAINT not in det.data
        assert np.all(det.confidence[det.data[keys.KIND] == keys.PRODUCT] >= floor)
    off = _loaded(tiny_weights, kind_conf={keys.PRODUCT: floor}, faint_product_conf=None)
    for det in off.detect(noise_images, faint=True):
        assert not det.data[keys.FAINT].any()
