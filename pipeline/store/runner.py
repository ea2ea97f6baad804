"""The batch job: inbox photos -> inspector -> rules -> database -> archive. Idempotent.

For each store (under its lease, see :mod:`pipeline.store.locks`), photos are taken from the
inbox in batches that mix the store's cameras, and each batch goes through four steps:

1. **claim** — read, hash, date and decode each file; new photos get a ``received`` row,
   unreadable ones a ``quarantined`` row; every photo about to be inspected gets ``in_flight``
   set to the size of its batch. Commit.
2. **inspect** — :func:`inspect_batch`, a pure function of (photos, inspector, rules); one
   photo failing never fails the others.
3. **record** — inspections, detections and violations, and each photo's final state and final
   path, in one transaction; ``in_flight`` is cleared and ``attempts`` raised only for a photo
   that failed. Commit.
4. **move** — originals to ``archive/`` (or ``quarantine/``, ``failed/``), only now.

A ``kill -9`` anywhere leaves the inbox file in place with either no results (it is simply
inspected again) or committed results (the next run sees the hash is already inspected and only
moves the file). The unique ``inspections.photo_id`` forbids a second inspection either way.

**Crashes count only against the photo that caused them.** A photo still ``in_flight`` when a
run claims it was in a batch whose run died (out of memory, a native crash, ``kill -9``). If its
batch held other photos, nobody knows which one was to blame: it is put under suspicion
(``in_flight = 0``) and inspected alone, without an attempt counted. If it was alone
(``in_flight = 1``), it was the culprit: one attempt is counted against it, and after
``max_attempts`` it goes to ``failed/``. Healthy photos of a crashed batch never gain attempts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.detections import PhotoDetections
from pipeline.imaging import Photo
from pipeline.store import ingest, tables
from pipeline.store.compliance import StoreRules
from pipeline.store.db import session_scope
from pipeline.store.inspectors import PhotoInspector, PhotoMeta
from pipeline.store.results import record_failure, record_inspection
from pipeline.store.sites import StoreSpec

DEFAULT_BATCH = 16
DEFAULT_MAX_ATTEMPTS = 3


@dataclass
class RunCounts:
    seen: int = 0
    inspected: int = 0
    failed: int = 0
    quarantined: int = 0
    duplicates: int = 0
    retry: int = 0  # failed this time, tried again next run
    left: int = 0  # unreadable or unknown: left in the inbox, reported

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Outcome:
    """One photo's result from :func:`inspect_batch`: detections + verdict, or an error."""

    detections: PhotoDetections | None = None
    verdict: dict[str, Any] | None = None
    error: str | None = None
    ms: float = 0.0


@dataclass
class Work:
    """A claimed photo on its way through a batch (``alone``: a suspect from a crashed batch)."""

    intake: ingest.Intake
    photo_id: int
    camera: str
    alone: bool = False
    outcome: Outcome | None = None


@dataclass(frozen=True)
class Move:
    """A file to move once its rows are committed (``reason`` written next to quarantined)."""

    src: Path
    folder: Path
    sha256: str
    photo_id: int | None = None
    reason: str | None = None


@dataclass
class BatchPlan:
    work: list[Work] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    copies: list[tuple[ingest.Intake, int]] = field(default_factory=list)  # same bytes twice
    counts: RunCounts = field(default_factory=RunCounts)


def interleave_cameras(files: Sequence[ingest.InboxFile]) -> list[ingest.InboxFile]:
    """Round-robin over cameras so every batch mixes the store's cameras."""
    by_camera: dict[str, list[ingest.InboxFile]] = {}
    for f in files:
        by_camera.setdefault(f.camera, []).append(f)
    mixed = zip_longest(*by_camera.values())
    return [f for group in mixed for f in group if f is not None]


def inspect_batch(photos: Sequence[Photo], metas: Sequence[PhotoMeta],
                  inspector: PhotoInspector, rules: StoreRules) -> list[Outcome]:
    """Inspect and judge photos: a pure function of (photos, models, rules) -> results.

    The whole batch goes through the inspector at once; if that fails, each photo is tried
    alone so one bad photo cannot sink the others. Rule evaluation errors stay per photo.
    """
    start = time.perf_counter()
    try:
        found: list[PhotoDetections | Exception] = list(inspector.inspect(photos, metas))
    except Exception:  # noqa: BLE001 - fall back to one by one to isolate the culprit
        found = []
        for photo, meta in zip(photos, metas, strict=True):
            try:
                found.extend(inspector.inspect([photo], [meta]))
            except Exception as exc:  # noqa: BLE001 - recorded as the photo's failure
                found.append(exc)
    per_photo_ms = (time.perf_counter() - start) * 1000.0 / max(len(photos), 1)
    outcomes = []
    for result, meta in zip(found, metas, strict=True):
        if isinstance(result, Exception):
            outcomes.append(Outcome(error=f"inspection failed: {type(result).__name__}: "
                                          f"{result}", ms=per_photo_ms))
            continue
        try:
            verdict = rules.evaluate(result, meta.camera)
        except Exception as exc:  # noqa: BLE001 - recorded as the photo's failure
            outcomes.append(Outcome(detections=result, ms=per_photo_ms,
                                    error=f"rule evaluation failed: {type(exc).__name__}: {exc}"))
            continue
        outcomes.append(Outcome(detections=result, verdict=verdict, ms=per_photo_ms))
    return outcomes


class StoreRunner:
    """Runs one store's waiting photos through the pipeline (the lease is the caller's)."""

    def __init__(self, store: StoreSpec, inspector: PhotoInspector, rules: StoreRules,
                 home: Path, *, batch_size: int = DEFAULT_BATCH,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS, url: str | None = None,
                 stop: threading.Event | None = None,
                 progress: Callable[[int], None] | None = None) -> None:
        self.store, self.inspector, self.rules, self.home = store, inspector, rules, home
        self.batch_size, self.max_attempts, self.url = batch_size, max_attempts, url
        self.stop = stop or threading.Event()
        self.progress = progress
        self.counts = RunCounts()
        self.notes: list[str] = []

    def run(self, files: Sequence[ingest.InboxFile]) -> RunCounts:
        files = interleave_cameras(files)
        self.counts.seen += len(files)
        for i in range(0, len(files), self.batch_size):
            if self.stop.is_set():
                self.notes.append(f"stopped early; {len(files) - i} photo(s) left for next run")
                break
            batch = files[i:i + self.batch_size]
            self._batch(batch)
            if self.progress:
                self.progress(len(batch))
        return self.counts

    # -- one batch ----------------------------------------------------------------------
    def _batch(self, files: Sequence[ingest.InboxFile]) -> None:
        intakes = []
        for f in files:
            try:
                intake = ingest.read_inbox_file(f, self.store.timezone)
            except OSError as exc:
                self.notes.append(f"{f.path}: cannot read ({exc.strerror}); left in the inbox")
                self.counts.left += 1
                continue
            if intake is not None:
                intakes.append(intake)
        plan = BatchPlan()
        with session_scope(self.url) as session:
            for intake in intakes:
                self._claim(session, intake, plan)
            together = [w for w in plan.work if not w.alone]
            self._mark_in_flight(session, together)
        groups = [together] if together else []
        groups += [[w] for w in plan.work if w.alone]
        for i, group in enumerate(groups):
            if i > 0 or not together:  # a suspect: sent alone, so a crash now is its own
                with session_scope(self.url) as session:
                    self._mark_in_flight(session, group)
            self._inspect_group(group, plan)
        if plan.work:
            self._place_copies(plan)
        self._move(plan)
        for name, value in plan.counts.as_dict().items():
            setattr(self.counts, name, getattr(self.counts, name) + value)

    @staticmethod
    def _mark_in_flight(session: Session, group: Sequence[Work]) -> None:
        for w in group:
            row = session.get(tables.Photo, w.photo_id)
            assert row is not None
            row.in_flight = len(group)

    def _inspect_group(self, group: Sequence[Work], plan: BatchPlan) -> None:
        """Inspect photos sent together, then record their results in one transaction."""
        metas = [self._meta(w) for w in group]
        photos = [w.intake.photo for w in group]
        for w, outcome in zip(group, inspect_batch(photos, metas, self.inspector, self.rules),
                              strict=True):
            w.outcome = outcome
        with session_scope(self.url) as session:
            for w in group:
                self._record(session, w, plan)

    def _meta(self, w: Work) -> PhotoMeta:
        camera = self.store.cameras.get(w.camera)
        return PhotoMeta(self.store.id, w.camera, w.intake.captured_at.isoformat() + "Z",
                         camera.planogram if camera else None)

    def _claim(self, session: Session, intake: ingest.Intake, plan: BatchPlan) -> None:
        f = intake.file
        row = session.execute(
            select(tables.Photo).where(tables.Photo.sha256 == intake.sha256)
        ).scalar_one_or_none()
        if row is None:
            row = tables.Photo(
                sha256=intake.sha256, store_id=f.store, camera_id=f.camera, path=str(f.path),
                original_name=f.path.name, captured_at=intake.captured_at,
                captured_from=intake.captured_from, attempts=0,
                width=intake.photo.width if intake.photo else None,
                height=intake.photo.height if intake.photo else None,
            )
            if intake.photo is None:
                row.state, row.last_error = tables.QUARANTINED, intake.error
                row.path = str(ingest.quarantine_folder(self.home, f.store, f.camera) / f.path.name)
            session.add(row)
            session.flush()
        if row.state == tables.QUARANTINED:
            folder = ingest.quarantine_folder(self.home, row.store_id, row.camera_id)
            plan.moves.append(Move(f.path, folder, intake.sha256, row.id, row.last_error))
            plan.counts.quarantined += 1
            return
        if row.state == tables.INSPECTED:
            folder = Path(row.path).parent
            plan.moves.append(Move(f.path, folder, intake.sha256))
            plan.counts.duplicates += 1
            return
        suspect = self._suspect(row)
        if row.attempts >= self.max_attempts:  # failed N times, or the run died N times on it
            row.in_flight = None
            if row.state != tables.FAILED:
                row.state = tables.FAILED
                row.last_error = (f"gave up after {row.attempts} attempts: the run stopped "
                                  f"while inspecting this photo")
            folder = ingest.failed_folder(self.home, row.store_id, row.camera_id)
            row.path = str(folder / f.path.name)
            plan.moves.append(Move(f.path, folder, intake.sha256, row.id))
            plan.counts.failed += 1
            return
        if intake.photo is None:  # known hash but unreadable now: cannot happen for same bytes
            return
        if any(w.photo_id == row.id for w in plan.work):  # a second copy in this batch
            plan.copies.append((intake, row.id))
            return
        row.path = str(f.path)
        plan.work.append(Work(intake, row.id, row.camera_id, alone=suspect))

    def _suspect(self, row: tables.Photo) -> bool:
        """Whether a run died with this photo in flight; counts the death against it only if
        it was inspected alone (see the module docstring)."""
        if row.in_flight is None:
            return False
        if row.in_flight == 1:
            row.attempts += 1
            row.last_error = "the run stopped while inspecting this photo alone"
            self.notes.append(f"{row.original_name}: the last run stopped while inspecting this "
                              f"photo alone (attempt {row.attempts} of {self.max_attempts})")
        row.in_flight = 0
        return True

    def _record(self, session: Session, w: Work, plan: BatchPlan) -> None:
        row = session.get(tables.Photo, w.photo_id)
        outcome = w.outcome
        assert row is not None and outcome is not None
        row.in_flight = None
        if outcome.error is None:
            day = w.intake.captured_at
            local = self.store.local_day(day)
            folder = ingest.archive_folder(self.home, row.store_id, row.camera_id, local)
            record_inspection(session, row, outcome.detections, outcome.verdict,
                              inspector=self.inspector, rules=self.rules, local_day=local,
                              duration_ms=outcome.ms, final_path=folder / w.intake.file.path.name)
            plan.moves.append(Move(w.intake.file.path, folder, w.intake.sha256, row.id))
            plan.counts.inspected += 1
            return
        row.attempts += 1
        final = row.attempts >= self.max_attempts
        folder = ingest.failed_folder(self.home, row.store_id, row.camera_id)
        record_failure(row, outcome.error, final_path=folder / w.intake.file.path.name
                       if final else None)
        if final:
            plan.moves.append(Move(w.intake.file.path, folder, w.intake.sha256, row.id))
            plan.counts.failed += 1
        else:
            self.notes.append(f"{w.intake.file.path}: attempt {row.attempts} of "
                              f"{self.max_attempts} failed ({outcome.error}); retried next run")
            plan.counts.retry += 1

    def _place_copies(self, plan: BatchPlan) -> None:
        """Copies of a photo inspected in this batch follow it; others wait for the next run."""
        done = {m.photo_id: m.folder for m in plan.moves if m.photo_id is not None}
        for intake, photo_id in plan.copies:
            work = next(w for w in plan.work if w.photo_id == photo_id)
            if work.outcome is not None and work.outcome.error is None:
                plan.moves.append(Move(intake.file.path, done[photo_id], intake.sha256))
                plan.counts.duplicates += 1

    def _move(self, plan: BatchPlan) -> None:
        """Move files only after their rows are committed; fix the path if a suffix was added."""
        fixes: list[tuple[int, Path]] = []
        for move in plan.moves:
            if not move.src.exists():
                continue
            try:
                dest = ingest.move_into(move.src, move.folder, move.sha256)
            except OSError as exc:
                self.notes.append(f"{move.src}: could not move to {move.folder} ({exc}); "
                                  f"left in place")
                continue
            if move.reason:
                ingest.write_reason(dest, move.reason)
            if move.photo_id is not None and dest.name != move.src.name:
                fixes.append((move.photo_id, dest))
        if fixes:
            with session_scope(self.url) as session:
                for photo_id, dest in fixes:
                    row = session.get(tables.Photo, photo_id)
                    if row is not None:
                        row.path = str(dest)
