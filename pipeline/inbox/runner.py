"""The batch job: inbox photos -> inspector -> rules -> database -> archive. Idempotent.

For each store (under its lease, see :mod:`pipeline.db.locks`), photos are taken from the
inbox in batches that mix the store's cameras, and each batch goes through four steps:

1. **claim** — read, hash, date and decode each file; new photos get a ``received`` row,
   unreadable ones a ``quarantined`` row. Commit.
2. **inspect** — the engine (:mod:`pipeline.inbox.engines`: this process, or Ray actors) runs
   :func:`inspect_batch`, a pure function of (photos, inspector, rules); one photo failing
   never fails the others. Before batches go out, their photos get ``in_flight`` set to the
   number of photos out together. Commit.
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pipeline.db import session_scope, tables
from pipeline.inbox import ingest
from pipeline.inbox.engines import Batch, InspectionEngine, LocalEngine, Outcome, inspect_batch
from pipeline.inbox.inspectors import PhotoInspector, PhotoMeta
from pipeline.inbox.results import insert_violations, record_failure, record_inspection
from pipeline.rulebook.in_force import StoreRules
from pipeline.sites import StoreSpec

__all__ = ["StoreRunner", "Outcome", "inspect_batch", "interleave_cameras"]

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


class StoreRunner:
    """Runs one store's waiting photos through the pipeline (the lease is the caller's)."""

    def __init__(self, store: StoreSpec, inspector: PhotoInspector | None, rules: StoreRules,
                 home: Path, *, batch_size: int = DEFAULT_BATCH,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS, url: str | None = None,
                 stop: threading.Event | None = None,
                 progress: Callable[[int], None] | None = None,
                 engine: InspectionEngine | None = None) -> None:
        if engine is None:
            if inspector is None:
                raise ValueError("StoreRunner needs an inspector or an engine")
            engine = LocalEngine(inspector)
        self.store, self.engine, self.rules, self.home = store, engine, rules, home
        self.batch_size, self.max_attempts, self.url = batch_size, max_attempts, url
        self.stop = stop or threading.Event()
        self.progress = progress
        self.counts = RunCounts()
        self.notes: list[str] = []

    def run(self, files: Sequence[ingest.InboxFile]) -> RunCounts:
        files = interleave_cameras(files)
        self.counts.seen += len(files)
        if not files:  # an empty inbox starts no engine and loads no models
            return self.counts
        step = self.batch_size * max(1, self.engine.parallel)  # batches in flight at once
        for i in range(0, len(files), step):
            if self.stop.is_set():
                self.notes.append(f"stopped early; {len(files) - i} photo(s) left for next run")
                break
            chunk = files[i:i + step]
            self._round(chunk)
            if self.progress:
                self.progress(len(chunk))
        return self.counts

    # -- one round: as many batches as the engine inspects at once ----------------------
    def _round(self, files: Sequence[ingest.InboxFile]) -> None:
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
            self._claim_all(session, intakes, plan)
        together = [w for w in plan.work if not w.alone]
        groups = [together[j:j + self.batch_size]
                  for j in range(0, len(together), self.batch_size)]
        groups += [[w] for w in plan.work if w.alone]  # suspects: each in a batch of its own
        if groups:
            self._inspect(groups, plan)
            self._place_copies(plan)
        self._move(plan)
        for name, value in plan.counts.as_dict().items():
            setattr(self.counts, name, getattr(self.counts, name) + value)

    def _inspect(self, groups: list[list[Work]], plan: BatchPlan) -> None:
        """Hand the batches to the engine; commit each batch's results as they come back."""
        batches = [Batch([w.intake.photo for w in g], [self._meta(w) for w in g],
                         [w.intake.data for w in g]) for g in groups]

        def mark(indexes: Sequence[int]) -> None:
            ids = [w.photo_id for i in indexes for w in groups[i]]  # photos out together
            with session_scope(self.url) as session:
                session.execute(update(tables.Photo).where(tables.Photo.id.in_(ids))
                                .values(in_flight=len(ids)))

        def done(i: int, outcomes: list[Outcome]) -> None:
            for w, outcome in zip(groups[i], outcomes, strict=True):
                w.outcome = outcome
            with session_scope(self.url) as session:  # rows loaded at once: one flush at commit
                ids = [w.photo_id for w in groups[i]]
                held = session.scalars(select(tables.Photo).where(tables.Photo.id.in_(ids))).all()
                violations: list = []
                for w in groups[i]:
                    self._record(session, w, plan, violations)
                insert_violations(session, violations)
                del held

        self.engine.inspect(batches, self.rules, mark, done)

    def _meta(self, w: Work) -> PhotoMeta:
        camera = self.store.cameras.get(w.camera)
        return PhotoMeta(self.store.id, w.camera, w.intake.captured_at.isoformat() + "Z",
                         camera.planogram if camera else None)

    def _claim_all(self, session: Session, intakes: Sequence[ingest.Intake],
                   plan: BatchPlan) -> None:
        """Rows for every photo of the round (known ones in one query, new ones in one flush),
        then each photo's claim."""
        shas = sorted({i.sha256 for i in intakes})
        rows = {r.sha256: r for r in session.scalars(
            select(tables.Photo).where(tables.Photo.sha256.in_(shas)))} if shas else {}
        for intake in intakes:
            if intake.sha256 not in rows:
                rows[intake.sha256] = self._new_row(intake)
                session.add(rows[intake.sha256])
        session.flush()
        for intake in intakes:
            self._claim(intake, rows[intake.sha256], plan)

    def _new_row(self, intake: ingest.Intake) -> tables.Photo:
        f = intake.file
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
        return row

    def _claim(self, intake: ingest.Intake, row: tables.Photo, plan: BatchPlan) -> None:
        f = intake.file
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

    def _record(self, session: Session, w: Work, plan: BatchPlan, violations: list) -> None:
        row = session.get(tables.Photo, w.photo_id)
        outcome = w.outcome
        assert row is not None and outcome is not None
        row.in_flight = None
        if outcome.error is None:
            day = w.intake.captured_at
            local = self.store.local_day(day)
            folder = ingest.archive_folder(self.home, row.store_id, row.camera_id, local)
            record_inspection(session, row, outcome.detections, outcome.verdict,
                              inspector=self.engine.inspector, rules=self.rules, local_day=local,
                              duration_ms=outcome.ms, final_path=folder / w.intake.file.path.name,
                              violations_out=violations)
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
