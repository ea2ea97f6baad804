"""promo_present: planned promo signs are up (with their text), or a sign with given text."""

from __future__ import annotations

import pytest

from pipeline import keys
from pipeline.planogram import Zone
from tests.factories.shelves import CHIPS, COLA, LEMON, layout

ROWS = [[COLA] * 4 + [LEMON] * 3, [CHIPS] * 5]
PROMOS = {(1, COLA): "特价", (2, CHIPS): "SALE 2 for 1"}


@pytest.mark.parametrize(
    ("hidden", "missing"),
    [([], []), ([(1, COLA)], [COLA]), ([(1, COLA), (2, CHIPS)], [COLA, CHIPS])],
)
def test_planned_promos(catalog, rule, judge, hidden, missing):
    shelf = layout(ROWS, catalog, promos=PROMOS, no_promo=hidden)
    result = judge(shelf, rule("promo_present"))
    assert [v.sku for v in result.violations] == missing
    assert result.outcomes[0].checks == 2
    assert result.kpis.promo == pytest.approx(100.0 * (2 - len(missing)) / 2)


def test_message_and_evidence(catalog, rule, judge):
    shelf = layout(ROWS, catalog, promos=PROMOS, no_promo=[(2, CHIPS)])
    (violation,) = judge(shelf, rule("promo_present")).violations
    assert violation.message == ('Promo sign "SALE 2 for 1" missing over Crunchy Original '
                                 'Chips 70g on shelf 2')
    x0, y0, x1, y1 = violation.boxes[0]
    assert x0 < 50 < x1 and y0 < 400 < y1


def test_sign_with_other_text_does_not_count(catalog, rule, judge):
    shelf = layout(ROWS, catalog, promos=PROMOS)
    texts = shelf.photo.detections.data[keys.TEXT]
    kinds = list(shelf.photo.detections.data[keys.KIND])
    texts[kinds.index(keys.PROMO)] = "NEW"
    assert [v.sku for v in judge(shelf, rule("promo_present")).violations] == [COLA]


def test_ocr_noise_still_matches(catalog, rule, judge):
    shelf = layout(ROWS, catalog, promos=PROMOS)
    texts = shelf.photo.detections.data[keys.TEXT]
    kinds = list(shelf.photo.detections.data[keys.KIND])
    last_promo = len(kinds) - 1 - kinds[::-1].index(keys.PROMO)
    texts[last_promo] = "SALE 2 f0r 1"
    assert judge(shelf, rule("promo_present")).passed


def test_required_text_in_zone(catalog, rule, judge):
    top = Zone(id="top", shelves=(1, 1))
    shelf = layout(ROWS, catalog, promos=PROMOS, zones=[top])
    assert judge(shelf, rule("promo_present", text="特价", planned=False, zone="top")).passed
    (violation,) = judge(shelf, rule("promo_present", text="买一送一", planned=False,
                                     zone="top")).violations
    assert violation.message == 'Promo sign "买一送一" missing in top'


def test_not_applicable_without_planned_promos(catalog, rule, judge):
    outcome = judge(layout(ROWS, catalog), rule("promo_present")).outcomes[0]
    assert not outcome.applicable


@pytest.mark.parametrize(("reading", "found"), [
    ("特", True),  # a misread small sign, nearer to 特价 than to the other planned text
    ("持价", True),
    ("10", False),  # nothing like it
    ("SALE 2", False),  # nearer to the other planned sign's text
])
def test_misread_sign_counts_when_nearest_to_the_wanted_text(catalog, rule, judge, reading,
                                                            found):
    shelf = layout(ROWS, catalog, promos=PROMOS)
    texts = shelf.photo.detections.data[keys.TEXT]
    texts[list(shelf.photo.detections.data[keys.KIND]).index(keys.PROMO)] = reading
    missing = [v.sku for v in judge(shelf, rule("promo_present")).violations]
    assert missing == ([] if found else [COLA])


def test_same_text_rule():
    from pipeline.rules.types.pricing import same_text

    planned = ["买一送一", "限时折扣", "特价", "SALE 2 for 1", "SALE -20%"]
    assert same_text("买一送一", "买一送一 今天")  # contained
    assert same_text("买一送一", "买送", planned)  # similarity 0.67
    assert same_text("限时折扣", "随助折扣", planned)  # 0.5, and nothing else is as near
    assert not same_text("限时折扣", "随助折扣")  # without the planogram's texts: too far
    assert not same_text("SALE -20%", "SALE 2 for", planned)  # nearer to SALE 2 for 1
    assert not same_text("特价", None, planned) and not same_text("特价", "", planned)
