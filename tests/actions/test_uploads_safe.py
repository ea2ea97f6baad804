"""Safe uploads (issue #19 item 5), below the page: the default week ignores uploads, a photo
is judged only when it shows the chosen camera's shelf, a saved upload can be excluded, counted
again or deleted (audited, by a supervisor of its store), and a verdict reads by rule and
shelf."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from pipeline.access.scope import ALL_STORES, Scope, ScopeError
from pipeline.actions import camera_views, upload_exclusions, uploads
from pipeline.context import edge_context
from pipeline.queries import pickers, saved_uploads

SUE = Scope(stores=frozenset({"s001"}), role="supervisor", user="sue")
SAM = Scope(stores=frozenset({"s002"}), role="supervisor", user="sam")
VERA = Scope(stores=frozenset({"s001"}), role="viewer", user="vera")
IN_W46 = datetime(2026, 11, 12, 3, 0)  # a Thursday of the small database's last week


def _add_inspection(session, store: str, camera: str, when: datetime, source: str,
                    n: int) -> None:
    from pipeline.db import tables as t
    from pipeline.weeks import iso_week

    photo = t.Photo(sha256=f"{n:064x}", store_id=store, camera_id=camera, path="/nowhere.jpg",
                    original_name="x.jpg", captured_at=when, captured_from=source,
                    state="inspected")
    session.add(photo)
    session.flush()
    session.add(t.Inspection(photo_id=photo.id, store_id=store, camera_id=camera,
                             captured_at=when, captured_on=when.date(), iso_week=iso_week(when),
                             compliance=10.0))


def test_the_default_week_is_the_latest_complete_week_of_scheduled_photos(query_db):
    from pipeline.db import session_scope

    now = datetime(2026, 12, 3, 13, 0)
    assert pickers.default_week(ALL_STORES, now=now) == "2026-W46"
    assert pickers.default_week(ALL_STORES, now=datetime(2026, 11, 12)) == "2026-W45"
    with session_scope() as s:  # today's upload, and one in a week of its own
        _add_inspection(s, "s001", "c01", datetime(2026, 12, 2, 8, 0), "upload", 9001)
        _add_inspection(s, "s001", "c01", datetime(2026, 11, 25, 8, 0), "upload", 9002)
    assert pickers.weeks(ALL_STORES)[0] == "2026-W49"
    assert pickers.default_week(ALL_STORES, now=now) == "2026-W46"
    assert pickers.default_week(SUE, now=now) == "2026-W46"


@pytest.mark.parametrize("sources, expected", [
    (["mtime"], "2026-W49"),  # no complete week yet: the newest scheduled one
    (["upload"], "2026-W49"),  # uploads only: their week (there is nothing else)
    ([], None),
], ids=["current-week-only", "uploads-only", "empty"])
def test_the_default_week_before_a_week_is_complete(empty_db, sources, expected):
    from pipeline.db import session_scope
    from pipeline.db import tables as t

    with session_scope() as s:
        s.add(t.Store(id="s001", cameras=[t.Camera(id="c01")]))
        s.flush()
        for n, source in enumerate(sources):
            _add_inspection(s, "s001", "c01", datetime(2026, 12, 1, 3, 0), source, n + 1)
    assert pickers.default_week(ALL_STORES, now=datetime(2026, 12, 3)) == expected


def fridge_photo(path: Path, width: int = 320, height: int = 240) -> Path:
    """Another camera's view: a drinks fridge (green bottles behind glass doors)."""
    image = Image.new("RGB", (width, height), (235, 240, 245))
    draw = ImageDraw.Draw(image)
    for col in range(4):
        x = col * width // 4
        draw.rectangle([x, 0, x + 6, height], fill=(160, 165, 170))
        for row in range(3):
            for k in range(3):
                cx, y = x + 20 + k * 18, 15 + row * 75
                draw.ellipse([cx, y, cx + 14, y + 55], fill=(40, 150, 70))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=85)
    return path


def view_of(photo: Path, size=(640, 480)) -> bytes:
    """An upload of the same view as ``photo`` (taken bigger)."""
    import io

    out = io.BytesIO()
    Image.open(photo).convert("RGB").resize(size).save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def cameras_apart(small_db, home):
    """The small database with camera c02's photos showing a fridge instead of the shelf."""
    from sqlalchemy import update

    from pipeline.db import session_scope
    from pipeline.db import tables as t

    fridge = fridge_photo(home / "archive" / "fridge.jpg")
    with session_scope() as s:
        ids = [i.photo_id for i in s.query(t.Inspection).filter(t.Inspection.camera_id == "c02")]
        s.execute(update(t.Photo).where(t.Photo.id.in_(ids)).values(path=str(fridge)))
    return {"shelf": small_db["photo"], "fridge": fridge}


@pytest.fixture
def fake(monkeypatch, rules_copy):
    from pipeline.inbox.inspectors import make_inspector

    monkeypatch.setenv("SHELFAUDIT_INSPECTOR", "fake")
    return make_inspector("fake")


def _judge(data: bytes, camera: str | None, fake, name: str = "up.jpg"):
    context = edge_context()  # the test is the edge
    item = uploads.receive(name, data, SUE, "s001")
    views = camera_views.judge_uploads([item], "s001", camera, SUE, fake,
                                       uploads.rules_for("s001", context), context=context)
    return item, views[0]


def test_a_photo_of_the_cameras_shelf_is_judged(cameras_apart, fake):
    item, view = _judge(view_of(cameras_apart["shelf"]), "c01", fake)
    assert view.code == "match" and item.detections is not None and item.verdict


def test_a_photo_of_another_cameras_shelf_is_not_judged(cameras_apart, fake):
    item, view = _judge(view_of(cameras_apart["fridge"]), "c01", fake)
    assert (view.code, view.nearest) == ("other_camera", "c02")
    assert item.detections is None and not item.verdict  # the planogram never saw it
    with pytest.raises(Exception, match="nothing to save"):
        context = edge_context()
        uploads.save_upload(item, "s001", "c01", SUE, fake, uploads.rules_for("s001", context),
                            context=context)


def test_a_photo_like_no_camera_is_not_judged(cameras_apart, fake):
    import io

    import numpy as np

    noise = np.random.default_rng(3).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, "PNG")
    item, view = _judge(buf.getvalue(), "c01", fake, "noise.png")
    assert view.code == "unlike" and view.nearest is None and item.detections is None


@pytest.mark.parametrize("camera, message", [(None, "Pick the camera"),
                                             ("c99", "not a camera of store s001")])
def test_the_camera_is_required(small_db, fake, camera, message):
    from pipeline.errors import ShelfAuditError

    with pytest.raises(ShelfAuditError, match=message):
        _judge(view_of(small_db["photo"]), camera, fake)


def test_a_camera_without_scheduled_photos_is_judged_unchecked(small_db, fake):
    item, view = _judge(view_of(small_db["photo"]), "c03", fake)  # in stores.yaml, no photos
    assert (view.code, view.why) == ("unchecked", "no_reference")
    assert item.detections is not None


@pytest.fixture
def saved(query_db, fake):
    """An upload of s001/c01 saved into 2026-W46 by sue (on SQLite and PostgreSQL)."""
    item, view = _judge(view_of(query_db["photo"]), "c01", fake)
    context = edge_context()
    found = uploads.save_upload(item, "s001", "c01", SUE, fake, uploads.rules_for("s001", context),
                                captured_at=IN_W46, context=context)
    from pipeline.queries.inspections import inspection_detail

    detail = inspection_detail(found, ALL_STORES)
    return {"inspection": found, "path": detail.photo_path,
            "photo": int(saved_uploads.list_uploads(SUE)["photo_id"].iloc[0])}


def _count(week: str = "2026-W46") -> int:
    from pipeline.queries.overview import week_kpis

    return week_kpis(ALL_STORES, week).inspections


def test_an_upload_is_excluded_counted_again_and_deleted(saved):
    from pipeline.access.audit import audit_entries
    from pipeline.access.roles import User
    from pipeline.queries.inspections import inspection_detail

    listed = saved_uploads.list_uploads(SUE)
    assert list(listed["status"]) == ["counted"] and listed["uploaded_by"].iloc[0] == "sue"
    before = inspection_detail(saved["inspection"], ALL_STORES)
    assert _count() == 29
    assert pickers.default_week(ALL_STORES, now=datetime(2026, 12, 3)) == "2026-W46"

    assert upload_exclusions.exclude_upload(saved["photo"], SUE, reason="test shot") is None
    assert _count() == 28 and inspection_detail(saved["inspection"], ALL_STORES) is None
    listed = saved_uploads.list_uploads(SUE)
    assert list(listed["status"]) == ["excluded"] and listed["excluded_by"].iloc[0] == "sue"
    assert Path(saved["path"]).is_file()  # kept

    again, note = upload_exclusions.include_upload(saved["photo"], SUE)
    assert note is None and _count() == 29
    after = inspection_detail(again, ALL_STORES)
    assert (after.captured_at, after.kpis, len(after.violations)) == (
        before.captured_at, before.kpis, len(before.violations))
    assert after.detections == before.detections

    upload_exclusions.delete_upload(saved["photo"], SUE)
    assert _count() == 28 and saved_uploads.list_uploads(SUE).empty
    assert not Path(saved["path"]).exists()
    log = audit_entries(User(id=0, username="root", role="admin"), limit=10)
    assert [a for a in log["action"] if a.startswith("upload_")][:3] == [
        "upload_delete", "upload_include", "upload_exclude"]


def test_a_deleted_excluded_upload_leaves_nothing(saved):
    from pipeline.db import session_scope
    from pipeline.db import tables as t

    upload_exclusions.exclude_upload(saved["photo"], SUE)
    upload_exclusions.delete_upload(saved["photo"], SUE)
    with session_scope() as s:
        assert s.get(t.Photo, saved["photo"]) is None
        assert s.query(t.UploadExclusion).count() == 0


@pytest.mark.parametrize("scope", [VERA, SAM], ids=["viewer", "other-store"])
def test_only_a_supervisor_of_the_store_may_change_an_upload(saved, scope):
    for change in (upload_exclusions.exclude_upload, upload_exclusions.delete_upload):
        with pytest.raises(ScopeError):
            change(saved["photo"], scope)
    assert _count() == 29
    assert saved_uploads.list_uploads(SAM).empty


def test_scheduled_photos_are_never_changed_here(query_db):
    with pytest.raises(ScopeError, match="not one of your saved uploads"):
        upload_exclusions.exclude_upload(1, ALL_STORES)
    assert _count() == 28


def test_a_built_weekly_report_follows_an_exclusion(saved):
    from pipeline.reports.build import build_report, make_report

    make_report("s001", "2026-W46", formats=("csv",))
    assert build_report("s001", "2026-W46").inspections == 15
    upload_exclusions.exclude_upload(saved["photo"], SUE)
    from pipeline.db import session_scope
    from pipeline.db import tables as t

    with session_scope() as s:
        stored = s.query(t.Report).filter_by(store_id="s001", iso_week="2026-W46").one()
        assert stored.inspections == 14


def test_a_verdict_is_grouped_by_rule_and_shelf_with_counts():
    from pipeline.queries.upload_verdicts import group_violations

    detections = {"detections": [{"box": [0, 0, 10, 10], "kind": "product", "shelf": 3}]}
    violations = (
        [{"rule": "gaps", "type": "max_gaps", "severity": "medium", "shelf": 2,
          "message": "gap on shelf 2"}] * 4
        + [{"rule": "gaps", "type": "max_gaps", "severity": "medium", "shelf": 1,
            "message": f"gap {i}"} for i in range(5)]
        + [{"rule": "upright", "type": "orientation", "severity": "high",
            "boxes": [[0, 0, 10, 10]], "message": "lying"}]
        + [{"rule": "share", "type": "share_of_shelf", "severity": "low", "message": "low"}])
    grouped = group_violations(violations, detections)
    assert [(r.rule, r.severity, r.count) for r in grouped] == [
        ("upright", "high", 1), ("gaps", "medium", 9), ("share", "low", 1)]
    gaps = grouped[1]
    assert [(s.shelf, s.count) for s in gaps.shelves] == [(1, 5), (2, 4)]
    assert gaps.shelves[0].messages == ("gap 0", "gap 1", "gap 2")  # the first few
    assert gaps.shelves[1].messages == ("gap on shelf 2",)
    assert grouped[0].shelves[0].shelf == 3  # from the detection its box is
    assert grouped[2].shelves[0].shelf is None
