"""Inbox details: when a photo was taken, which files are waiting, safe moves."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from pipeline.inbox import ingest
from tests.factories.sites import drop, jpeg_bytes


@pytest.mark.parametrize(("name", "expected"), [
    ("c01_20261120T020000.jpg", datetime(2026, 11, 20, 2, 0, 0)),
    ("2026-11-20_02-00-00.jpg", datetime(2026, 11, 20, 2, 0, 0)),
    ("IMG_20261120_235959.jpeg", datetime(2026, 11, 20, 23, 59, 59)),
    ("cam 2026-11-20 02.30.15.png", datetime(2026, 11, 20, 2, 30, 15)),
    ("shelf-20261320T020000.jpg", None),  # month 13: not a time
    ("IMG_0042.jpg", None),
    ("120261120T0200001.jpg", None),  # digits run on: not a timestamp
])
def test_time_from_file_name(name, expected):
    assert ingest.time_from_name(name) == expected


def test_exif_time_wins_over_the_file_name(tmp_path):
    data = jpeg_bytes(1, exif_time="2026:11:19 01:02:03")
    path = tmp_path / "c01_20261120T020000.jpg"
    path.write_bytes(data)
    assert ingest.capture_time(path, data) == (datetime(2026, 11, 19, 1, 2, 3), "exif")


def test_file_name_then_mtime(tmp_path):
    data = jpeg_bytes(1)
    named = tmp_path / "c01_20261120T020000.jpg"
    named.write_bytes(data)
    assert ingest.capture_time(named, data) == (datetime(2026, 11, 20, 2), "name")
    plain = tmp_path / "photo.jpg"
    plain.write_bytes(data)
    os.utime(plain, (1_700_000_000, 1_700_000_000))
    moment, source = ingest.capture_time(plain, data)
    assert source == "mtime" and moment == datetime.fromtimestamp(1_700_000_000, UTC)


def test_scan_skips_partial_uploads_and_hidden_files(tmp_path):
    home = tmp_path
    drop(home, "s1", "c1", "a.jpg", b"x")
    drop(home, "s1", "c1", "nested/b.jpg", b"x")
    drop(home, "s1", "c1", "c.jpg.part", b"x")
    drop(home, "s1", "c1", ".d.jpg", b"x")
    scan = ingest.scan_inbox(home / "inbox", {"s1": {"c1"}})
    assert [f.path.name for f in scan.files] == ["a.jpg", "b.jpg"]
    assert scan.unknown == []


def test_scan_reports_stray_files_and_unknown_folders(tmp_path):
    home = tmp_path
    drop(home, "s1", "c1", "a.jpg", b"x")
    (home / "inbox" / "loose.jpg").write_bytes(b"x")
    (home / "inbox" / "s1" / "loose.jpg").write_bytes(b"x")
    drop(home, "s1", "cX", "a.jpg", b"x")
    scan = ingest.scan_inbox(home / "inbox", {"s1": {"c1"}})
    assert len(scan.files) == 1 and len(scan.unknown) == 3
    assert any("unknown camera 'cX'" in n for n in scan.unknown)


def test_move_never_overwrites_a_different_file(tmp_path):
    dest = tmp_path / "archive"
    dest.mkdir()
    (dest / "a.jpg").write_bytes(b"older photo")
    src = tmp_path / "a.jpg"
    src.write_bytes(b"new photo")
    from pipeline.imaging import content_hash

    moved = ingest.move_into(src, dest, content_hash(b"new photo"))
    assert moved.name.startswith("a-") and moved.read_bytes() == b"new photo"
    assert (dest / "a.jpg").read_bytes() == b"older photo" and not src.exists()


def test_move_of_an_identical_copy_just_removes_it(tmp_path):
    from pipeline.imaging import content_hash

    dest = tmp_path / "archive"
    dest.mkdir()
    (dest / "a.jpg").write_bytes(b"same")
    src = tmp_path / "a.jpg"
    src.write_bytes(b"same")
    assert ingest.move_into(src, dest, content_hash(b"same")) == dest / "a.jpg"
    assert not src.exists() and len(list(dest.iterdir())) == 1
