"""The ray engine's send-and-gather loop: free actors take jobs, dead actors' photos go again.

A job is a batch (or, after its actor died, one photo of it). Each actor has at most one job
at a time; when an actor dies mid-job, the job's photos are queued again one per job, a
``describe`` call waits for Ray to restart the actor, and the actor then rejoins the free
ones. A photo that kills its actor :data:`DEATHS_ALONE` times
alone gets a failed outcome. A batch is handed back (``done``) once all its photos are back.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.errors import ShelfAuditError
from pipeline.i18n import ngettext
from pipeline.inbox.engines import Batch, Done, Outcome

DEATHS_ALONE = 2  # a photo that kills its actor this many times alone is recorded as failed


@dataclass
class Job:
    """Photos of one batch on their way to an actor (all of them, or one after a death)."""

    batch: int
    items: list[int]
    deaths: int = 0

PING_TRIES = 20  # failed calls to a restarting actor before it is taken out of the pool


class Dispatch:
    """One :meth:`RayEngine.inspect` call's jobs, sent to the pool's free actors."""

    def __init__(self, pool: Any, batches: Sequence[Batch], photo_refs: list[list[Any]],
                 rules: tuple[str, Any], done: Done) -> None:
        import ray

        self.ray, self.pool, self.batches, self.photo_refs = ray, pool, batches, photo_refs
        self.rules_key, self.rules_ref = rules
        self.done = done
        self.results: dict[int, list[Outcome | None]] = {
            i: [None] * len(b) for i, b in enumerate(batches)}
        self.left = {i: len(b) for i, b in enumerate(batches)}
        self.pending: dict[Any, tuple[int, Any]] = {}  # inspect call -> (actor, job)

    def run(self, jobs: deque) -> None:
        while jobs or self.pending:
            while jobs and self.pool.idle:
                self._send(jobs.popleft(), self.pool.idle.popleft())
            waiting = [*self.pending, *self.pool.pings]
            if not waiting:
                left = sum(len(j.items) for j in jobs)
                raise ShelfAuditError(ngettext(
                    "every Ray inspection actor is gone; {n} photo stays in flight and is "
                    "inspected by the next run", "every Ray inspection actor is gone; {n} photos "
                    "stay in flight and are inspected by the next run", left).format(n=left))
            ready, _waiting = self.ray.wait(waiting, num_returns=1)
            for ref in ready:
                if ref in self.pool.pings:
                    self._rejoin(ref)
                else:
                    self._collect(ref, jobs)

    def _send(self, job: Any, actor: int) -> None:
        batch = self.batches[job.batch]
        call = self.pool.actors[actor].inspect.remote(
            [self.photo_refs[job.batch][k] for k in job.items],
            [batch.photos[k].source for k in job.items], [batch.metas[k] for k in job.items],
            self.rules_key, [self.rules_ref])
        self.pending[call] = (actor, job)

    def _rejoin(self, ref: Any) -> None:
        """A restarting actor answered (free again) or failed (asked again, up to a limit:
        a call sent before Ray noticed the death fails too)."""
        actor = self.pool.pings.pop(ref)
        try:
            pid, _, _ = self.ray.get(ref)
        except self.ray.exceptions.RayError:
            tries = self.pool.ping_tries.get(actor, 0) + 1
            self.pool.ping_tries[actor] = tries
            if tries >= PING_TRIES:  # could not be restarted: out of the pool
                self.pool.dead.add(actor)
                return
            time.sleep(min(0.1 * tries, 1.0))
            self.pool.pings[self.pool.actors[actor].describe.remote()] = actor
            return
        self.pool.ping_tries.pop(actor, None)
        self.pool.pids[actor] = pid
        self.pool.idle.append(actor)

    def _collect(self, ref: Any, jobs: deque) -> None:

        actor, job = self.pending.pop(ref)
        try:
            outcomes = self.ray.get(ref)
        except self.ray.exceptions.RayActorError:
            self.pool.deaths += 1
            self.pool.pings[self.pool.actors[actor].describe.remote()] = actor
            if len(job.items) > 1:  # nobody knows which photo: each goes again alone
                jobs.extendleft(Job(job.batch, [k]) for k in reversed(job.items))
            elif job.deaths + 1 < DEATHS_ALONE:
                jobs.appendleft(Job(job.batch, job.items, job.deaths + 1))
            else:
                self._fill(job, [Outcome(error=f"inspection failed: the inspecting process "
                                               f"(a Ray actor) died {DEATHS_ALONE} times on "
                                               f"this photo alone")])
            return
        except self.ray.exceptions.RayTaskError as exc:
            outcomes = [Outcome(error=f"inspection failed on a Ray actor: {exc}")
                        for _ in job.items]
        self.pool.idle.append(actor)
        self._fill(job, outcomes)

    def _fill(self, job: Any, outcomes: list[Outcome]) -> None:
        for k, outcome in zip(job.items, outcomes, strict=True):
            self.results[job.batch][k] = outcome
        self.left[job.batch] -= len(job.items)
        if self.left[job.batch] == 0:
            found = self.results[job.batch]
            assert all(o is not None for o in found)
            self.done(job.batch, [o for o in found if o is not None])
