"""price_match: a tag's price equals the planned price of the SKU block above it."""

from __future__ import annotations

import pytest

from pipeline import keys
from pipeline.rules.types.pricing import read_price
from tests.factories.shelves import CHIPS, COLA, LEMON, layout

ROWS = [[COLA] * 4 + [LEMON] * 3, [CHIPS] * 5]


@pytest.mark.parametrize(
    ("shown", "tolerance", "passes"),
    [(3.50, 0.0, True), (3.99, 0.0, False), (3.51, 0.01, True), (3.52, 0.01, False),
     (2.80, 1.0, True)],
)
def test_price_against_catalog(catalog, rule, judge, shown, tolerance, passes):
    shelf = layout(ROWS, catalog, prices={(1, COLA): shown})
    result = judge(shelf, rule("price_match", tolerance=tolerance))
    assert result.passed is passes
    assert result.outcomes[0].checks == 3


def test_message_shows_both_prices(catalog, rule, judge):
    shelf = layout(ROWS, catalog, prices={(2, CHIPS): 7.8})
    (violation,) = judge(shelf, rule("price_match")).violations
    assert violation.message == ("Price tag for Crunchy Original Chips 70g on shelf 2 shows "
                                 "7.80; planned price is 6.50")
    assert violation.sku == CHIPS


@pytest.mark.parametrize("planogram", [True, False])
def test_tag_belongs_to_block_above(catalog, rule, judge, planogram):
    # the LEMON tag shows the COLA price: wrong for LEMON (3.20)
    shelf = layout(ROWS, catalog, prices={(1, LEMON): 3.50})
    (violation,) = judge(shelf, rule("price_match"), planogram=planogram).violations
    assert violation.sku == LEMON


def test_price_read_from_text_when_no_price_field(catalog, rule, judge):
    shelf = layout(ROWS, catalog)
    kinds = shelf.photo.detections.data[keys.KIND]
    prices = shelf.photo.detections.data[keys.PRICE]
    texts = shelf.photo.detections.data[keys.TEXT]
    first_tag = list(kinds).index(keys.PRICE_TAG)
    prices[first_tag], texts[first_tag] = None, "特价 ¥4,20"
    (violation,) = judge(shelf, rule("price_match")).violations
    assert "shows 4.20" in violation.message


@pytest.mark.parametrize(("mode", "flagged"), [("ignore", 0), ("flag", 1)])
def test_unreadable_tags(catalog, rule, judge, mode, flagged):
    shelf = layout(ROWS, catalog)
    kinds = list(shelf.photo.detections.data[keys.KIND])
    i = kinds.index(keys.PRICE_TAG)
    shelf.photo.detections.data[keys.PRICE][i] = None
    shelf.photo.detections.data[keys.TEXT][i] = "???"
    result = judge(shelf, rule("price_match", unreadable=mode))
    assert len(result.violations) == flagged
    assert result.kpis.price == 100.0  # unreadable tags do not count in price compliance


@pytest.mark.parametrize(
    ("text", "price"),
    [("¥3.50", 3.5), ("$2.99", 2.99), ("3,5 元", 3.5), ("SALE 12", 12.0), ("none", None)],
)
def test_read_price(text, price):
    from pipeline.rules.scene import Item

    assert read_price(Item(0, keys.PRICE_TAG, (0, 0, 1, 1), 1, text=text)) == price


@pytest.mark.parametrize("planogram", [True, False])
def test_tag_under_unrecognised_products_is_not_judged_by_a_neighbour(catalog, rule, judge,
                                                                      planogram):
    # the LEMON facings were not recognised; their tag (LEMON's price) stays under them
    unknown = {(1, pos): keys.UNKNOWN for pos in (4, 5, 6)}
    shelf = layout(ROWS, catalog, actual=unknown)
    result = judge(shelf, rule("price_match", unreadable="flag"), planogram=planogram)
    assert result.passed
    # with a planogram the tag is judged against the planned LEMON block; without, not at all
    assert result.outcomes[0].checks == (3 if planogram else 2)
    assert result.kpis.price == 100.0


def test_tag_just_past_the_end_of_a_block_belongs_to_it(catalog, rule, judge):
    shelf = layout(ROWS, catalog, prices={(1, LEMON): 3.99})
    det = shelf.photo.detections
    last_tag = [i for i, k in enumerate(det.data[keys.KIND]) if k == keys.PRICE_TAG][1]
    det.xyxy[last_tag, [0, 2]] = [450, 490]  # LEMON's products end at x 464
    (violation,) = judge(shelf, rule("price_match"), planogram=False).violations
    assert violation.sku == LEMON
