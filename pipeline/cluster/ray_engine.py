"""The ``ray`` engine: batches inspected by a pool of Ray actors that hold the models.

The driver (``run-once`` or ``scheduler``) lists the inbox, claims photos in the database,
and hands batches to :class:`RayEngine`, which sends each batch to a free actor, gathers the
outcomes and gives them back to the runner, which commits them. Each actor loads the models
once (``num_gpus=1`` per actor where the cluster has GPUs, else a share of the CPUs) and runs
the same :func:`~pipeline.inbox.engines.inspect_batch` as the local engine, so results are the
same detections and the same violations.

**Photo bytes travel through the Ray object store**: the driver reads each file (it hashes
and decodes it anyway to claim it) and puts its bytes into the object store once; actors on
any node fetch them from there. Nodes need no access to the inbox; only the driver does.

**An actor that dies mid-batch** (``kill -9``, out of memory, a native crash) loses nothing:
Ray restarts it (models loaded again) and the driver sends the batch's photos again, each in
a batch of its own, to whichever actor is free. A photo that kills an actor twice on its own
is recorded as failed (one attempt counted; retried next run up to ``max_attempts``). Results
are committed by the driver only, once per photo: no duplicates.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.cluster.dispatch import Dispatch, Job
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.imaging import decode_photo
from pipeline.inbox.engines import Batch, Done, Mark, Outcome, inspect_batch
from pipeline.inbox.inspectors import PhotoMeta
from pipeline.rulebook.in_force import StoreRules

PASSED_ENV = ("SHELFAUDIT_HOME", "SHELFAUDIT_RULES", "SHELFAUDIT_MODELS", "SHELFAUDIT_DEVICE",
              "SHELFAUDIT_INSPECTOR", "SHELFAUDIT_FAKE_GATE", "SHELFAUDIT_FAKE_CRASH_ON")


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ShelfAuditError(_("the ray engine needs Ray: pip install 'shelfaudit[ray]'")
                              ) from None
    return ray


class InspectionActor:
    """One Ray actor: loads the inspector once, then inspects batches sent to it."""

    def __init__(self, spec: str | None, env: dict[str, str]) -> None:
        os.environ.update(env)
        from pipeline.inbox.inspectors import make_inspector
        from pipeline.settings import get_settings

        get_settings.cache_clear()
        self.inspector = make_inspector(spec or os.environ.get("SHELFAUDIT_INSPECTOR")
                                        or "models")
        self._rules: dict[str, StoreRules] = {}

    def describe(self) -> tuple[int, str, dict[str, str]]:
        return os.getpid(), self.inspector.name, self.inspector.versions()

    def inspect(self, photo_refs: list[Any], sources: list[str], metas: list[PhotoMeta],
                rules_key: str, rules_ref: list[Any]) -> list[Outcome]:
        import ray

        if rules_key not in self._rules:  # a store's rules, fetched once per actor
            if len(self._rules) > 32:
                self._rules.clear()
            self._rules[rules_key] = ray.get(rules_ref[0])
        datas = ray.get(photo_refs)
        photos = [decode_photo(data, source) for data, source in zip(datas, sources, strict=True)]
        return inspect_batch(photos, metas, self.inspector, self._rules[rules_key])


@dataclass(frozen=True)
class RemoteInspector:
    """The actors' inspector as the driver records it with each result."""

    name: str
    models: dict[str, str]

    def inspect(self, photos, metas):  # noqa: ANN001, ANN201 - the models live in the actors
        raise NotImplementedError("the ray engine inspects in its actors")

    def versions(self) -> dict[str, str]:
        return dict(self.models)


@dataclass
class _Pool:
    """The actors and, between calls, which are free, restarting or gone."""

    actors: list[Any]
    pids: dict[int, int] = field(default_factory=dict)  # actor index -> process id
    info: RemoteInspector | None = None
    idle: deque[int] = field(default_factory=deque)
    pings: dict[Any, int] = field(default_factory=dict)  # describe call -> restarting actor
    dead: set[int] = field(default_factory=set)
    deaths: int = 0  # actor deaths seen mid-job
    ping_tries: dict[int, int] = field(default_factory=dict)


class RayEngine:
    """Inspect batches on a pool of Ray actors (see the module docstring)."""

    name = "ray"

    def __init__(self, address: str = "auto", actors: int | None = None,
                 inspector: str | None = None, gpus: bool | None = None) -> None:
        self.address, self.wanted, self.spec, self.gpus = address, actors, inspector, gpus
        self._pool: _Pool | None = None
        self._rules: dict[int, tuple[StoreRules, Any]] = {}
        self._connected_here = False
        self._lock = threading.RLock()  # the scheduler runs stores in threads: one at a time

    # -- the pool ------------------------------------------------------------------------
    def start(self) -> _Pool:
        """Connect to the cluster and start the actors (each loads the models once)."""
        with self._lock:
            if self._pool is None:
                self._pool = self._start()
            return self._pool

    def _start(self) -> _Pool:
        ray = _ray()
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, logging_level="ERROR", log_to_driver=False,
                         namespace="shelfaudit")
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ShelfAuditError(_("cannot reach the Ray cluster at {address}: {problem}"
                                        ).format(address=repr(self.address), problem=exc)
                                      ) from None
            self._connected_here = True
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        use_gpu = gpus > 0 if self.gpus is None else self.gpus
        cpus = max(1, int(resources.get("CPU", 1)))
        count = self.wanted or (gpus if use_gpu else cpus)
        options: dict[str, Any] = {"max_restarts": -1, "max_task_retries": 0}
        options.update({"num_gpus": 1, "num_cpus": 1} if use_gpu
                       else {"num_cpus": max(1, cpus // count)})
        actor_class = ray.remote(InspectionActor).options(**options)
        env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
        pool = _Pool([actor_class.remote(self.spec, env) for _ in range(count)])
        try:
            described = ray.get([a.describe.remote() for a in pool.actors])
        except ray.exceptions.RayError as exc:
            raise ShelfAuditError(_("the Ray inspection actors could not start: {problem}"
                                    ).format(problem=exc)) from None
        for i, (pid, name, models) in enumerate(described):
            pool.pids[i] = pid
            pool.idle.append(i)
            pool.info = pool.info or RemoteInspector(name, models)
        return pool

    @property
    def parallel(self) -> int:
        """Batches handed over at once: two per actor, so a free actor never waits."""
        return 2 * len(self.start().actors)

    @property
    def inspector(self) -> RemoteInspector:
        info = self.start().info
        assert info is not None
        return info

    def actor_pids(self) -> list[int]:
        """The actors' process ids as last seen (tests kill one)."""
        pool = self.start()
        return [pool.pids[i] for i in range(len(pool.actors))]

    @property
    def deaths(self) -> int:
        """Actor deaths seen mid-job since the pool started."""
        return self._pool.deaths if self._pool is not None else 0

    def close(self) -> None:
        """Stop the actors; disconnect if this engine connected."""
        if self._pool is not None:
            ray = _ray()
            for actor in self._pool.actors:
                ray.kill(actor, no_restart=True)
            self._pool = None
        self._rules.clear()
        if self._connected_here:
            _ray().shutdown()
            self._connected_here = False

    # -- inspecting ----------------------------------------------------------------------
    def _rules_ref(self, rules: StoreRules) -> tuple[str, Any]:
        held = self._rules.get(id(rules))
        if held is None or held[0] is not rules:
            if len(self._rules) > 64:
                self._rules.clear()
            held = (rules, _ray().put(rules))
            self._rules[id(rules)] = held
        return held[1].hex(), held[1]

    def inspect(self, batches: Sequence[Batch], rules: StoreRules, mark: Mark,
                done: Done) -> None:
        """Send every batch out at once; ``done`` each batch as its last photo comes back."""

        pool = self.start()
        ray = _ray()
        with self._lock:
            rules_key, rules_ref = self._rules_ref(rules)
            photo_refs = [[ray.put(data) for data in b.data] for b in batches]
            mark(range(len(batches)))
            jobs = deque(Job(i, list(range(len(b)))) for i, b in enumerate(batches))
            Dispatch(pool, batches, photo_refs, (rules_key, rules_ref), done).run(jobs)
