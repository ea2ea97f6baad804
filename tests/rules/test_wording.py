"""Violation messages in the reader's language: the English message stays as stored (the
contract); its wording says it again in Chinese with the catalog's Chinese names."""

from __future__ import annotations

import json
from collections import namedtuple

import pandas as pd
import pytest
from pydantic import ValidationError

from pipeline import keys
from pipeline.planogram import Zone
from pipeline.rules.config import validate
from pipeline.rules.wording import violation_text
from tests.factories.shelves import ALPS, CHIPS, COLA, KING, LEMON, layout

from ..conftest import REPO

ROWS = [[COLA] * 4 + [LEMON] * 3, [CHIPS] * 5]


def _one(judge, shelf, rule):
    (violation,) = judge(shelf, rule).violations
    return violation


def test_a_lying_product_is_said_in_chinese_with_its_chinese_name(catalog, rule, judge):
    shelf = layout([[COLA] * 3, [ALPS] * 3], catalog, lying=[(2, 1)])
    violation = _one(judge, shelf, rule("orientation"))
    english = "AlpsPure Mineral Water 500ml is lying down on shelf 2 — stand it upright"
    assert violation.message == english
    assert violation_text(violation, "en") == english
    chinese = violation_text(violation, "zh", catalog)
    assert chinese == f"{catalog.by_id[ALPS].name.zh} 在第 2 层倒放 — 请扶正"
    assert "AlpsPure" not in chinese


@pytest.mark.parametrize(("case", "english", "chinese"), [
    ("promo", 'Promo sign "SALE 2 for 1" missing over Crunchy Original Chips 70g on shelf 2',
     "第 2 层 脆脆 原味薯片 70克 上方缺少促销牌“SALE 2 for 1”"),
    ("promo-zone", 'Promo sign "买一送一" missing in top', "top 区域缺少促销牌“买一送一”"),
    ("competitor", "FizzUp Lemon 330ml can does not belong in ColaCo's space on shelf 1 — "
     "take it out", "飞泡 柠檬 330毫升 罐装 不属于第 1 层 可乐可的区域 — 请移走"),
    ("share", "Crunchy has 30 % of snacks facings in the shelf, below the 40 % target",
     "脆脆 在货架的零食排面中占 30%，低于 40% 的目标"),
    ("unreadable", "Price tag for ColaCo Cola 330ml can on shelf 1 shows an unreadable price; "
     "planned price is 3.50", "第 1 层 可乐可 可乐 330毫升 罐装 的价签显示 无法识别的价格，"
     "计划价格为 3.50"),
], ids=["promo", "promo-zone", "competitor", "share", "unreadable"])
def test_composed_fragments_are_said_in_the_reader_s_language(catalog, rule, judge, case,
                                                              english, chinese):
    violation = _one(judge, *_case(catalog, rule, case))
    assert violation.message == english  # the stored English message, exactly as before
    assert violation_text(violation, "en") == english
    assert violation_text(violation, "zh", catalog) == chinese


def _case(catalog, rule, case):
    if case == "promo":
        return (layout(ROWS, catalog, promos={(2, CHIPS): "SALE 2 for 1"},
                       no_promo=[(2, CHIPS)]), rule("promo_present"))
    if case == "promo-zone":
        return (layout(ROWS, catalog, zones=[Zone(id="top", shelves=(1, 1))]),
                rule("promo_present", text="买一送一", planned=False, zone="top"))
    if case == "competitor":
        return (layout(ROWS, catalog, actual={(1, 2): LEMON}),
                rule("forbidden_product", forbid="competitors"))
    if case == "share":
        return layout([[CHIPS] * 3 + [KING] * 7], catalog), rule("share_of_shelf",
                                                                  brand="crunchy", min=0.4)
    shelf = layout(ROWS, catalog)
    data = shelf.photo.detections.data
    first_tag = list(data[keys.KIND]).index(keys.PRICE_TAG)
    data[keys.PRICE][first_tag], data[keys.TEXT][first_tag] = None, "???"
    return shelf, rule("price_match", unreadable="flag")


def test_the_wording_is_plain_json_with_catalog_ids(catalog, rule, judge):
    shelf = layout([[COLA] * 3, [ALPS] * 3], catalog, lying=[(2, 1)])
    doc = _one(judge, shelf, rule("orientation")).to_dict()
    wording = json.loads(json.dumps(doc))["wording"]
    assert wording["template"] == "{name} is lying down on shelf {shelf} — stand it upright"
    assert wording["values"] == {"name": {"sku": ALPS, "en": "AlpsPure Mineral Water 500ml"},
                                 "shelf": 2}
    assert violation_text(doc, "zh", catalog).startswith("山源 矿泉水 500毫升 ")


def test_a_rule_s_own_message_with_message_zh(catalog, rule, judge):
    shelf = layout([[COLA] * 3, [ALPS] * 3], catalog, lying=[(2, 1)])
    own = rule("orientation", message="{name} fell over on shelf {shelf}",
               message_zh="第 {shelf} 层的 {name} 倒了（{severity}）")
    violation = _one(judge, shelf, own)
    assert violation.message == "AlpsPure Mineral Water 500ml fell over on shelf 2"
    assert violation_text(violation, "en") == violation.message
    assert violation_text(violation, "zh", catalog) == \
        f"第 2 层的 {catalog.by_id[ALPS].name.zh} 倒了（中）"


def test_a_rule_s_own_message_without_message_zh_is_shown_as_written(catalog, rule, judge):
    shelf = layout([[COLA] * 3, [ALPS] * 3], catalog, lying=[(2, 1)])
    violation = _one(judge, shelf, rule("orientation", message="{name} fell over"))
    assert violation_text(violation, "zh", catalog) == "AlpsPure Mineral Water 500ml fell over"


@pytest.mark.parametrize(("message_zh", "words"), [
    ("{name} 倒了 {fund}", "unknown placeholder '{fund}' in message_zh"),
    ("第 {shelf:>99} 层", "in message_zh has a format spec"),
    ("x" * 600, "message_zh has 600 characters"),
])
def test_a_broken_message_zh_is_refused(rule, message_zh, words):
    with pytest.raises(ValidationError, match=words.replace("{", r"\{").replace("}", r"\}")
                       .replace("(", r"\(")):
        rule("orientation", message_zh=message_zh)


def test_a_broken_message_zh_in_a_rule_file_names_its_line(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("rules:\n  - id: upright\n    type: orientation\n"
                    "    message: \"{name} fell over\"\n"
                    "    message_zh: \"{name} 倒了，第 {shelff} 层\"\n", encoding="utf-8")
    (problem,) = validate([path], folder=REPO / "rules")
    assert (problem.file, problem.line) == (str(path), 5) and problem.column > 0
    assert "unknown placeholder '{shelff}' in message_zh — did you mean 'shelf'?" in \
        problem.message


OLD = {"message": "only 2 products", "evidence": {"boxes": [[1, 2, 3, 4]], "shelf": 1}}


@pytest.mark.parametrize("row", [
    OLD,
    pd.Series(OLD),
    namedtuple("Row", "message evidence")(**OLD),
    {"message": "only 2 products", "evidence": None},
    {"message": "only 2 products", "evidence": {"wording": {"template": "{oops",
                                                             "values": "not a mapping"}}},
], ids=["dict", "pandas-row", "named-tuple", "no-evidence", "broken-wording"])
def test_a_row_stored_without_a_wording_shows_its_stored_message(row):
    assert violation_text(row, "zh") == "only 2 products"
    assert violation_text(row, "en") == "only 2 products"


def test_a_product_no_longer_in_the_catalog_keeps_the_words_it_had(catalog, rule, judge):
    shelf = layout([[COLA] * 3, [ALPS] * 3], catalog, lying=[(2, 1)])
    doc = _one(judge, shelf, rule("orientation")).to_dict()
    doc["wording"]["values"]["name"]["sku"] = "gone-from-the-catalog"
    assert violation_text(doc, "zh", catalog) == \
        "AlpsPure Mineral Water 500ml 在第 2 层倒放 — 请扶正"


def test_the_stored_row_is_said_from_its_evidence(catalog, rule, judge):
    from pipeline.inbox.results import _evidence

    shelf = layout([[COLA] * 3, [ALPS] * 3], catalog, lying=[(2, 1)])
    doc = _one(judge, shelf, rule("orientation")).to_dict()
    row = {"message": doc["message"], "evidence": _evidence(doc)}
    assert row["evidence"]["wording"] == doc["wording"]
    assert violation_text(row, "zh", catalog).endswith("在第 2 层倒放 — 请扶正")
