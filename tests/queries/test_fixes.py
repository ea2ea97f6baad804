"""Today's fixes (issue #19 item 3): the latest photo of each camera, its violations grouped by
shelf and numbered, marks recorded with who and when, precision per rule — on SQLite and
PostgreSQL (``query_db``: the small database of :mod:`tests.factories.demo_db`)."""

from __future__ import annotations

from datetime import datetime

import pytest

from pipeline.access.scope import ALL_STORES, Scope, ScopeError
from pipeline.actions import fix_marks
from pipeline.queries import fixes

S001_SUPERVISOR = Scope(stores=frozenset({"s001"}), role="supervisor", user="sue")
S001_VIEWER = Scope(stores=frozenset({"s001"}), role="viewer", user="vera")
S002_SUPERVISOR = Scope(stores=frozenset({"s002"}), role="supervisor", user="sam")
NEWEST = datetime(2026, 11, 16, 2, 0)  # a day after the small database's last photos

# (rule, type, severity, shelf in the evidence, boxes) of the newest photo of s001/c01
VIOLATIONS = [
    ("a-low", "min_facings", "low", 1, [[10, 20, 55, 108]]),
    ("b-high", "orientation", "high", 2, [[250, 135, 310, 223]]),
    ("c-medium", "price_match", "medium", 1, [[70, 20, 115, 108]]),
    ("d-high", "max_gaps", "high", None, [[130, 20, 175, 108]]),  # on shelf 1 by its box
    ("e-medium", "share_of_shelf", "medium", None, []),  # the whole photo
]


@pytest.fixture
def newest(query_db):
    """A newer inspection of s001/c01 with violations on two shelves and one on the whole
    photo; returns the violation ids by rule."""
    from pipeline.db import session_scope
    from pipeline.db import tables as t
    from tests.factories.demo_db import _payload

    with session_scope() as s:
        photo = t.Photo(sha256="f" * 64, store_id="s001", camera_id="c01",
                        path=str(query_db["photo"]), original_name="newest.jpg",
                        captured_at=NEWEST, state="inspected", width=320, height=240)
        s.add(photo)
        s.flush()
        insp = t.Inspection(photo_id=photo.id, store_id="s001", camera_id="c01",
                            captured_at=NEWEST, captured_on=NEWEST.date(), iso_week="2026-W47",
                            width=320, height=240, compliance=50.0,
                            violation_count=len(VIOLATIONS))
        insp.detections = t.InspectionDetections(count=7, payload=_payload(
            str(query_db["photo"]), "s001", "c01", NEWEST))
        for rule, rtype, severity, shelf, boxes in VIOLATIONS:
            evidence = {"boxes": boxes, **({"shelf": shelf} if shelf else {})}
            insp.violations.append(t.Violation(
                store_id="s001", camera_id="c01", captured_at=NEWEST,
                captured_on=NEWEST.date(), iso_week="2026-W47", rule_id=rule, rule_type=rtype,
                severity=severity, message=f"{rule} here", evidence=evidence))
        s.add(insp)
        s.flush()
        return {v.rule_id: v.id for v in insp.violations}


def test_every_camera_in_scope_with_its_latest_photo_worst_first(query_db):
    summary = fixes.camera_summary(ALL_STORES)
    assert list(zip(summary["store"], summary["camera"], strict=True)) == [
        ("s002", "c01"), ("s002", "c02"), ("s001", "c01"), ("s001", "c02")]
    assert list(summary["open"]) == [3, 3, 2, 2] and list(summary["high"]) == [1, 1, 1, 1]
    assert set(summary["captured_at"]) == {datetime(2026, 11, 15, 2, 0)}
    assert summary["camera_name"].iloc[0] == "Old Town c01"
    mine = fixes.camera_summary(S001_VIEWER)
    assert set(mine["store"]) == {"s001"} and len(mine) == 2
    assert fixes.open_fix_count(ALL_STORES) == (10, 4)
    assert fixes.camera_summary(Scope(stores=frozenset(), role="viewer")).empty


def test_grouped_by_shelf_most_severe_first_with_stable_numbers(newest):
    found = fixes.camera_fixes(ALL_STORES, "s001", "c01")
    assert found is not None and found.captured_at == NEWEST
    assert [(g.shelf, [f.rule for f in g.fixes]) for g in found.shelves] == [
        (1, ["d-high", "c-medium", "a-low"]), (2, ["b-high"]), (None, ["e-medium"])]
    assert [f.number for f in found.fixes] == [1, 2, 3, 4, 5]
    assert found.fixes[0].boxes == ((130.0, 20.0, 175.0, 108.0),)
    assert found.photo_path and found.detections["detections"]
    assert fixes.camera_fixes(S002_SUPERVISOR, "s001", "c01") is None  # not her store
    assert fixes.camera_fixes(ALL_STORES, "s001", "c09") is None


def test_marks_are_recorded_with_who_and_when_and_leave_the_list(newest):
    fix_marks.record_feedback(newest["d-high"], fixes.DONE, S001_SUPERVISOR)
    fix_marks.record_feedback(newest["c-medium"], fixes.NOT_A_PROBLEM, S001_SUPERVISOR)
    found = fixes.camera_fixes(S001_SUPERVISOR, "s001", "c01")
    assert [f.rule for f in found.fixes] == ["a-low", "b-high", "e-medium"]
    assert [f.number for f in found.fixes] == [3, 4, 5]  # the numbers on the photo stay
    marked = {f.rule: f for f in found.marked}
    assert marked["d-high"].verdict == "done" and marked["d-high"].marked_by == "sue"
    assert marked["c-medium"].verdict == "not_a_problem" and marked["c-medium"].marked_at
    summary = fixes.camera_summary(S001_SUPERVISOR).set_index("camera")
    assert (summary.loc["c01", "open"], summary.loc["c01", "marked"]) == (3, 2)
    assert summary.loc["c01", "high"] == 1

    fix_marks.record_feedback(newest["c-medium"], fixes.DONE, S001_SUPERVISOR)  # changed her mind
    again = {f.rule: f.verdict for f in fixes.camera_fixes(ALL_STORES, "s001", "c01").marked}
    assert again == {"d-high": "done", "c-medium": "done"}
    fix_marks.clear_feedback(newest["c-medium"], S001_SUPERVISOR)
    assert "c-medium" in [f.rule for f in fixes.camera_fixes(ALL_STORES, "s001", "c01").fixes]

    from pipeline.access.audit import audit_entries
    from pipeline.access.roles import User

    log = audit_entries(User(id=0, username="root", role="admin"), limit=20)
    actions = list(log.loc[log["actor"] == "sue", "action"])
    assert actions.count("fix_feedback") == 3 and actions.count("fix_feedback_cleared") == 1


@pytest.mark.parametrize("scope", [S001_VIEWER, S002_SUPERVISOR],
                         ids=["viewer", "other-store"])
def test_marks_need_a_supervisor_of_the_store(newest, scope):
    with pytest.raises(ScopeError):
        fix_marks.record_feedback(newest["b-high"], fixes.DONE, scope)
    assert fixes.camera_fixes(ALL_STORES, "s001", "c01").marked == ()


def test_an_unknown_verdict_is_refused(newest):
    from pipeline.errors import ShelfAuditError

    with pytest.raises(ShelfAuditError, match="unknown verdict"):
        fix_marks.record_feedback(newest["b-high"], "maybe", S001_SUPERVISOR)


def test_precision_per_rule_is_the_share_marked_done(newest, query_db):
    from sqlalchemy import select

    from pipeline.db import session_scope
    from pipeline.db import tables as t

    with session_scope() as s:  # three earlier water-upright violations of s001 and one of s002
        ids = {st: list(s.scalars(select(t.Violation.id).where(
            t.Violation.rule_id == "water-upright", t.Violation.store_id == st)
            .order_by(t.Violation.id)))[:3] for st in ("s001", "s002")}
    for vid, verdict in zip(ids["s001"], ("done", "done", "not_a_problem"), strict=True):
        fix_marks.record_feedback(vid, verdict, S001_SUPERVISOR)
    fix_marks.record_feedback(ids["s002"][0], "not_a_problem", S002_SUPERVISOR)
    fix_marks.record_feedback(newest["b-high"], "not_a_problem", S001_SUPERVISOR)

    table = fixes.rule_precision(ALL_STORES).set_index("rule")
    assert list(table.columns) == fixes.PRECISION_COLUMNS[1:]
    assert table.loc["water-upright", ["done", "not_a_problem", "marked"]].tolist() == [2, 2, 4]
    assert table.loc["water-upright", "precision"] == 50.0
    assert table.loc["b-high", "precision"] == 0.0
    assert list(table.index) == ["b-high", "water-upright"]  # least precise first
    mine = fixes.rule_precision(S001_SUPERVISOR).set_index("rule")
    assert mine.loc["water-upright", "precision"] == pytest.approx(66.7)
    assert fixes.rule_precision(ALL_STORES, since=datetime(2100, 1, 1)).empty
