"""Annotated photos kept on disk at display size (issue #21): drawn once for every process,
drawn again when anything drawn changes, never kept for a missing photo; the Monday report
job draws the worst photos ahead."""

from __future__ import annotations

import os
import time

from pipeline.dashboard import stored_pictures
from tests.factories.demo_db import shelf_photo

PAYLOAD = {"width": 320, "height": 240, "detections": [
    {"box": [10, 20, 55, 108], "kind": "product", "score": 0.9, "sku": "colaco-cola-330"}]}


def counting_render():
    calls = []

    def render(path, payload, evidence, layers, width, height, max_side):
        calls.append(max_side)
        return f"jpeg {len(calls)}".encode(), os.path.exists(path or "")

    return render, calls


def test_a_drawing_is_kept_and_read_back_until_something_drawn_changes(home):
    photo = str(shelf_photo(home / "archive" / "p.jpg"))
    render, calls = counting_render()
    args = (photo, PAYLOAD, ((10, 20, 55, 108),), ("product",), 320, 240, 640)
    first = stored_pictures.stored_jpeg(render, *args)
    assert first[1] is True  # drawn from a real photo
    assert stored_pictures.stored_jpeg(render, *args) == first and calls == [640]
    assert len(list(stored_pictures.folder().glob("*.jpg"))) == 1
    stored_pictures.stored_jpeg(render, *args[:-1], 320)  # another size
    stored_pictures.stored_jpeg(render, photo, PAYLOAD, (), *args[3:])  # other evidence
    stat = os.stat(photo)
    os.utime(photo, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # the photo replaced
    assert stored_pictures.stored_jpeg(render, *args) != first
    assert calls == [640, 320, 640, 640]


def test_the_inspections_page_photo_is_kept_too(small_db, app):
    at = app("pages/inspections.py")  # opens the newest inspection with its photo
    assert not at.exception and len(at.image) == 1
    assert len(list(stored_pictures.folder().glob("*.jpg"))) == 1


def test_a_missing_photo_is_drawn_every_time_and_never_kept(home):
    render, calls = counting_render()
    for _ in range(2):
        _jpeg, real = stored_pictures.stored_jpeg(render, str(home / "gone.jpg"), PAYLOAD, (),
                                                  (), 320, 240, 640)
        assert real is False
    assert len(calls) == 2 and not list(stored_pictures.folder().glob("*.jpg"))


def test_old_drawings_are_pruned(home):
    where = stored_pictures.folder()
    where.mkdir(parents=True)
    (where / "old.jpg").write_bytes(b"x")
    (where / "new.jpg").write_bytes(b"y")
    old = time.time() - 40 * 86400
    os.utime(where / "old.jpg", (old, old))
    assert stored_pictures.prune(where) == 1
    assert [p.name for p in where.glob("*.jpg")] == ["new.jpg"]


def test_the_weekly_report_job_draws_the_worst_photos_ahead(small_db):
    from pipeline.access.scope import ALL_STORES
    from pipeline.dashboard import pictures
    from pipeline.schedule.weekly_job import weekly_report_job

    weekly_report_job("s001", "2026-W46")
    kept = list(stored_pictures.folder().glob("*.jpg"))
    assert kept  # drawn by the job, before anyone opened the page
    before = {p: p.stat().st_mtime_ns for p in kept}
    report_photo = pictures.inspection_jpeg(_worst_of("s001", "2026-W46"), ALL_STORES,
                                            pictures.WORST_SIDE)
    assert report_photo in {p.read_bytes() for p in kept}  # the page reads the job's file
    assert {p: p.stat().st_mtime_ns for p in stored_pictures.folder().glob("*.jpg")} == before


def _worst_of(store: str, week: str) -> int:
    from pipeline.reports.build import build_report

    return build_report(store, week).worst_photos[0].inspection
