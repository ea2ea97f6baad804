"""What an inspection keeps: the detections JSON carries the shelf structure the rules used —
a shelf on every box, the inferred gaps (marked) and the shelf rows — written by a real run."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pipeline import db
from pipeline.db import tables
from pipeline.detections import PhotoDetections
from pipeline.inbox.inspectors import FakeInspector
from pipeline.inbox.jobs import RunOptions, run_once
from pipeline.rules import book
from pipeline.rules.book import RuleText
from pipeline.rules.structure import structure_of
from pipeline.settings import get_settings
from tests.factories.sites import drop_photos, make_sites

GAPS = RuleText("gaps.yaml", "name: gaps\nrules:\n  - {id: no-gaps, type: max_gaps, max: 0}\n")


@pytest.fixture
def home(db_url):
    db.upgrade()
    yield get_settings().home_dir
    db.dispose_engines()


def test_a_run_stores_the_shelf_structure_with_the_detections(home, catalog):
    sites = make_sites(("s1",), ("c1",))
    rules = book.build([GAPS], sites, catalog)
    drop_photos(home, "s1", "c1", 3, seed=1)  # two of them miss a block of the top shelf
    run_once(sites, ["s1"], RunOptions(inspector=FakeInspector(),
                                       rules_loader=lambda store: rules.for_store(store.id)))
    with db.session_scope() as s:
        stored = [(i.detections.payload, i.detections.count, i.violations)
                  for i in s.scalars(select(tables.Inspection))]
    assert len(stored) == 3
    inferred_total = 0
    for payload, count, violations in stored:
        boxes = payload["detections"]
        assert count == len(boxes)
        rows = [r["shelf"] for r in payload["shelf_rows"]]
        assert rows in ([1], [1, 2])  # a shelf with every block empty is not seen
        assert all(b["shelf"] in rows for b in boxes)
        inferred = [b for b in boxes if b.get("inferred")]
        assert all(b["kind"] == "gap" for b in inferred)
        # every gap the rule reported is a stored gap box, on the shelf it names
        assert sorted(v.evidence["boxes"][0] for v in violations) == sorted(
            b["box"] for b in inferred)
        assert sorted(v.evidence["shelf"] for v in violations) == sorted(
            b["shelf"] for b in inferred)
        drawn = structure_of(PhotoDetections.from_dict(payload))
        assert [r.line for r in drawn.rows] == [r["line"] for r in payload["shelf_rows"]]
        inferred_total += len(inferred)
    assert inferred_total == 2
