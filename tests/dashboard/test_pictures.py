"""Annotated photos draw the shelf rows and gaps kept with the inspection — what the rules
used — and find them from the boxes for an inspection stored before they were kept."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from pipeline import keys
from pipeline.dashboard import pictures
from pipeline.detections import PhotoDetections
from pipeline.rules.structure import shelf_structure, with_structure
from pipeline.vision.annotate import annotate

# one shelf; the empty span 84-140 is a gap against its neighbours (no planogram needed)
OLDER = {"path": "", "width": 200, "height": 240, "detections": [
    {"box": [0, 50, 40, 200], "kind": "product", "score": 0.9, "sku": "colaco-cola-330"},
    {"box": [44, 50, 84, 200], "kind": "product", "score": 0.9, "sku": "colaco-cola-330"},
    {"box": [140, 50, 180, 200], "kind": "product", "score": 0.9, "sku": "colaco-cola-330"}]}
LAYERS = tuple(pictures.LAYERS)


def _blank() -> Image.Image:
    return Image.new("RGB", (200, 240), "white")


def _same(a: Image.Image, b: Image.Image) -> bool:
    return np.array_equal(np.asarray(a), np.asarray(b))


def test_shelf_rows_are_a_layer_of_their_own_with_a_legend_word():
    assert pictures.LAYERS[keys.SHELF_ROWS] == "Shelf rows"


def test_an_older_inspection_is_drawn_with_rows_and_gaps_found_from_its_boxes():
    older = PhotoDetections.from_dict(OLDER)
    found = shelf_structure(older)
    assert len(found.structure.gaps) == 1 and len(found.rows) == 1
    drawn = pictures.draw(_blank(), older)
    assert _same(drawn, annotate(_blank(), found.photo, layers=LAYERS))
    assert not _same(drawn, annotate(_blank(), older, layers=LAYERS))


def test_a_stored_structure_is_drawn_as_kept_not_found_again():
    stored = with_structure(OLDER, shelf_structure(PhotoDetections.from_dict(OLDER)).structure)
    stored["shelf_rows"][0]["line"] = 120.0  # not where the boxes would put it
    photo = PhotoDetections.from_dict(stored)
    assert _same(pictures.draw(_blank(), photo), annotate(_blank(), photo, layers=LAYERS))


def test_a_verdict_s_structure_is_drawn_for_a_photo_not_stored_yet():
    older = PhotoDetections.from_dict(OLDER)
    verdict = shelf_structure(older).structure.to_dict()
    verdict["gaps"] = []  # the rules found none (e.g. a planogram plans the space empty)
    drawn = pictures.draw(_blank(), older, structure=verdict)
    expected = PhotoDetections.from_dict(with_structure(OLDER, verdict))
    assert _same(drawn, annotate(_blank(), expected, layers=LAYERS))
    assert not _same(drawn, pictures.draw(_blank(), older))


def test_scaled_down_pictures_keep_the_rows_in_place():
    stored = with_structure(OLDER, shelf_structure(PhotoDetections.from_dict(OLDER)).structure)
    with_rows, _ = pictures.render_jpeg(None, stored, (), LAYERS, max_side=100)
    no_rows = tuple(k for k in LAYERS if k != keys.SHELF_ROWS)
    without, _ = pictures.render_jpeg(None, stored, (), no_rows, max_side=100)
    a = np.asarray(Image.open(io.BytesIO(with_rows)).convert("L"), dtype=int)
    b = np.asarray(Image.open(io.BytesIO(without)).convert("L"), dtype=int)
    changed = np.argwhere(np.abs(a - b) > 60)
    assert a.shape == (100, 83) and len(changed)
    line = 100 * 200 / 240  # the shelf line, scaled like the photo
    assert np.all(np.abs(changed[:, 0] - line) <= 8)
