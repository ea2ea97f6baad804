"""The inspection engine: stages in order over a whole batch, timings, provenance, bad photos."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from pipeline import keys
from pipeline.detections import field_values, make_detections
from pipeline.imaging import decode_photo
from pipeline.vision.engine import Inspector
from pipeline.vision.stage import Stage, name_in_domain


class BoxesEverywhere(Stage):
    """Test double for the detector: one product and one price tag per photo."""

    name = "detect"
    version = "boxes-everywhere"

    def __init__(self):
        self.calls: list[int] = []

    def run(self, batch):
        self.calls.append(len(batch))
        return batch.with_detections([make_detections([[1, 1, 20, 30], [1, 32, 20, 40]],
                                                      kind=[keys.PRODUCT, keys.PRICE_TAG])
                                      for _ in batch.images])


class NamesEverythingUnknown(Stage):
    """Test double for the recognizer (the real one lives in pipeline.vision.recognizer)."""

    name = "recognize"
    version = "names-everything-unknown"

    def __init__(self):
        self.calls: list[tuple[int, object]] = []

    def run(self, batch):
        self.calls.append((len(batch), batch.cameras))
        out = []
        for det in batch.detections:
            det = det[np.arange(len(det))]
            det.data[keys.SKU] = np.array(
                [keys.UNKNOWN if k == keys.PRODUCT else None for k in det.data[keys.KIND]],
                dtype=object)
            out.append(det)
        return batch.with_detections(out)


class ReadsNinetyNine(Stage):
    name = "read_text"
    version = "reads-99"

    def __init__(self):
        self.cameras = []

    def run(self, batch):
        self.cameras.append(batch.cameras)
        out = []
        for det in batch.detections:
            det = det[np.arange(len(det))]
            det.data[keys.PRICE] = np.array(
                [9.99 if k == keys.PRICE_TAG else None for k in det.data[keys.KIND]], dtype=object)
            out.append(det)
        return batch.with_detections(out)


def _photo(seed: int, size=(64, 48)):
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (*size[::-1], 3), dtype=np.uint8)).save(buf, "PNG")
    return decode_photo(buf.getvalue(), f"photo-{seed}.png")


def _inspector():
    return Inspector([BoxesEverywhere(), NamesEverythingUnknown(), ReadsNinetyNine()])


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
    assert inspector.recognizer.calls[-1][1] == ("s1/c01", "s2/c01")
    assert inspector.reader.cameras[-1] == ("s1/c01", "s2/c01")
    inspector.inspect([_photo(3)], meta=[{"path": "upload.jpg"}])
    assert inspector.reader.cameras[-1] == (None,)  # an ad-hoc photo: no camera, no reuse


def test_stages_can_be_left_out():
    (result,) = Inspector([BoxesEverywhere()]).inspect([_photo(3)])
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


class Named(Stage):
    """Test double for the recognizer: names every product ``colaco-cola-330`` at 1.0 on the
    photos in the models' domain (as the real one does, with name_in_domain)."""

    name = "recognize"
    version = "named"

    def __init__(self):
        self.seen = 0

    def run(self, batch):
        return name_in_domain(batch, self._name)

    def _name(self, batch):
        self.seen += len(batch)
        out = []
        for det in batch.detections:
            det = det[np.arange(len(det))]
            products = det.data[keys.KIND] == keys.PRODUCT
            det.data[keys.SKU] = np.where(products, "colaco-cola-330", None).astype(object)
            det.data[keys.SKU_SCORE] = np.where(products, 1.0, None).astype(object)
            out.append(det)
        return batch.with_detections(out)


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
    inspector = Inspector([BoxesEverywhere(), recognizer], domain=FirstPhotoForeign())
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

    inspector = Inspector([BoxesEverywhere(), Named()])
    (result,) = inspector.inspect([Photo(Image.fromarray(noise_images[0]), "h", "p.jpg",
                                         "JPEG")])
    assert result.extra["out_of_domain"] is False
    assert result.extra["domain_reason"].startswith("not checked")


class Visits:
    """Test double for a camera memory: how often each camera was seen."""

    def __init__(self, counts=None):
        self.counts = dict(counts or {})

    def merged(self, newer, cameras):
        return Visits({**self.counts, **{c: newer.counts[c] for c in cameras
                                         if c in newer.counts}})


class CountsVisits(Stage):
    """Test double for a stage with camera memory: writes each photo's earlier visits."""

    name = "visits"

    def run(self, batch):
        memory = batch.memory.get(self.name) or Visits()
        counts = dict(memory.counts)
        out = []
        for det, camera in zip(batch.detections, batch.cameras, strict=True):
            det = det[np.arange(len(det))]
            det.data["visits"] = np.full(len(det), counts.get(camera, 0), dtype=object)
            out.append(det)
            if camera is not None:
                counts[camera] = counts.get(camera, 0) + 1
        return batch.with_detections(out).remembering(self.name, Visits(counts))


def _visits(result):
    return int(field_values(result.detections, "visits")[0])


def test_the_inspector_keeps_each_cameras_memory_between_calls():
    inspector = Inspector([BoxesEverywhere(), CountsVisits()])
    cam = [{"store": "s1", "camera": "c1"}]
    assert [_visits(r) for r in inspector.inspect([_photo(1)], meta=cam)] == [0]
    assert [_visits(r) for r in inspector.inspect([_photo(1)], meta=cam)] == [1]
    assert _visits(inspector.inspect([_photo(1)])[0]) == 0  # no camera: nothing recalled
    assert inspector.memory["visits"].counts == {"s1/c1": 2}  # ... nor remembered
    other = [{"store": "s2", "camera": "c1"}]  # camera ids repeat across stores
    assert _visits(inspector.inspect([_photo(1)], meta=other)[0]) == 0


def test_batches_inspected_at_once_each_keep_their_cameras():
    """Two batches start from one memory; neither undoes what the other remembered."""
    inspector = Inspector([BoxesEverywhere(), CountsVisits()])
    inspector.memory = {"visits": Visits({"s/a": 1, "s/b": 1})}
    start = inspector.memory
    first = inspector.stages[1].run(_batch(["s/a"], start))
    second = inspector.stages[1].run(_batch(["s/b"], start))
    inspector.keep_memory(first.memory, ["s/a"], started_from=start)
    inspector.keep_memory(second.memory, ["s/b"], started_from=start)
    assert inspector.memory["visits"].counts == {"s/a": 2, "s/b": 2}


def _batch(cameras, memory):
    from pipeline.vision.stage import Batch

    images = [np.zeros((8, 8, 3), np.uint8) for _ in cameras]
    return Batch.of(images, [make_detections([[0, 0, 4, 4]], kind=keys.PRODUCT)] * len(cameras),
                    cameras=cameras, memory=memory)


class Shapes:
    """Test double for a loaded recognizer, as engine_stages uses it."""

    name = "recognize"

    def upright_aspect(self, sku):
        return 0.5


@pytest.mark.parametrize(("settings", "recognizer", "expected"), [
    ({}, True, ["detect", "recognize", "confirm_faint", "merge_fragments", "read_text"]),
    ({"faint_product_conf": None}, True, ["detect", "recognize", "merge_fragments",
                                          "read_text"]),
    ({}, False, ["detect", "drop_faint", "read_text"]),
    ({"faint_product_conf": None}, False, ["detect", "read_text"]),
])
def test_the_models_config_names_the_steps(settings, recognizer, expected):
    from pipeline.vision.config import ModelsConfig
    from pipeline.vision.engine import engine_stages
    from pipeline.vision.fragments import MergeLyingFragments

    stages = engine_stages(ModelsConfig(**settings), BoxesEverywhere(),
                           Shapes() if recognizer else None, reader=ReadsNinetyNine())
    assert [stage.name for stage in stages] == expected
    merge = next((s for s in stages if isinstance(s, MergeLyingFragments)), None)
    assert merge is None or merge.upright_aspect("any") == 0.5  # the recognizer's shapes


def test_stage_names_must_differ():
    with pytest.raises(ValueError, match="differ"):
        Inspector([BoxesEverywhere(), ReadsNinetyNine(), ReadsNinetyNine()])


# What runs when photos are inspected: every vision module, and the scheduled runs' path to them.
RUN_TIME = ("pipeline.vision.engine", "pipeline.inbox.inspectors", "pipeline.inbox.runner",
            "pipeline.inbox.jobs", "pipeline.schedule.scheduler")


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
    assert "pipeline.vision.recognizer" in loaded and "pipeline.inbox.runner" in loaded
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
