"""Who inspects a batch of photos: this process (``local``) or a pool of Ray actors (``ray``).

The batch runner (:mod:`pipeline.inbox.runner`) claims photos in the database, cuts them into
batches and hands the batches to an engine; the engine calls back ``mark`` before it sends
batches out (the runner records them as in flight) and ``done`` with each batch's outcomes
(the runner commits them). :func:`inspect_batch` — a pure function of (photos, models, rules)
— is what every engine runs, in this process or on a cluster node, so both engines give the
same detections and the same violations.

``local`` (the default) inspects one batch at a time in this process. ``ray`` lives in
:mod:`pipeline.cluster.ray_engine`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pipeline.detections import PhotoDetections
from pipeline.imaging import Photo
from pipeline.inbox.inspectors import PhotoInspector, PhotoMeta
from pipeline.rulebook.in_force import StoreRules

Mark = Callable[[Sequence[int]], None]  # batch indexes about to be sent out
Done = Callable[[int, list["Outcome"]], None]  # a batch's outcomes, in its photos' order


@dataclass
class Outcome:
    """One photo's result from :func:`inspect_batch`: detections + verdict, or an error."""

    detections: PhotoDetections | None = None
    verdict: dict[str, Any] | None = None
    error: str | None = None
    ms: float = 0.0


@dataclass
class Batch:
    """Photos sent to inspection together, with the file bytes for engines that ship them."""

    photos: list[Photo]
    metas: list[PhotoMeta]
    data: list[bytes] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.photos)


class InspectionEngine(Protocol):
    """Inspects batches; ``inspector`` names the models recorded with every result."""

    name: str
    parallel: int  # batches it inspects at the same time

    @property
    def inspector(self) -> PhotoInspector: ...

    def inspect(self, batches: Sequence[Batch], rules: StoreRules, mark: Mark,
                done: Done) -> None: ...

    def close(self) -> None: ...


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


class LocalEngine:
    """One batch at a time, in this process (the default engine)."""

    name = "local"
    parallel = 1

    def __init__(self, inspector: PhotoInspector) -> None:
        self._inspector = inspector

    @property
    def inspector(self) -> PhotoInspector:
        return self._inspector

    def inspect(self, batches: Sequence[Batch], rules: StoreRules, mark: Mark,
                done: Done) -> None:
        for i, batch in enumerate(batches):
            mark([i])  # alone in flight: if this process dies now, it died on this batch
            done(i, inspect_batch(batch.photos, batch.metas, self._inspector, rules))

    def close(self) -> None:
        return None
