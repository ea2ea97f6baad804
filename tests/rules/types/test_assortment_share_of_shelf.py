"""share_of_shelf: a brand's facings / its category's facings in scope must reach a minimum."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.factories.shelves import CHIPS, COLA, KING, layout


@pytest.mark.parametrize(
    ("crunchy", "chipking", "minimum", "passes"),
    [
        (4, 6, 0.4, True),   # exactly 40 %
        (3, 7, 0.4, False),  # 30 %
        (6, 4, 0.5, True),
        (0, 5, 0.1, False),
        (5, 0, 1.0, True),
    ],
)
def test_share_against_minimum(catalog, rule, judge, crunchy, chipking, minimum, passes):
    shelf = layout([[CHIPS] * crunchy + [KING] * chipking], catalog)
    result = judge(shelf, rule("share_of_shelf", brand="crunchy", min=minimum))
    assert result.passed is passes


def test_other_categories_do_not_dilute_the_share(catalog, rule, judge):
    shelf = layout([[CHIPS] * 4 + [KING] * 4, [COLA] * 10], catalog)
    assert judge(shelf, rule("share_of_shelf", brand="crunchy", min=0.5)).passed


def test_message_shows_share_and_target(catalog, rule, judge):
    shelf = layout([[CHIPS] * 3 + [KING] * 7], catalog)
    (violation,) = judge(shelf, rule("share_of_shelf", brand="crunchy", min=0.4)).violations
    assert violation.message == "Crunchy has 30 % of snacks facings in the shelf, below the 40 % target"
    assert len(violation.boxes) == 3


def test_not_applicable_without_category_facings(catalog, rule, judge):
    outcome = judge(layout([[COLA] * 5], catalog),
                    rule("share_of_shelf", brand="crunchy", min=0.4)).outcomes[0]
    assert not outcome.applicable


def test_shelf_scope(catalog, rule, judge):
    shelf = layout([[KING] * 8, [CHIPS] * 4 + [KING] * 2], catalog)
    assert not judge(shelf, rule("share_of_shelf", brand="crunchy", min=0.4)).passed
    assert judge(shelf, rule("share_of_shelf", brand="crunchy", min=0.4, shelf=2)).passed


@pytest.mark.parametrize("bad", [{"brand": "crunchy", "min": 40}, {"min": 0.4}])
def test_min_is_a_fraction_and_brand_required(rule, bad):
    with pytest.raises(ValidationError):
        rule("share_of_shelf", **bad)
