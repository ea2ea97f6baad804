"""The inspection engine: stages in order over a whole batch, timings, provenance, bad photos."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from pipeline import keys
from pipeline.detections import field_values, make_detections
from pipeline.imaging import decode_photo
from pipeline.vision.engine import Inspector


class BoxesEverywhere:
    """Test double for the detector: one product and one price tag per photo."""

    version = "boxes-everywhere"

    def __init__(self):
        self.calls: list[int] = []

    def detect(self, images):
        self.calls.append(len(images))
        return [make_detections([[1, 1, 20, 30], [1, 32, 20, 40]],
                                kind=[keys.PRODUCT, keys.PRICE_TAG]) for _ in images]


class NamesEverythingUnknown:
    """Test double for the recognizer (the real one lives in pipeline.vision.recognizer)."""

    version = "names-everything-unknown"

    def __init__(self):
        self.calls: list[tuple[int, object]] = []

    def recognize(self, images, detections, cameras=None):
        self.calls.append((len(images), cameras))
        out = []
        for det in detections:
            det = det[np.arange(len(det))]
            det.data[keys.SKU] = np.array(
                [keys.UNKNOWN if k == keys.PRODUCT else None for k in det.data[keys.KIND]],
                dtype=object)
            out.append(det)
        return out


class ReadsNinetyNine:
    version = "reads-99"

    def __init__(self):
        self.cameras = []

    def read(self, images, detections, cameras=None):
        self.cameras.append(cameras)
        out = []
        for det in detections:
            det = det[np.arange(len(det))]
            det.data[keys.PRICE] = np.array(
                [9.99 if k == keys.PRICE_TAG else None for k in det.data[keys.KIND]], dtype=object)
            out.append(det)
        return out


def _photo(seed: int, size=(64, 48)):
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (*size[::-1], 3), dtype=np.uint8)).save(buf, "PNG")
    return decode_photo(buf.getvalue(), f"photo-{seed}.png")


def _inspector():
    return Inspector(BoxesEverywhere(), NamesEverythingUnknown(), ReadsNinetyNine())


def test_all_stages_run_once_over_the_whole_batch():
    inspector = _inspector()
    results = inspector.inspect([_photo(i) for i in range(5)])
    assert inspector.detector.calls == [5]
    assert [n for n, _ in inspector.recognizer.calls] == [5]
    assert len(results) == 5
    for result in results:
        det = result.detections
        assert list(field_values(det, keys.SKU)) == [keys.UNKNOWN, None]
        assert list(field_values(det, keys.PRICE)) == [None, 9.99]


def test_results_record_timings_models_and_photo_facts():
    (result,) = _inspector().inspect([_photo(1, size=(80, 40))],
                                     meta=[{"store": "s001", "camera": "c01"}])
    timings = result.extra["timings"]
    assert {"detect_s", "recognize_s", "read_text_s", "total_s"} <= set(timings)
    assert timings["batch"] == 1 and timings["total_s"] >= timings["detect_s"] >= 0
    assert result.extra["models"] == {"detector": "boxes-everywhere",
                                      "recognizer": "names-everything-unknown",
                                      "ocr": "reads-99"}
    assert (result.width, result.height) == (80, 40)
    assert (result.store, result.camera) == ("s001", "c01")
    assert len(result.extra["sha256"]) == 64
    assert result.to_dict()["timings"] == timings  # travels in the detections JSON


def test_cameras_are_told_to_the_recognizer_and_reader_per_store():
    inspector = _inspector()
    inspector.inspect([_photo(1), _photo(2)], meta=[{"store": "s1", "camera": "c01"},
                                                    {"store": "s2", "camera": "c01"}])
    assert inspector.recognizer.calls[-1][1] == ["s1/c01", "s2/c01"]
    assert inspector.reader.cameras[-1] == ["s1/c01", "s2/c01"]
    inspector.inspect([_photo(3)], meta=[{"path": "upload.jpg"}])
    assert inspector.reader.cameras[-1] is None  # an ad-hoc photo: no camera, no reuse


def test_stages_can_be_left_out():
    (result,) = Inspector(BoxesEverywhere()).inspect([_photo(3)])
    assert keys.SKU not in result.detections.data
    assert "recognize_s" not in result.extra["timings"]
    assert result.extra["models"]["recognizer"] is None


def test_unreadable_photos_are_errors_not_crashes(tmp_path):
    good = tmp_path / "good.png"
    _photo(4).image.save(good)
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (tmp_path / "notes.txt").write_text("hello")
    inspector = _inspector()
    found = inspector.inspect_paths(
        [good, tmp_path / "broken.jpg", tmp_path / "notes.txt", tmp_path / "missing.png"])
    assert [p.path for p in found.photos] == [str(good)]
    assert len(found.errors) == 3
    assert all(any(name in e for name in ("broken.jpg", "notes.txt", "missing.png"))
               for e in found.errors)


def test_inspect_paths_works_in_batches(tmp_path):
    paths = []
    for i in range(5):
        paths.append(tmp_path / f"p{i}.png")
        _photo(i).image.save(paths[-1])
    inspector = _inspector()
    found = inspector.inspect_paths(paths, batch=2)
    assert inspector.detector.calls == [2, 2, 1]
    assert [p.path for p in found.photos] == [str(p) for p in paths]


class Named:
    """Test double for the recognizer: names every product ``colaco-cola-330`` at 1.0."""

    version = "named"

    def __init__(self):
        self.seen = 0

    def recognize(self, images, detections, cameras=None):
        self.seen += len(images)
        out = []
        for det in detections:
            det = det[np.arange(len(det))]
            products = det.data[keys.KIND] == keys.PRODUCT
            det.data[keys.SKU] = np.where(products, "colaco-cola-330", None).astype(object)
            det.data[keys.SKU_SCORE] = np.where(products, 1.0, None).astype(object)
            out.append(det)
        return out


class FirstPhotoForeign:
    """Test double for the domain check: the first photo of a batch is out of domain."""

    def applies_to(self, models):
        return True

    def check(self, images):
        from pipeline.vision.domain import DomainVerdict

        return [DomainVerdict(i == 0, "out" if i == 0 else "in", 0.5 if i == 0 else 0.1, 0.3)
                for i in range(len(images))]


def test_out_of_domain_photo_gets_no_product_names(noise_images):
    from pipeline.imaging import Photo

    recognizer = Named()
    inspector = Inspector(BoxesEverywhere(), recognizer)
    inspector.domain = FirstPhotoForeign()
    photos = [Photo(Image.fromarray(img), f"h{i}", f"p{i}.jpg", "JPEG")
              for i, img in enumerate(noise_images[:2])]
    foreign, known = inspector.inspect(photos)
    assert recognizer.seen == 1  # the foreign photo is not even shown to the recognizer
    assert foreign.extra["out_of_domain"] is True
    assert foreign.extra["domain_reason"].startswith("this photo is unlike")
    assert "(distance 0.500 > 0.300)" in foreign.extra["domain_reason"]
    assert foreign.extra["domain_check"] == {"code": "out", "distance": 0.5, "floor": 0.3}
    product = field_values(foreign.detections, keys.KIND) == keys.PRODUCT
    assert list(field_values(foreign.detections, keys.SKU)[product]) == [keys.UNKNOWN]
    assert field_values(foreign.detections, keys.SKU_SCORE)[product][0] is None
    assert known.extra["out_of_domain"] is False
    assert field_values(known.detections, keys.SKU)[product][0] == "colaco-cola-330"
    doc = foreign.to_dict()
    assert doc["out_of_domain"] is True and doc["domain_reason"] == foreign.extra["domain_reason"]


def test_without_a_reference_the_check_says_it_did_not_run(noise_images):
    from pipeline.imaging import Photo

    inspector = Inspector(BoxesEverywhere(), Named())
    (result,) = inspector.inspect([Photo(Image.fromarray(noise_images[0]), "h", "p.jpg",
                                         "JPEG")])
    assert result.extra["out_of_domain"] is False
    assert result.extra["domain_reason"].startswith("not checked")


# What runs when photos are inspected: every vision module, and the scheduled runs' path to them.
RUN_TIME = ("pipeline.vision.engine", "pipeline.store.inspectors", "pipeline.store.runner",
            "pipeline.store.jobs", "pipeline.store.scheduler")


def test_inspecting_imports_nothing_from_the_lab():
    """Training, tuning, evaluation and benchmarks (pipeline.lab) stay out of the run time."""
    import json
    import subprocess
    import sys

    script = (
        "import importlib, json, pkgutil, sys\n"
        "import pipeline.vision as vision\n"
        f"for name in {RUN_TIME!r}: importlib.import_module(name)\n"
        "for info in pkgutil.iter_modules(vision.__path__):\n"
        "    importlib.import_module('pipeline.vision.' + info.name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('pipeline.'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "pipeline.vision.recognizer" in loaded and "pipeline.store.runner" in loaded
    assert [m for m in loaded if m.startswith("pipeline.lab")] == []


def test_no_vision_module_imports_the_lab_even_inside_a_function():
    import ast
    from pathlib import Path

    import pipeline.vision as vision

    found = []
    for path in sorted(Path(vision.__path__[0]).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.name}: {n}" for n in names if n.startswith("pipeline.lab")]
    assert found == []
