"""The engine: KPIs, the compliance score, determinism, a JSON-ready result, pure input."""

from __future__ import annotations

import copy
import json

import pytest

from pipeline import keys
from pipeline.detections import PhotoDetections, field_values
from pipeline.rules.engine import evaluate
from pipeline.rules.result import RuleOutcome, compliance_score
from tests.factories.shelves import CHIPS, COLA, KING, LEMON, layout, without_shelf

ROWS = [[COLA] * 4 + [LEMON] * 4, [CHIPS] * 6 + [KING] * 4]


@pytest.mark.parametrize(
    ("outcomes", "score"),
    [
        ([("high", 1, 1)], 100.0),
        ([("high", 1, 0), ("low", 1, 1)], 25.0),            # (3*0 + 1*1) / 4
        ([("medium", 10, 9), ("medium", 1, 1)], 95.0),      # partial credit within a rule
        ([("high", 0, 0), ("low", 2, 1)], 50.0),            # not applicable: left out
        ([("high", 0, 0)], None),
    ],
)
def test_compliance_score_is_severity_weighted(outcomes, score):
    rows = [RuleOutcome(f"r{i}", "t", sev, checks, passed)
            for i, (sev, checks, passed) in enumerate(outcomes)]
    assert compliance_score(rows) == score


def test_kpis(catalog, rule, judge):
    shelf = layout(ROWS, catalog, actual={(1, 1): None, (2, 0): "unknown"},
                   prices={(1, LEMON): 9.9}, promos={(1, COLA): "特价", (2, KING): "NEW"},
                   no_promo=[(2, KING)])
    result = judge(shelf, rule("max_gaps"), rule("price_match"))
    k = result.kpis
    assert k.facings == {COLA: 3, LEMON: 4, CHIPS: 5, KING: 4, keys.UNKNOWN: 1}
    assert k.osa == pytest.approx(100 * 16 / 18, abs=0.1)        # 16 of 18 planned facings
    assert k.share_of_shelf == {"chipking": 25.0, "colaco": 18.8, "crunchy": 31.2,
                                "fizzup": 25.0}
    assert k.price == 75.0                                        # 3 of 4 tags right
    assert k.promo == 50.0
    assert k.compliance == 37.5  # both medium: (2 x 0 + 2 x 3/4) / 4


def test_osa_without_planogram_uses_gap_width(catalog, rule, judge):
    shelf = layout([[COLA] * 10], catalog, actual={(1, 4): None})
    result = judge(shelf, rule("max_gaps"), planogram=False)
    assert 85.0 < result.kpis.osa < 95.0


def test_result_is_json_ready_and_deterministic(catalog, rule, judge):
    shelf = layout(ROWS, catalog, actual={(1, 2): LEMON, (2, 3): None}, lying=[(2, 8)])
    rules = [rule(t, **p) for t, p in [("max_gaps", {}), ("orientation", {}),
                                         ("forbidden_product", {"forbid": "competitors"})]]
    first = judge(shelf, *rules).to_dict()
    assert json.loads(json.dumps(first, ensure_ascii=False)) == first
    assert judge(shelf, *rules).to_dict() == first
    assert first["passed"] is False and first["shelves"] == 2
    assert {v["type"] for v in first["violations"]} == {"max_gaps", "orientation",
                                                         "forbidden_product"}
    assert all(len(b) == 4 for v in first["violations"] for b in v["boxes"])


def test_input_is_not_changed(catalog, rule):
    shelf = layout(ROWS, catalog, actual={(1, 2): None})
    photo = without_shelf(shelf.photo)
    before = copy.deepcopy(photo.to_dict())
    evaluate(photo, [rule("max_gaps")], catalog, shelf.planogram)
    assert photo.to_dict() == before
    assert keys.SHELF not in photo.detections.data


def test_disabled_rules_are_skipped(catalog, rule, judge):
    shelf = layout(ROWS, catalog, actual={(1, 2): None})
    result = judge(shelf, rule("max_gaps", enabled=False), rule("orientation"))
    assert [o.type for o in result.outcomes] == ["orientation"]


def test_empty_photo(catalog, rule):
    photo = PhotoDetections("empty.jpg", 640, 480)
    result = evaluate(photo, [rule("max_gaps"), rule("required_product", sku=COLA)], catalog)
    assert result.shelves == 0 and result.kpis.osa is None
    assert [v.type for v in result.violations] == ["required_product"]


def test_store_and_camera_carried(catalog, rule):
    shelf = layout(ROWS, catalog, store="s001", camera="c01")
    result = evaluate(shelf.photo, [rule("max_gaps")], catalog)
    assert (result.store, result.camera) == ("s001", "c01")
    assert list(field_values(shelf.photo.detections, keys.SHELF))[:1] == [1]


def test_odd_values_in_input_do_not_crash(catalog, rule):
    from pipeline.detections import loads

    (photo,) = loads(json.dumps({"path": "odd.jpg", "width": 400, "height": 300, "detections": [
        {"box": [4, 50, 44, 200], "kind": "product", "sku": 5, "shelf": "top",
         "sku_score": "high", "orientation": 1},
        {"box": [50, 50, 90, 200], "kind": "product", "sku": COLA, "brand": ["x"]},
        {"box": [0, 204, 40, 220], "kind": "price_tag", "price": "abc", "text": 3.5},
        {"box": [100, 10, 140, 30], "kind": "promo", "text": None},
        {"box": [200, 10, 240, 30], "kind": "banana"}]}))
    rules = [rule(t) for t in ("max_gaps", "orientation", "unknown_product", "price_tag_present",
                               "price_match", "promo_present", "planogram_position")]
    result = evaluate(photo, rules, catalog)
    # sku 5 is unrecognised; the tag under it belongs to no SKU block
    assert [v.type for v in result.violations] == ["unknown_product", "price_tag_present"]
    json.dumps(result.to_dict())
