"""Stored violations keep their English message and how to say it again: pages and the weekly
report files show them in the reader's language; rows stored before fall back to the message."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from pipeline import db
from pipeline.catalog import load_catalog
from pipeline.db import tables
from pipeline.inbox.inspectors import FakeInspector
from pipeline.inbox.jobs import RunOptions, run_once
from pipeline.reports import build as reports
from pipeline.rules.engine import evaluate
from pipeline.rules.types import rule_types
from pipeline.rules.wording import violation_text
from pipeline.settings import get_settings
from tests.conftest import REPO
from tests.factories.sites import FakeRules, drop_photos, make_sites

LEMON_EN = "FizzUp Lemon 330ml can is missing from the shelf"
LEMON_ZH = "货架缺少 飞泡 柠檬 330毫升 罐装"


class EngineRules(FakeRules):
    """The real rules engine with one rule: FizzUp Lemon must be on the shelf (the fake
    inspector's planogram has only ColaCo, so every photo breaks it)."""

    def __init__(self) -> None:
        super().__init__()
        self.catalog = load_catalog(REPO / "rules" / "catalog.yaml")
        self.rules = [rule_types()["required_product"].model_validate(
            {"id": "lemon-present", "type": "required_product", "sku": "fizzup-lemon-330",
             "severity": "high"})]

    def evaluate(self, photo, camera: str):  # noqa: ANN001
        return evaluate(photo, self.rules, self.catalog).to_dict()


@pytest.fixture
def stored(db_url):
    db.upgrade()
    home = get_settings().home_dir
    drop_photos(home, "s1", "c1", 3, seed=7, day=17)
    run_once(make_sites(("s1",)), ["s1"], RunOptions(inspector=FakeInspector(),
                                                     rules_loader=lambda s: EngineRules()))
    yield
    db.dispose_engines()


def _rows() -> list[tables.Violation]:
    with db.session_scope() as s:
        found = s.scalars(select(tables.Violation).order_by(tables.Violation.id)).all()
        s.expunge_all()
    return found


def test_a_stored_violation_keeps_its_english_message_and_its_wording(stored):
    rows = _rows()
    assert len(rows) == 3 and {r.message for r in rows} == {LEMON_EN}
    wording = rows[0].evidence["wording"]
    assert wording["template"] == "{name} is missing from {zone}"
    assert wording["values"]["name"]["sku"] == "fizzup-lemon-330"
    assert violation_text(rows[0], "zh") == LEMON_ZH
    assert violation_text({"message": rows[0].message, "evidence": rows[0].evidence},
                          "en") == LEMON_EN


def test_the_weekly_report_says_its_problems_in_the_reader_s_language(stored):
    report = reports.build_report("s1", "2026-W47")
    (problem,) = report.top_problems
    assert problem.example == LEMON_EN
    assert (problem.example_text("en"), problem.example_text("zh")) == (LEMON_EN, LEMON_ZH)
    assert report.worst_photos[0].problem_texts("zh") == [LEMON_ZH]
    text = reports.render(report, "csv", lang="zh").decode("utf-8-sig")
    values = {(r["section"], r["metric"]): r["value"] for r in csv.DictReader(io.StringIO(text))}
    assert values[("top_problems", "example")] == LEMON_ZH
    assert values[("worst_photos", "problem")] == LEMON_ZH
    assert LEMON_EN in reports.render(report, "csv", lang="en").decode("utf-8-sig")
    again = type(report).from_document(report.document())  # the saved report reads back
    assert again.top_problems[0].example_text("zh") == LEMON_ZH


def test_rows_stored_before_wordings_show_their_stored_message(stored):
    with db.session_scope() as s:
        for row in s.scalars(select(tables.Violation)):
            row.evidence = {k: v for k, v in row.evidence.items() if k != "wording"}
    (row, *_) = _rows()
    assert violation_text(row, "zh") == LEMON_EN
    report = reports.build_report("s1", "2026-W47")
    assert report.top_problems[0].example_wording is None
    assert report.top_problems[0].example_text("zh") == LEMON_EN
    assert report.worst_photos[0].problem_texts("zh") == [LEMON_EN]
    old = report.document()
    for photo in old["worst_photos"]:
        photo.pop("problem_wordings")
    for item in old["top_problems"]:
        item.pop("example_wording")
    assert type(report).from_document(old).worst_photos[0].problem_texts("zh") == [LEMON_EN]
