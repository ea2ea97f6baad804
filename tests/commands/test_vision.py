"""``shelfaudit inspect`` and ``shelfaudit eval`` as a user runs them (exit codes, outputs)."""

from __future__ import annotations

import json
import sys

import pytest

from pipeline import keys
from pipeline.settings import STARTER_MODELS_DIR

STARTER_DETECTOR = STARTER_MODELS_DIR / "detector.pt"
needs_starter = pytest.mark.skipif(not STARTER_DETECTOR.exists(),
                                   reason="models/detector.pt is not committed yet")


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run the console script's entry point; returns (exit code, stdout, stderr)."""
    from pipeline import cli

    monkeypatch.setattr(sys, "argv", ["shelfaudit", *map(str, args)])
    with pytest.raises(SystemExit) as done:
        cli.main()
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out, out.err


@pytest.fixture(scope="module")
def shelf_photo(tmp_path_factory, catalog):
    from pipeline.synth import render_scene

    scene = render_scene(catalog, seed=31, width=1280)
    path = tmp_path_factory.mktemp("photos") / "shelf.jpg"
    scene.image.save(path, quality=scene.jpeg_quality)
    return path, scene.truth


@needs_starter
def test_inspect_a_synthetic_shelf(monkeypatch, capsys, shelf_photo, tmp_path, catalog):
    """The starter models find products with SKUs and orientation, and tags with prices."""
    path, truth = shelf_photo
    code, out, err = run_cli(monkeypatch, capsys, "inspect", path, "--json",
                             "--annotate", tmp_path / "annotated")
    assert code == 0, err
    (photo,) = json.loads(out)["photos"]
    assert (photo["width"], photo["height"]) == (truth.width, truth.height)
    rows = photo["detections"]
    products = [r for r in rows if r["kind"] == keys.PRODUCT]
    tags = [r for r in rows if r["kind"] == keys.PRICE_TAG]
    true_products = int((truth.detections.data[keys.KIND] == keys.PRODUCT).sum())
    assert len(products) >= 0.8 * true_products
    named = [r for r in products if r.get("sku") in catalog.sku_ids]
    assert len(named) >= 0.8 * len(products)
    assert all(r["orientation"] in keys.ORIENTATIONS for r in products)
    true_prices = {round(p, 2) for p, k in zip(truth.detections.data[keys.PRICE],
                                               truth.detections.data[keys.KIND], strict=True)
                   if k == keys.PRICE_TAG}
    read = [r["price"] for r in tags if r.get("price") is not None]
    assert read and sum(p in true_prices for p in read) >= 0.8 * len(read)
    assert photo["models"]["detector"].startswith("detector.pt")
    assert set(photo["timings"]) >= {"detect_s", "recognize_s", "read_text_s", "total_s"}
    assert (tmp_path / "annotated" / "shelf.annotated.jpg").stat().st_size > 10_000


@needs_starter
def test_inspect_prints_a_table(monkeypatch, capsys, shelf_photo):
    code, out, _ = run_cli(monkeypatch, capsys, "inspect", shelf_photo[0], "--no-ocr",
                           "--no-recognize")
    assert code == 0 and "shelf.jpg" in out and "products" in out


def test_unreadable_photos_exit_2_with_one_line_each(monkeypatch, capsys, tmp_path,
                                                    tiny_weights):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff garbage")
    code, out, err = run_cli(monkeypatch, capsys, "inspect", bad, tmp_path / "missing.png",
                             "--detector", tiny_weights, "--no-recognize", "--no-ocr")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 3  # one per photo, then the verdict
    assert "bad.jpg" in lines[0] and "missing.png" in lines[1]
    assert "no photo could be read" in lines[2]


def test_some_unreadable_photos_exit_1(monkeypatch, capsys, tmp_path, shelf_photo, tiny_weights):
    code, out, err = run_cli(monkeypatch, capsys, "inspect", shelf_photo[0], tmp_path / "x.jpg",
                             "--detector", tiny_weights, "--no-recognize", "--no-ocr", "--json")
    assert code == 1
    assert len(json.loads(out)["photos"]) == 1 and "x.jpg" in err


def test_missing_detector_is_a_one_line_error(monkeypatch, capsys, shelf_photo, tmp_path):
    code, _, err = run_cli(monkeypatch, capsys, "inspect", shelf_photo[0],
                           "--detector", tmp_path / "nope.pt")
    assert code == 2
    assert err.count("\n") == 1 and "nope.pt" in err and "Traceback" not in err


@needs_starter
def test_eval_reports_metrics_as_json(monkeypatch, capsys, tmp_path, catalog):
    from pipeline.synth import write_dataset

    write_dataset(catalog, tmp_path / "set", scenes=2, seed=41, width=960, progress=False)
    code, out, err = run_cli(monkeypatch, capsys, "eval", "--data", tmp_path / "set", "--json",
                             "--no-recognize", "--no-ocr")
    assert code == 0, err
    report = json.loads(out)
    assert report["format"] == "synthetic" and report["photos"] == 2
    product = report["detection"]["per_kind"][keys.PRODUCT]
    assert product["true_boxes"] > 0 and 0.5 <= product["map50"] <= 1.0
    assert report["attributes"]["sku_top1"] is None  # no recognizer asked for


def test_eval_without_labels_is_a_usage_error(monkeypatch, capsys, tmp_path):
    code, _, err = run_cli(monkeypatch, capsys, "eval", "--data", tmp_path)
    assert code == 2 and "no labeled set found" in err


@needs_starter
def test_inspect_says_why_a_real_photo_has_no_product_names(monkeypatch, capsys):
    """A real photo (needs ../shared): no catalog SKU from the starter models, and the reason."""
    from pathlib import Path

    grocery = Path(__file__).resolve().parents[3] / "shared/data/grocery-store-dataset"
    if not grocery.is_dir():
        pytest.skip("../shared/data/grocery-store-dataset is not here")
    photo = sorted((grocery / "val" / "Packages").rglob("*.jpg"))[0]
    code, out, err = run_cli(monkeypatch, capsys, "inspect", photo, "--no-ocr")
    assert code == 0, err
    assert photo.name in out and "unlike the photos the configured models were trained" in out
    code, out, err = run_cli(monkeypatch, capsys, "inspect", photo, "--no-ocr", "--json")
    (found,) = json.loads(out)["photos"]
    assert found["out_of_domain"] is True
    assert all(r.get("sku") in (None, keys.UNKNOWN) for r in found["detections"]
               if r["kind"] == keys.PRODUCT)


def test_inspect_speaks_chinese(monkeypatch, capsys, tmp_path, shelf_photo, tiny_weights):
    """``SHELFAUDIT_LANG=zh``: the table's title and headings and the one-line errors."""
    monkeypatch.setenv("SHELFAUDIT_LANG", "zh")
    code, out, err = run_cli(monkeypatch, capsys, "inspect", shelf_photo[0], tmp_path / "x.jpg",
                             "--detector", tiny_weights, "--no-recognize", "--no-ocr", "--boxes")
    assert code == 1 and "ShelfAudit 巡检" in out and "shelf.jpg" in out
    for heading in ("照片", "尺寸", "商品", "价签", "促销", "类型", "得分", "详情"):
        assert heading in out, heading
    assert err.startswith("错误：") and "x.jpg" in err
    code, _, err = run_cli(monkeypatch, capsys, "inspect", tmp_path / "x.jpg",
                           "--detector", tiny_weights, "--no-recognize", "--no-ocr")
    assert code == 2 and err.strip().splitlines()[-1] == "错误：没有一张照片能读取"
