"""Writing datasets: files, YOLO/COCO exports loadable by supervision, the CLI."""

from __future__ import annotations

import json

import pytest
import supervision as sv
from typer.testing import CliRunner

from pipeline import detections, keys
from pipeline.cli import app
from pipeline.synth import write_dataset
from pipeline.synth.export import is_val


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, catalog):
    out = tmp_path_factory.mktemp("synth")
    paths = write_dataset(catalog, out, scenes=5, seed=3, width=640, progress=False)
    return out, paths


def test_dataset_files(dataset):
    out, paths = dataset
    assert len(paths) == 5 and all(p.exists() and p.suffix == ".jpg" for p in paths)
    for p in paths:
        doc = json.loads((out / "truth" / f"{p.stem}.json").read_text(encoding="utf-8"))
        assert doc["path"] == f"images/{p.name}"
        assert {"faults", "planogram", "seed", "detections", "width", "height"} <= set(doc)
        assert doc["planogram"]["shelves"]
    photos = detections.load(out / "detections.json")
    assert [p.path for p in photos] == [f"images/{p.name}" for p in paths]
    assert all(len(p.detections) > 10 for p in photos)


def test_yolo_export_loads_with_supervision(dataset):
    out, _ = dataset
    photos = {p.path.split("/")[-1]: p for p in detections.load(out / "detections.json")}
    total = 0
    for split in ("train", "val"):
        ds = sv.DetectionDataset.from_yolo(
            images_directory_path=str(out / "yolo" / "images" / split),
            annotations_directory_path=str(out / "yolo" / "labels" / split),
            data_yaml_path=str(out / "yolo" / "data.yaml"))
        assert ds.classes == list(keys.DETECTOR_CLASSES)
        for path, _image, det in ds:
            truth = photos[path.replace("\\", "/").split("/")[-1]].detections
            kinds = detections.field_values(truth, keys.KIND)
            assert len(det) == int((kinds != keys.GAP).sum())
            for cls, name in enumerate(keys.DETECTOR_CLASSES):
                assert int((det.class_id == cls).sum()) == int((kinds == name).sum())
        total += len(ds)
    assert total == 5
    assert len(list((out / "yolo" / "images" / "val").iterdir())) == 1


def test_coco_export_loads_with_supervision(dataset):
    out, _ = dataset
    ds = sv.DetectionDataset.from_coco(
        images_directory_path=str(out / "coco" / "images"),
        annotations_path=str(out / "coco" / "annotations.json"))
    assert ds.classes == list(keys.DETECTOR_CLASSES)
    assert len(ds) == 5
    photos = detections.load(out / "detections.json")
    expected = sum(int((detections.field_values(p.detections, keys.KIND) != keys.GAP).sum())
                   for p in photos)
    assert sum(len(det) for _, _, det in ds) == expected


@pytest.mark.parametrize("fraction,n,expected", [(0.2, 10, 2), (0.2, 5, 1), (0.0, 10, 0),
                                                 (0.5, 10, 5)])
def test_validation_split_is_deterministic_and_sized(fraction, n, expected):
    assert sum(is_val(i, fraction) for i in range(n)) == expected


def test_cli_help():
    result = CliRunner().invoke(app, ["synth", "--help"])
    assert result.exit_code == 0
    for option in ("--out", "--scenes", "--seed", "--width", "--fault-rate", "--split", "--json"):
        assert option in result.output


def test_cli_runs_twice_to_identical_files(tmp_path):
    runner = CliRunner()
    trees = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = runner.invoke(app, ["synth", "--out", str(out), "--scenes", "3", "--seed", "1",
                                     "--json"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        assert summary["scenes"] == 3 and summary["objects"]["product"] > 30
        trees.append(_tree(out))
    assert trees[0] == trees[1]
    assert len([k for k in trees[0] if k.startswith("images/")]) == 3


def test_cli_rejects_bad_input(tmp_path):
    result = CliRunner().invoke(app, ["synth", "--out", str(tmp_path / "x"), "--scenes", "0"])
    assert result.exit_code == 2
    file = tmp_path / "file"
    file.write_text("x")
    result = CliRunner().invoke(app, ["synth", "--out", str(file), "--scenes", "1"])
    assert result.exit_code != 0 and "not a folder" in str(result.exception)


def test_rerun_into_the_same_folder_leaves_no_stale_photos(tmp_path, catalog):
    write_dataset(catalog, tmp_path, scenes=3, seed=4, width=640, progress=False)
    (tmp_path / "notes.txt").write_text("mine")
    write_dataset(catalog, tmp_path, scenes=2, seed=4, width=640, progress=False)
    assert len(list((tmp_path / "images").iterdir())) == 2
    assert len(list((tmp_path / "truth").iterdir())) == 2
    yolo = [*(tmp_path / "yolo" / "labels").rglob("*.txt")]
    assert len(yolo) == 2
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_cli_sets_single_fault_rates_and_promo_rate(tmp_path):
    """--fault TYPE=RATE and --promo-rate steer what is rendered (training data for the hard
    cases); bad values are clear errors."""
    runner = CliRunner()

    def run(*extra):
        result = runner.invoke(app, ["synth", "--out", str(tmp_path / "d"), "--scenes", "4",
                                     "--seed", "2", "--width", "640", "--json", *extra])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    none = run("--fault-rate", "0")
    assert none["faults"] == {}
    lying = run("--fault-rate", "0", "--fault", "lying=1", "--promo-rate", "1")
    assert set(lying["faults"]) == {"lying"} and lying["faults"]["lying"] >= 4
    assert lying["objects"]["promo"] > run("--fault-rate", "0", "--promo-rate", "0.05")[
        "objects"].get("promo", 0)
    for bad, words in (("lyin=0.2", "unknown fault type"), ("lying=2", "from 0 to 1")):
        result = runner.invoke(app, ["synth", "--out", str(tmp_path / "e"), "--fault", bad])
        assert result.exit_code != 0 and words in str(result.exception)
