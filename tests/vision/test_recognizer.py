"""Recognition: any CLIP-family model, batched crops, caches, gallery, open set, clear errors."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from pipeline import keys
from pipeline.detections import field_values, make_detections, of_kind
from pipeline.errors import ModelNotFoundError
from tests.vision.conftest import save_tiny_clip


@pytest.fixture(scope="session")
def scene(catalog):
    from pipeline.synth import render_scene

    return render_scene(catalog, seed=31, width=800)


@pytest.fixture
def recognizer(tiny_clip, catalog):
    from pipeline.vision.recognizer import Recognizer

    return Recognizer.load(tiny_clip, catalog, device="cpu")


def _photo(scene):
    return np.asarray(scene.image), scene.truth.detections


@pytest.mark.parametrize("kind", ["clip", "siglip", "chinese_clip"])
def test_any_clip_family_model_names_every_product_box(kind, tmp_path, catalog, scene):
    from pipeline.vision.recognizer import Recognizer

    folder = save_tiny_clip(tmp_path / kind, kind, catalog)
    rec = Recognizer.load(folder, catalog, device="cpu")
    image, truth = _photo(scene)
    blank = make_detections(truth.xyxy.tolist(), kind=list(field_values(truth, keys.KIND)))
    [named] = rec.recognize([image], [blank])
    products = of_kind(named, keys.PRODUCT)
    assert len(named) == len(blank) and len(products) > 20
    assert set(field_values(products, keys.SKU)) <= {*catalog.sku_ids, keys.UNKNOWN}
    assert set(field_values(products, keys.ORIENTATION)) <= {keys.UPRIGHT, keys.LYING}
    assert all(0.0 <= s <= 1.0 for s in field_values(products, keys.SKU_SCORE))
    others = named[field_values(named, keys.KIND) != keys.PRODUCT]
    assert all(v is None for v in field_values(others, keys.SKU))
    assert keys.SKU not in blank.data  # the input was not changed
    assert rec.version.startswith(folder.name)


def test_missing_model_folder_says_what_and_how(tmp_path, catalog):
    from pipeline.vision.recognizer import Recognizer

    with pytest.raises(ModelNotFoundError, match="huggingface-cli download") as err:
        Recognizer.load(tmp_path / "no-such-model", catalog, device="cpu")
    assert "no-such-model" in str(err.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match="config.json"):
        Recognizer.load(tmp_path / "empty", catalog, device="cpu")


def test_folder_with_config_but_no_weights_is_a_clear_error(tiny_clip, tmp_path, catalog):
    from pipeline.vision.recognizer import Recognizer

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((tiny_clip / "config.json").read_text())
    with pytest.raises(ModelNotFoundError, match="cannot load recognizer"):
        Recognizer.load(broken, catalog, device="cpu")


def test_hub_id_not_in_cache_fails_fast_offline(monkeypatch, tmp_path, catalog):
    from pipeline.vision.recognizer import Recognizer

    monkeypatch.delenv("SHELFAUDIT_ALLOW_DOWNLOAD", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    started = time.perf_counter()
    with pytest.raises(ModelNotFoundError, match="not in the local cache") as err:
        Recognizer.load("openai/clip-vit-base-patch32", catalog, device="cpu")
    assert time.perf_counter() - started < 10
    assert "SHELFAUDIT_ALLOW_DOWNLOAD" in str(err.value)


def test_batched_results_equal_one_by_one(recognizer, catalog):
    from pipeline.synth import render_scene

    scenes = [render_scene(catalog, seed=s, width=640) for s in (41, 42)]
    images = [np.asarray(s.image) for s in scenes]
    dets = [s.truth.detections for s in scenes]
    together = recognizer.recognize(images, dets)
    alone = [recognizer.recognize([im], [d])[0] for im, d in zip(images, dets, strict=True)]
    for a, b in zip(together, alone, strict=True):
        assert list(field_values(a, keys.SKU)) == list(field_values(b, keys.SKU))
        assert list(field_values(a, keys.ORIENTATION)) == list(field_values(b, keys.ORIENTATION))
        pa, pb = of_kind(a, keys.PRODUCT), of_kind(b, keys.PRODUCT)
        np.testing.assert_allclose(field_values(pa, keys.SKU_SCORE).astype(float),
                                   field_values(pb, keys.SKU_SCORE).astype(float), atol=1e-3)


@pytest.mark.parametrize("processor_kwargs", [
    {"size": {"shortest_edge": 32}, "crop_size": 32, "do_center_crop": True},
    {"size": {"height": 32, "width": 48}, "do_center_crop": False},
])
def test_tensor_crops_match_the_processor_per_crop(processor_kwargs, scene):
    from PIL import Image
    from transformers import CLIPImageProcessor

    from pipeline.vision.crops import CropSpec, cut_crops

    processor = CLIPImageProcessor(**processor_kwargs)
    spec = CropSpec.from_processor(processor, 32)
    image, truth = _photo(scene)
    h, w = image.shape[:2]
    boxes = of_kind(truth, keys.PRODUCT).xyxy[:12] + 0.3  # sub-pixel boxes, rounded like PIL
    boxes = np.concatenate([boxes, [[-10.4, -6, 25, 40], [w - 20, h - 30, w + 12, h + 5]]])
    batch = cut_crops([image], [boxes], spec).pixels
    pil = Image.fromarray(image)
    for crop, box in zip(batch, boxes, strict=True):
        expected = processor(images=pil.crop(tuple(float(v) for v in box)),  # black outside
                             return_tensors="pt")["pixel_values"][0]
        assert crop.shape == expected.shape
        # the same pixels up to PIL's 8-bit rounding: 1 level is ~0.015 normalised units
        assert float((crop - expected).abs().mean()) < 0.002
        assert float((crop - expected).abs().max()) < 0.035


def test_boxes_that_show_an_empty_shelf_are_dropped(recognizer, scene, monkeypatch):
    from pipeline.vision.decide import EMPTY_INDEX

    image, truth = _photo(scene)
    products = of_kind(truth, keys.PRODUCT)[:6]
    tags = of_kind(truth, keys.PRICE_TAG)[:2]
    boxes = make_detections(np.concatenate([products.xyxy, tags.xyxy]).tolist(),
                            kind=[keys.PRODUCT] * len(products) + [keys.PRICE_TAG] * len(tags))
    real = recognizer.decide

    def empty_when_wide(embeddings, aspects):  # as if every wide crop showed a bare shelf
        labels = real(embeddings, aspects)
        labels.sku_index[aspects > 0.5] = EMPTY_INDEX
        return labels

    monkeypatch.setattr(recognizer, "decide", empty_when_wide)
    recognizer.facing_tolerance = 0.0
    wide = (products.xyxy[:, 2] - products.xyxy[:, 0]) / (products.xyxy[:, 3] - products.xyxy[:, 1])
    assert 0 < (wide > 0.5).sum() < len(products)
    [kept] = recognizer.recognize([image], [boxes], keep_empty=True)
    assert list(field_values(kept, keys.SKU)[:len(products)] == keys.EMPTY) == list(wide > 0.5)
    [named] = recognizer.recognize([image], [boxes])
    assert recognizer.stats["empty"] == (wide > 0.5).sum()
    assert len(of_kind(named, keys.PRODUCT)) == (wide <= 0.5).sum()
    assert len(of_kind(named, keys.PRICE_TAG)) == len(tags)  # other boxes untouched
    np.testing.assert_allclose(of_kind(named, keys.PRODUCT).xyxy, products.xyxy[wide <= 0.5])


def test_text_embeddings_cached_per_model_and_catalog(recognizer, catalog, monkeypatch):
    from pipeline.vision import textbank

    calls = []
    real = textbank.encode_catalog
    monkeypatch.setattr(textbank, "encode_catalog",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    textbank.clear_memory()
    first = textbank.text_bank(recognizer.encoder, catalog)
    textbank.text_bank(recognizer.encoder, catalog)
    textbank.clear_memory()
    from_disk = textbank.text_bank(recognizer.encoder, catalog)
    assert len(calls) == 1 and torch.allclose(first.sku, from_disk.sku)
    files = list(textbank.cache_dir().glob("*.safetensors"))
    assert len(files) == 1

    doc = catalog.model_dump(mode="json")  # an edited catalog.yaml, loaded again
    doc["skus"][0]["prompts"]["en"] = ["a completely different product"]
    edited = type(catalog).model_validate(doc)
    assert edited.fingerprint != catalog.fingerprint
    changed = textbank.text_bank(recognizer.encoder, edited)
    assert len(calls) == 2 and changed.key != first.key
    assert len(list(textbank.cache_dir().glob("*.safetensors"))) == 2
    assert not torch.allclose(changed.sku[0], first.sku[0])
    assert torch.allclose(changed.sku[1:], first.sku[1:], atol=1e-5)


def test_adding_a_reference_photo_changes_the_label_without_retraining(recognizer, scene,
                                                                       catalog):
    image, truth = _photo(scene)
    products = of_kind(truth, keys.PRODUCT)[:1]
    recognizer.rule.min_score = 0.0
    [before], memory = recognizer.recognize_with_memory([image], [products], ["cam-1"])
    label = field_values(before, keys.SKU)[0]
    target = next(s for s in catalog.sku_ids if s != label)
    x1, y1, x2, y2 = (int(round(v)) for v in products.xyxy[0])
    weights = [p.clone() for p in recognizer.encoder.model.parameters()]
    recognizer.add_reference(target, image[y1:y2, x1:x2])
    # the camera's memory of the crop is stale now: it is named again
    [after], _ = recognizer.recognize_with_memory([image], [products], ["cam-1"], memory)
    assert field_values(after, keys.SKU)[0] == target
    assert field_values(after, keys.BRAND)[0] == catalog.sku(target).brand
    assert len(recognizer.gallery) == 1
    assert all(torch.equal(a, b) for a, b in
               zip(weights, recognizer.encoder.model.parameters(), strict=True))


def test_gallery_folder_is_loaded_and_cached(tiny_clip, tmp_path, catalog, scene):
    from PIL import Image

    from pipeline.vision.recognizer import Recognizer

    image, truth = _photo(scene)
    x1, y1, x2, y2 = (int(round(v)) for v in of_kind(truth, keys.PRODUCT).xyxy[0])
    for sku in catalog.sku_ids[:2] + ["not-a-sku"]:
        (tmp_path / "g" / sku).mkdir(parents=True)
        Image.fromarray(image[y1:y2, x1:x2]).save(tmp_path / "g" / sku / "1.jpg")
    (tmp_path / "g" / catalog.sku_ids[0] / "broken.jpg").write_bytes(b"not a photo")
    rec = Recognizer.load(tiny_clip, catalog, device="cpu", gallery=[tmp_path / "g"])
    assert sorted(rec.gallery.skus) == sorted(catalog.sku_ids[:2])
    again = Recognizer.load(tiny_clip, catalog, device="cpu", gallery=[tmp_path / "g"])
    assert torch.allclose(rec.gallery.embeddings, again.gallery.embeddings)


def test_below_the_threshold_a_product_is_unknown(recognizer, scene):
    image, truth = _photo(scene)
    recognizer.rule.min_score = 1.01
    [named] = recognizer.recognize([image], [truth])
    products = of_kind(named, keys.PRODUCT)
    assert set(field_values(products, keys.SKU)) == {keys.UNKNOWN}
    assert set(field_values(products, keys.BRAND)) == {None}
    assert set(field_values(products, keys.CATEGORY)) == {None}


def _run(recognizer, image, det, camera, memory):
    """The recognizer as an engine stage: one photo of ``camera`` with ``memory``."""
    from pipeline.vision.stage import Batch

    batch = recognizer.run(Batch.of([image], [det], cameras=[camera], memory=memory))
    return batch.detections[0], batch.memory


def test_unchanged_crops_reuse_labels_changed_ones_are_named_again(recognizer, scene):
    """The camera memory goes in and out of each call: the recognizer keeps none, so a call's
    result depends on the memory it is given, never on the calls before it."""
    image, truth = _photo(scene)
    n = len(of_kind(truth, keys.PRODUCT))
    first, seen = _run(recognizer, image, truth, "c1", {})
    assert recognizer.stats["reused"] == 0 and len(seen["recognize"]) == 1
    again, _ = _run(recognizer, image, truth, "c1", seen)
    assert recognizer.stats["reused"] == n
    assert list(field_values(again, keys.SKU)) == list(field_values(first, keys.SKU))
    _run(recognizer, image, truth, "c1", {})
    assert recognizer.stats["reused"] == 0  # the same call without the memory: no reuse
    changed = image.copy()
    x1, y1, x2, y2 = (int(round(v)) for v in of_kind(truth, keys.PRODUCT).xyxy[0])
    changed[y1:y2, x1:x2] = 255 - changed[y1:y2, x1:x2]
    _run(recognizer, changed, truth, "c1", seen)
    assert recognizer.stats["reused"] == n - 1
    _run(recognizer, image, truth, "another-camera", seen)
    assert recognizer.stats["reused"] == 0
    _, kept = _run(recognizer, image, truth, None, seen)
    assert kept["recognize"] is seen["recognize"]  # no camera: nothing remembered


def test_precision_choice_is_validated(tiny_clip, catalog):
    from pipeline.errors import ShelfAuditError
    from pipeline.vision.recognizer import Recognizer

    with pytest.raises(ShelfAuditError, match="precision"):
        Recognizer.load(tiny_clip, catalog, device="cpu", precision="fp8")
    rec = Recognizer.load(tiny_clip, catalog, device="cpu", precision="int8")
    assert any("quantized" in type(m).__module__ for m in rec.encoder.model.vision_model.modules())


def test_camera_memory_refuses_a_small_strong_change_and_compares_in_place():
    """Mean difference within tolerance but one value far off (another digit, a sticker):
    not the same crop. recall_in_place compares pixels at the remembered box."""
    import torch

    from pipeline.vision.reuse import CameraMemory

    empty = CameraMemory(tolerance=8.0, peak=64.0)
    boxes = np.array([[10, 10, 50, 90], [60, 10, 100, 90]], np.float32)
    thumbs = torch.full((2, 432), 100.0)
    memory = empty.remember("c", boxes, thumbs, np.array(["a", "b"], dtype=object))
    assert len(empty) == 0 and len(memory) == 1  # a value: remembering gives a new one
    now = thumbs.clone()
    now[1, 7] = 200.0  # mean difference 0.23, peak 100
    match, seen = memory.recall("c", boxes + 1.0, now)
    assert list(match) == [0, -1] and seen[match[0]] == "a"
    asked = []

    def at(where):
        asked.append(where.copy())
        return thumbs[: len(where)]

    match, _ = memory.recall_in_place("c", boxes + 1.0, at)
    assert list(match) == [0, 1]
    np.testing.assert_array_equal(asked[0], boxes)  # cut where the tags were last time


def test_camera_memories_that_went_two_ways_are_merged_by_camera():
    """Two batches inspected at once start from one memory; the inspector joins what each
    remembered of its own cameras (oldest camera forgotten beyond max_cameras)."""
    import torch

    from pipeline.vision.reuse import CameraMemory

    box = np.array([[0, 0, 10, 10]], np.float32)

    def seen(memory, camera, text):
        return memory.remember(camera, box, torch.zeros((1, 4)), np.array([text], dtype=object))

    start = seen(CameraMemory(max_cameras=3), "old", "o")
    one, two = seen(start, "a", "a1"), seen(seen(start, "b", "b1"), "a", "stale")
    both = start.merged(one, ["a"]).merged(two, ["b"])
    assert len(both) == 3 and both.recall("a", box, torch.zeros((1, 4)))[1][0] == "a1"
    assert both.recall("b", box, torch.zeros((1, 4)))[1][0] == "b1"
    fuller = both.merged(seen(both, "c", "c1"), ["c"])
    assert len(fuller) == 3 and fuller.recall("old", box, torch.zeros((1, 4)))[1] is None


def test_int8_close_calls_are_rechecked_in_fp32(tiny_clip, catalog, scene):
    """The int8 tower names crops; those whose two best SKUs are closer than int8 could move
    them are named again by the fp32 twin, so the labels equal an fp32 model's."""
    from pipeline.vision.recognizer import Recognizer

    fp32 = Recognizer.load(tiny_clip, catalog, device="cpu", precision="fp32")
    int8 = Recognizer.load(tiny_clip, catalog, device="cpu", precision="int8")
    assert fp32.recheck is None and int8.recheck is not None
    assert not any("quantized" in type(m).__module__
                   for m in int8.recheck.model.vision_model.modules())  # the twin is fp32
    for rec in (fp32, int8):
        rec.rule.min_score = 0.0  # random weights: argmax only (as the benchmark does)
        rec.facing_tolerance = 0.0
    image, truth = _photo(scene)
    want = field_values(fp32.recognize([image], [truth])[0], keys.SKU)
    got = field_values(int8.recognize([image], [truth])[0], keys.SKU)
    assert list(got) == list(want)
    assert 0 < int8.stats["rechecked"] <= int8.stats["classified"]
    assert int8.recheck_margin is not None and int8.recheck_margin > 0


def test_a_sliver_box_does_not_blow_up_the_resize(scene):
    from transformers import CLIPImageProcessor

    from pipeline.vision.crops import CropSpec, cut_crops

    spec = CropSpec.from_processor(CLIPImageProcessor(size={"shortest_edge": 224},
                                                      crop_size=224), 224)
    image, _ = _photo(scene)
    slivers = np.array([[10, 100, 790, 102], [400, 0, 401, 599]], np.float32)  # 390:1, 1:600
    batch = cut_crops([image], [slivers], spec).pixels
    assert batch.shape == (2, 3, 224, 224) and torch.isfinite(batch).all()


def test_models_settings_turn_the_empty_shelf_class_on(tiny_clip, catalog):
    from pipeline.vision.config import ModelsConfig
    from pipeline.vision.recognizer import Recognizer

    assert not Recognizer.load(tiny_clip, catalog, device="cpu").rule.empty_class
    config = ModelsConfig(empty_class=True, gallery=[])
    assert Recognizer.load(tiny_clip, catalog, device="cpu", config=config).rule.empty_class
