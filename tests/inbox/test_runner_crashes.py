"""A run that dies mid-batch counts the crash only against the photo that caused it.

Before: every photo of a batch had ``attempts`` raised when it was claimed, so one photo that
kills the process (a native crash, the OOM killer) cost each of its 15 healthy batch-mates an
attempt per crash, and three crashes parked them all in ``failed/``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline import db
from pipeline.db import tables
from pipeline.inbox.inspectors import FakeInspector
from pipeline.inbox.jobs import RunOptions, run_once
from pipeline.settings import get_settings
from tests.conftest import REPO
from tests.factories.sites import FakeRules, drop, drop_photos, jpeg_bytes, make_sites

POISON = "poison_20261116T235900.jpg"


@pytest.fixture
def home(db_url):
    db.upgrade()
    yield get_settings().home_dir
    db.dispose_engines()


class _Crash(BaseException):
    """The process dying, as the runner sees it: nothing after this line runs."""


class _Poisoned(FakeInspector):
    """Dies on any batch holding the poison photo."""

    def inspect(self, photos, metas):
        if any("poison" in p.source for p in photos):
            raise _Crash
        return super().inspect(photos, metas)


def _photos() -> dict[str, tables.Photo]:
    with db.session_scope() as s:
        return {row.original_name: row for row in s.scalars(select(tables.Photo))}


def _drop_batch(home: Path, store: str = "s1", cameras: tuple[str, str] = ("c1", "c2")) -> None:
    """15 healthy photos and the poison: one batch of 16."""
    drop_photos(home, store, cameras[0], 8)
    drop_photos(home, store, cameras[1], 7, seed=3)
    drop(home, store, cameras[0], POISON, jpeg_bytes(99))


def _assert_only_the_poison_paid(home: Path, max_attempts: int,
                                 folder: tuple[str, str] = ("s1", "c1")) -> None:
    photos = _photos()
    poison = photos.pop(POISON)
    assert len(photos) == 15
    assert {(p.state, p.attempts, p.in_flight) for p in photos.values()} == {
        (tables.INSPECTED, 0, None)}
    assert poison.state == tables.FAILED and poison.attempts == max_attempts
    assert f"gave up after {max_attempts} attempts" in poison.last_error
    assert Path(poison.path) == home / "failed" / folder[0] / folder[1] / POISON
    assert Path(poison.path).exists()
    assert not list((home / "inbox").rglob("*.jpg"))
    assert len(list((home / "archive").rglob("*.jpg"))) == 15


def test_a_crash_mid_batch_counts_only_against_the_photo_that_caused_it(home):
    _drop_batch(home)
    options = RunOptions(inspector=_Poisoned(), rules_loader=lambda s: FakeRules(),
                         max_attempts=3)
    with pytest.raises(_Crash):
        run_once(make_sites(), ["s1"], options)
    after_first = _photos()
    assert {p.attempts for p in after_first.values()} == {0}  # nobody is blamed yet
    assert {p.in_flight for p in after_first.values()} == {16}
    crashes = 1
    for _ in range(8):
        try:
            run_once(make_sites(), ["s1"], options)
            break
        except _Crash:
            crashes += 1
    # the batch, then the poison alone three times (its three attempts); then it is given up
    assert crashes == 4
    _assert_only_the_poison_paid(home, max_attempts=3)


def test_kill_9_by_one_photo_parks_that_photo_and_no_other(home):
    _drop_batch(home, "s001", ("c01", "c02"))  # stores.yaml's stores: run-once reads it
    env = {**os.environ, "SHELFAUDIT_INSPECTOR": "fake", "SHELFAUDIT_FAKE_CRASH_ON": "poison",
           "PYTHONPATH": str(REPO)}
    codes = []
    for _ in range(6):
        run = subprocess.run([sys.executable, "-m", "pipeline.cli", "run-once", "--store", "s001",
                              "--max-attempts", "2"], env=env, cwd=REPO, capture_output=True,
                             text=True, timeout=120)
        codes.append(run.returncode)
        if run.returncode >= 0:
            break
    assert codes == [-9, -9, -9, 1], codes  # batch, alone twice, then given up (exit 1)
    _assert_only_the_poison_paid(home, max_attempts=2, folder=("s001", "c01"))
