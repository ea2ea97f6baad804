"""The shelf-structure step: rows, shelf per box and gaps found once, kept with the result, and
found anew (never reused) when stored detections are judged again."""

from __future__ import annotations

import json

import pytest

from pipeline import keys
from pipeline.detections import PhotoDetections, field_values
from pipeline.rules.engine import evaluate
from pipeline.rules.structure import (
    ShelfStructure,
    shelf_structure,
    stored_rows,
    structure_of,
    with_structure,
)
from tests.factories.shelves import CHIPS, COLA, KING, ROW_H, layout, without_shelf

ROWS = [[COLA] * 6 + [KING] * 4, [CHIPS] * 8]


def _stored(photo: PhotoDetections, result) -> PhotoDetections:
    """What the store keeps (detections JSON with the verdict's structure), read back."""
    payload = with_structure(photo.to_dict(), result.to_dict()["structure"])
    return PhotoDetections.from_dict(json.loads(json.dumps(payload)))


def _verdict(result) -> dict:
    return {k: v for k, v in result.to_dict().items() if k != "structure"}


def test_the_step_gives_each_box_a_shelf_adds_marked_gaps_and_the_rows(catalog):
    shelf = layout(ROWS, catalog, actual={(1, 9): None, (2, 3): None})
    photo = without_shelf(shelf.photo)
    step = shelf_structure(photo, shelf.planogram)
    assert [r.index for r in step.rows] == [1, 2]
    assert [r.line for r in step.rows] == [ROW_H, 2 * ROW_H]
    det = step.photo.detections
    kinds, inferred = field_values(det, keys.KIND), field_values(det, keys.INFERRED)
    assert len(det) == len(photo.detections) + 2
    assert list(kinds[-2:]) == [keys.GAP, keys.GAP] and list(inferred[-2:]) == [True, True]
    assert all(v is None for v in inferred[:-2])
    assert sorted(field_values(det, keys.SHELF)[-2:]) == [1, 2]
    assert step.structure.shelves == tuple(field_values(det, keys.SHELF)[:-2])
    assert [s for _, s in step.structure.gaps] == list(field_values(det, keys.SHELF)[-2:])
    assert keys.SHELF not in photo.detections.data  # the input is not changed
    assert step.photo.extra[keys.SHELF_ROWS][0]["shelf"] == 1


def test_the_result_carries_the_structure_the_rules_used(catalog, rule):
    shelf = layout(ROWS, catalog, actual={(1, 2): None})
    photo = without_shelf(shelf.photo)
    result = evaluate(photo, [rule("max_gaps")], catalog, shelf.planogram)
    (gap_box, gap_shelf), = result.structure.gaps
    assert result.violations[0].boxes[0] == gap_box and gap_shelf == 1
    assert len(result.structure.rows) == result.shelves == 2
    doc = result.to_dict()["structure"]
    assert ShelfStructure.from_dict(json.loads(json.dumps(doc))) == result.structure


def test_stored_detections_keep_shelves_gaps_and_rows(catalog, rule):
    shelf = layout(ROWS, catalog, actual={(1, 2): None})
    photo = without_shelf(shelf.photo)
    result = evaluate(photo, [rule("max_gaps")], catalog, shelf.planogram)
    payload = with_structure(photo.to_dict(), result.to_dict()["structure"])
    boxes = payload["detections"]
    assert [b["shelf"] for b in boxes[:-1]] == list(result.structure.shelves)
    assert boxes[-1] == {"box": [round(v, 1) for v in result.structure.gaps[0][0]],
                         "kind": "gap", "score": 1.0, "shelf": 1, "inferred": True}
    assert [r["shelf"] for r in payload["shelf_rows"]] == [1, 2]
    assert payload["shelf_rows"][1]["line"] == 2 * ROW_H
    assert with_structure(payload, result.structure) == payload  # applied twice: the same


@pytest.mark.parametrize("planned", [True, False])
def test_judging_stored_detections_again_gives_the_same_verdict(catalog, rule, planned):
    shelf = layout(ROWS, catalog, actual={(1, 2): None, (1, 9): None})
    rules = [rule("max_gaps"), rule("planogram_position")]
    plan = shelf.planogram if planned else None
    first = evaluate(without_shelf(shelf.photo), rules, catalog, plan)
    again = evaluate(_stored(without_shelf(shelf.photo), first), rules, catalog, plan)
    assert again.to_dict() == first.to_dict()


def test_a_changed_planogram_finds_the_gaps_anew_instead_of_reusing_stored_ones(catalog, rule):
    """The empty end of shelf 1 is a gap only against the planogram: judged again without it
    (or with another one), the stored gap must not count."""
    shelf = layout(ROWS, catalog, actual={(1, 9): None})
    photo = without_shelf(shelf.photo)
    with_plan = evaluate(photo, [rule("max_gaps")], catalog, shelf.planogram)
    assert len(with_plan.violations) == 1
    stored = _stored(photo, with_plan)
    without_plan = evaluate(stored, [rule("max_gaps")], catalog, None)
    assert without_plan.passed and without_plan.structure.gaps == ()
    assert _verdict(without_plan) == _verdict(evaluate(photo, [rule("max_gaps")], catalog))
    shorter = layout([[COLA] * 6 + [KING] * 3, [CHIPS] * 8], catalog).planogram
    assert evaluate(stored, [rule("max_gaps")], catalog, shorter).passed


def test_a_detector_s_gap_boxes_are_kept_and_none_are_inferred(catalog, rule):
    shelf = layout(ROWS, catalog, actual={(1, 2): None, (1, 9): None})
    doc = without_shelf(shelf.photo).to_dict()
    doc["detections"].append({"box": [148, 50, 208, 200], "kind": "gap", "score": 0.9})
    photo = PhotoDetections.from_dict(doc)
    result = evaluate(photo, [rule("max_gaps")], catalog, shelf.planogram)
    assert result.structure.gaps == ()
    assert [v.boxes[0] for v in result.violations] == [(148, 50, 208, 200)]
    again = evaluate(_stored(photo, result), [rule("max_gaps")], catalog, None)
    assert [v.boxes[0] for v in again.violations] == [(148, 50, 208, 200)]


def test_pictures_read_the_stored_rows_and_find_them_for_older_inspections(catalog, rule):
    shelf = layout(ROWS, catalog, actual={(1, 2): None})
    photo = without_shelf(shelf.photo)
    result = evaluate(photo, [rule("max_gaps")], catalog, shelf.planogram)
    doc = with_structure(photo.to_dict(), result.structure)
    doc["shelf_rows"][0]["line"] = 123.0  # what was stored is drawn, not found again
    kept = structure_of(PhotoDetections.from_dict(doc))
    assert [r.line for r in kept.rows] == [123.0, 2 * ROW_H]
    assert kept.structure.gaps == result.structure.gaps
    older = structure_of(photo)  # stored before: found from its boxes, without a planogram
    assert [r.line for r in older.rows] == [ROW_H, 2 * ROW_H]
    assert stored_rows(older.photo) == older.rows


@pytest.mark.parametrize("bad", [{"rows": [{"line": 3}]}, {"gaps": [{"box": [1, 2]}]},
                                 {"shelves": ["two"]}, {"gaps": "x"}])
def test_a_malformed_structure_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="not a"):
        ShelfStructure.from_dict(bad)
