"""Stores and cameras as the store layer sees them (one adapter over ``rules/stores.yaml``).

:func:`load_sites` reads ``stores.yaml`` through the rules package and returns plain
:class:`StoreSpec` values; :func:`sync_sites` mirrors them into the ``stores``/``cameras``
tables (a store or camera removed from the file is kept, marked inactive, so its history stays).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.planogram import Planogram, Zone
from pipeline.store import tables
from pipeline.store.calendar import local_day, zone

DEFAULT_SCHEDULE = "0 2 * * *"  # nightly 02:00 store time


@dataclass(frozen=True)
class CameraSpec:
    id: str
    name: str = ""
    planogram: Planogram | None = None
    zones: tuple[Zone, ...] = ()


@dataclass(frozen=True)
class StoreSpec:
    id: str
    name: str = ""
    timezone: str = "UTC"
    schedule: str | None = DEFAULT_SCHEDULE  # cron "m h dom mon dow" or "every 4h"
    cameras: dict[str, CameraSpec] = field(default_factory=dict)

    def local_day(self, moment_utc: datetime) -> date:
        return local_day(moment_utc, self.timezone)


def _attr(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return default


def _schedule_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    cron = _attr(value, "cron")
    if cron:
        return str(cron)
    every = _attr(value, "every", "every_hours")
    if every is not None:
        return f"every {every}" if isinstance(every, str) else f"every {every}h"
    return str(value)


def spec_from(store: Any, planograms: dict[str, Planogram] | None = None) -> StoreSpec:
    """A :class:`StoreSpec` from the rules package's store model (or a plain dict)."""
    cameras = {}
    for cam in _attr(store, "cameras", default=[]) or []:
        plan = _attr(cam, "planogram")
        if isinstance(plan, str):
            plan = (planograms or {}).get(plan)
        cam_id = str(_attr(cam, "id"))
        cameras[cam_id] = CameraSpec(cam_id, str(_attr(cam, "name", default="")), plan,
                                     tuple(_attr(cam, "zones", default=()) or ()))
    tz = str(_attr(store, "timezone", "tz", default="UTC"))
    zone(tz)  # fail early on a bad zone name
    return StoreSpec(id=str(_attr(store, "id")), name=str(_attr(store, "name", default="")),
                     timezone=tz, schedule=_schedule_text(_attr(store, "schedule")),
                     cameras=cameras)


def load_sites(rules_dir: Path | None = None) -> list[StoreSpec]:
    """The stores of ``stores.yaml`` (raises ``YamlFileError`` with file:line on bad input)."""
    from pipeline.rules import stores as rules_stores
    from pipeline.settings import get_settings

    folder = rules_dir or get_settings().rules_dir
    setup = rules_stores.load_stores(folder / "stores.yaml")
    planograms = dict(getattr(setup, "planograms", None) or {})
    return [spec_from(s, planograms) for s in _attr(setup, "stores", default=[])]


def sync_sites(session: Session, sites: Sequence[StoreSpec]) -> None:
    """Mirror stores and cameras into the database (inactive when gone from the file)."""
    known = {s.id: s for s in sites}
    rows = {r.id: r for r in session.execute(select(tables.Store)).scalars()}
    for spec in sites:
        row = rows.get(spec.id)
        if row is None:
            row = tables.Store(id=spec.id)
            session.add(row)
        row.name, row.timezone, row.schedule, row.active = (spec.name or spec.id, spec.timezone,
                                                            spec.schedule, True)
    for store_id, row in rows.items():
        if store_id not in known:
            row.active = False
    session.flush()
    cams = {(c.store_id, c.id): c for c in session.execute(select(tables.Camera)).scalars()}
    for spec in sites:
        for cam in spec.cameras.values():
            row = cams.get((spec.id, cam.id))
            if row is None:
                row = tables.Camera(store_id=spec.id, id=cam.id)
                session.add(row)
            row.name = cam.name or cam.id
            row.planogram_id = cam.planogram.id if cam.planogram else None
            row.active = True
    for (store_id, cam_id), row in cams.items():
        spec = known.get(store_id)
        if spec is None or cam_id not in spec.cameras:
            row.active = False
