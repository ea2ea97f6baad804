"""The batch runner: inbox -> inspector -> rules -> DB -> archive, exactly once per photo."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from pipeline import db
from pipeline.db import tables
from pipeline.db.locks import Lease, store_lease_name
from pipeline.inbox.inspectors import FakeInspector
from pipeline.inbox.jobs import RunOptions, run_once
from pipeline.inbox.runner import StoreRunner
from pipeline.settings import get_settings
from tests.factories.sites import FakeRules, drop, drop_photos, jpeg_bytes, make_sites


@pytest.fixture
def home(db_url):
    db.upgrade()
    yield get_settings().home_dir
    db.dispose_engines()


def _run(sites=None, stores=None, inspector=None, rules=None, **kw):
    options = RunOptions(inspector=inspector or FakeInspector(),
                         rules_loader=lambda store: rules or FakeRules(), **kw)
    return run_once(sites or make_sites(), stores, options)


def _count(model, *where) -> int:
    with db.session_scope() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _inbox_files(home: Path) -> list[Path]:
    return sorted(p for p in (home / "inbox").rglob("*") if p.is_file())


def test_every_photo_is_inspected_once_and_archived_by_capture_day(home):
    drop_photos(home, "s1", "c1", 3)
    drop_photos(home, "s1", "c2", 2, seed=1)
    results = _run(stores=["s1"])
    assert [r.status for r in results] == [tables.OK]
    assert results[0].counts["inspected"] == 5
    assert _count(tables.Inspection) == 5
    assert _count(tables.Photo, tables.Photo.state == tables.INSPECTED) == 5
    assert _inbox_files(home) == []
    archived = sorted((home / "archive" / "s1").rglob("*.jpg"))
    assert len(archived) == 5
    assert {p.parent.name for p in archived} == {"2026-11-16"}
    with db.session_scope() as s:
        paths = set(s.scalars(select(tables.Photo.path)))
        weeks = set(s.scalars(select(tables.Inspection.iso_week)))
    assert paths == {str(p) for p in archived}
    assert weeks == {"2026-W47"}


def test_results_rows_carry_kpis_violations_and_versions(home):
    drop_photos(home, "s1", "c1", 2)
    _run(stores=["s1"], rules=FakeRules(min_products=99))
    with db.session_scope() as s:
        insp = s.scalars(select(tables.Inspection)).first()
        assert insp.compliance == 40.0 and insp.osa == 90.0 and insp.price_compliance is None
        assert insp.promo_compliance == 50.0
        assert insp.share_of_shelf == {"colaco": 100.0}
        assert insp.rule_versions == {"fake.yaml": 1} and insp.inspector == "fake"
        assert insp.rules_failed == 1 and insp.violation_count == 1
        assert insp.detections.count == len(insp.detections.payload["detections"])
        v = insp.violations[0]
        assert (v.rule_id, v.severity, v.iso_week) == ("min-products", "high", insp.iso_week)
        assert v.evidence == {"boxes": [[1, 2, 3, 4]], "shelf": 1}
    assert _count(tables.Violation) == 2


def test_same_photo_twice_gives_one_inspection(home):
    data = jpeg_bytes(7)
    drop(home, "s1", "c1", "a_20261116T020000.jpg", data)
    _run(stores=["s1"])
    drop(home, "s1", "c1", "copy_20261117T020000.jpg", data)  # same bytes, new name
    drop(home, "s1", "c2", "again.jpg", data)  # even from another camera folder
    results = _run(stores=["s1"])
    assert results[0].counts["duplicates"] == 2
    assert _count(tables.Inspection) == 1
    assert _inbox_files(home) == []


def test_unreadable_file_is_quarantined_with_its_reason(home):
    drop(home, "s1", "c1", "broken.jpg", b"this is not a jpeg")
    drop_photos(home, "s1", "c1", 1)
    results = _run(stores=["s1"])
    assert results[0].counts["quarantined"] == 1 and results[0].counts["inspected"] == 1
    with db.session_scope() as s:
        row = s.scalars(select(tables.Photo).where(tables.Photo.state == tables.QUARANTINED)).one()
        assert "not an image" in row.last_error
        assert Path(row.path) == home / "quarantine" / "s1" / "c1" / "broken.jpg"
    reason = home / "quarantine" / "s1" / "c1" / "broken.jpg.reason.txt"
    assert "not an image" in reason.read_text()
    assert _inbox_files(home) == []


class _Flaky(FakeInspector):
    """Fails every photo whose source contains ``bad``."""

    def inspect(self, photos, metas):
        if any("bad" in p.source for p in photos):
            raise RuntimeError("GPU fell over")
        return super().inspect(photos, metas)


def test_a_failing_photo_is_retried_then_parked_without_sinking_its_batch(home):
    drop(home, "s1", "c1", "bad_20261116T020000.jpg", jpeg_bytes(1))
    drop_photos(home, "s1", "c1", 2, seed=5)
    first = _run(stores=["s1"], inspector=_Flaky(), max_attempts=2)[0]
    assert first.counts["inspected"] == 2 and first.counts["retry"] == 1
    assert first.status == tables.PARTIAL and "GPU fell over" in first.notes[0]
    assert [p.name for p in _inbox_files(home)] == ["bad_20261116T020000.jpg"]
    second = _run(stores=["s1"], inspector=_Flaky(), max_attempts=2)[0]
    assert second.counts["failed"] == 1
    with db.session_scope() as s:
        row = s.scalars(select(tables.Photo).where(tables.Photo.state == tables.FAILED)).one()
        assert row.attempts == 2 and "GPU fell over" in row.last_error
        assert Path(row.path).parent == home / "failed" / "s1" / "c1"
    assert Path(row.path).exists() and _inbox_files(home) == []


def test_rule_errors_fail_only_that_photo(home):
    drop(home, "s1", "c1", "boom_20261116T020000.jpg", jpeg_bytes(1))
    drop_photos(home, "s1", "c1", 1, seed=3)
    result = _run(stores=["s1"], rules=FakeRules(fail_on="boom"))[0]
    assert result.counts["inspected"] == 1 and result.counts["retry"] == 1
    assert "rules exploded" in " ".join(result.notes)


def test_unknown_store_and_camera_folders_are_reported_and_left(home):
    drop_photos(home, "s1", "c9", 1)
    drop_photos(home, "zz", "c1", 2)
    results = _run()
    from pipeline.inbox.jobs import stray_inbox_notes

    notes = " ".join(stray_inbox_notes(make_sites(), get_settings()))
    assert "unknown camera 'c9'" in " ".join(results[0].notes)
    assert "unknown store 'zz'" in notes and "2 file(s) left in place" in notes
    assert len(_inbox_files(home)) == 3 and _count(tables.Photo) == 0


def test_crash_after_commit_before_move_only_moves_on_restart(home, monkeypatch):
    drop_photos(home, "s1", "c1", 3)
    monkeypatch.setattr(StoreRunner, "_move", lambda self, plan: None)  # "killed" before moves
    _run(stores=["s1"])
    assert _count(tables.Inspection) == 3 and len(_inbox_files(home)) == 3
    monkeypatch.undo()
    again = _run(stores=["s1"])[0]
    assert again.counts["duplicates"] == 3 and again.counts["inspected"] == 0
    assert _count(tables.Inspection) == 3 and _inbox_files(home) == []
    with db.session_scope() as s:
        assert all(Path(p).exists() for p in s.scalars(select(tables.Photo.path)))


def test_store_time_zone_decides_day_and_week(home):
    sites = make_sites(timezone="Asia/Shanghai")
    drop(home, "s1", "c1", "c1_20261116T003000.jpg", jpeg_bytes(2))  # Monday 00:30 in Shanghai
    _run(sites=sites, stores=["s1"])
    with db.session_scope() as s:
        insp = s.scalars(select(tables.Inspection)).one()
    assert insp.captured_at.isoformat() == "2026-11-15T16:30:00"  # UTC
    assert insp.captured_on.isoformat() == "2026-11-16" and insp.iso_week == "2026-W47"


def test_busy_store_is_skipped_with_the_reason_and_others_continue(home):
    drop_photos(home, "s1", "c1", 1)
    drop_photos(home, "s2", "c1", 1, seed=9)
    held = Lease(store_lease_name("s1"), purpose="scheduled inspection run").acquire()
    try:
        results = {r.store: r for r in _run()}
    finally:
        held.release()
    assert results["s1"].status == tables.SKIPPED
    assert "another run is inspecting store s1" in results["s1"].message
    assert "scheduled inspection run" in results["s1"].message
    assert results["s2"].counts["inspected"] == 1
    with db.session_scope() as s:
        rows = {r.store_id: r for r in s.scalars(select(tables.JobRun))}
    assert rows["s1"].status == tables.SKIPPED and rows["s2"].status == tables.OK
    assert rows["s2"].counts["inspected"] == 1 and rows["s2"].duration_s is not None


def test_unknown_store_name_is_a_user_error(home):
    from pipeline.errors import ShelfAuditError

    with pytest.raises(ShelfAuditError, match="unknown store"):
        _run(stores=["nope"])


def test_batches_mix_cameras(home):
    seen: list[set[str]] = []

    class Spy(FakeInspector):
        def inspect(self, photos, metas):
            seen.append({m.camera for m in metas})
            return super().inspect(photos, metas)

    drop_photos(home, "s1", "c1", 4)
    drop_photos(home, "s1", "c2", 4, seed=2)
    _run(stores=["s1"], inspector=Spy(), batch_size=4)
    assert seen == [{"c1", "c2"}, {"c1", "c2"}]


def test_a_photo_the_run_keeps_dying_on_is_given_up_after_n_attempts(home):
    from pipeline.imaging import content_hash

    drop_photos(home, "s1", "c1", 1)
    with db.session_scope() as s:
        s.add(tables.Store(id="s1"))

    path = next((home / "inbox").rglob("*.jpg"))
    with db.session_scope() as s:  # as if two earlier runs were killed while inspecting it
        s.add(tables.Camera(store_id="s1", id="c1"))
        s.flush()
        s.add(tables.Photo(sha256=content_hash(path.read_bytes()), store_id="s1",
                           camera_id="c1", path=str(path), original_name=path.name,
                           captured_at=tables.utcnow(), attempts=2))
    result = _run(stores=["s1"], max_attempts=2)[0]
    assert result.counts["failed"] == 1 and result.counts["inspected"] == 0
    with db.session_scope() as s:
        row = s.scalars(select(tables.Photo)).one()
    assert row.state == tables.FAILED and "gave up after 2 attempts" in row.last_error
    assert Path(row.path).exists() and Path(row.path).parent == home / "failed" / "s1" / "c1"


def test_models_inspector_adapter_uses_the_engine_once(monkeypatch):
    from pipeline.detections import PhotoDetections
    from pipeline.imaging import decode_photo
    from pipeline.inbox import inspectors

    loads = []

    class Engine:
        models = {"detector": "det-v1", "recognizer": "clip-v1", "ocr": None}

        @classmethod
        def load(cls, catalog, settings):  # the edge's, passed down
            assert catalog.skus and settings.rules_dir
            loads.append(1)
            return cls()

        def inspect(self, photos, meta=None):
            return [PhotoDetections(path=m.get("path", p.source), width=p.width,
                                    height=p.height, extra={"models": self.models})
                    for p, m in zip(photos, meta, strict=True)]

    import pipeline.vision.engine as engine_module

    monkeypatch.setattr(engine_module, "Inspector", Engine)
    inspectors._shared.cache_clear()
    first = inspectors.shared_inspector("models")
    assert inspectors.shared_inspector("models") is first and loads == [1]
    photo = decode_photo(jpeg_bytes(1), "a.jpg")
    meta = inspectors.PhotoMeta("s1", "c1", "2026-11-20T02:00:00Z")
    out = first.inspect([photo], [meta])
    assert (out[0].store, out[0].camera, out[0].captured_at) == ("s1", "c1",
                                                                 "2026-11-20T02:00:00Z")
    assert first.versions() == {"detector": "det-v1", "recognizer": "clip-v1"}
    inspectors._shared.cache_clear()


def test_two_copies_in_one_batch_give_one_inspection(home):
    data = jpeg_bytes(11)
    drop(home, "s1", "c1", "a_20261116T020000.jpg", data)
    drop(home, "s1", "c2", "b_20261116T020000.jpg", data)
    result = _run(stores=["s1"])[0]
    assert result.counts["inspected"] == 1 and result.counts["duplicates"] == 1
    assert _count(tables.Inspection) == 1 and _inbox_files(home) == []


def test_a_run_records_its_rule_versions_in_its_own_database(home, tmp_path):
    """``RunOptions.url`` is the run's database for everything, the rule-set versions of the
    rules it judged with included (they were written to the default database before)."""
    from pipeline.db import tables

    other = f"sqlite:///{tmp_path / 'other.db'}"
    db.upgrade(other)
    run_once(make_sites(), ["s1"], RunOptions(inspector=FakeInspector(), url=other))
    with db.session_scope(other) as s:
        recorded = s.scalar(select(func.count()).select_from(tables.RuleSetVersion))
    assert recorded > 0
    assert _count(tables.RuleSetVersion) == 0
