"""Stores and cameras as the runs see them: ``rules/stores.yaml`` read once into its one model.

:func:`load_sites` reads ``stores.yaml`` into :class:`pipeline.rules.schema.Store` values with
each camera's planogram resolved (``StoreSpec`` and ``CameraSpec`` are those same classes, named
for the store layer); :func:`sync_sites` mirrors them into the ``stores``/``cameras`` tables (a
store or camera removed from the file is kept, marked inactive, so its history stays).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db import tables
from pipeline.planogram import Planogram
from pipeline.rules.schema import Camera, Store

StoreSpec = Store  # the one model of a store (rules.schema), named for the store layer
CameraSpec = Camera


@dataclass
class Sites:
    """The stores in force and any problem met reading them."""

    stores: list[StoreSpec]
    problems: list[str] = field(default_factory=list)
    smtp: Any = None  # pipeline.alerts.config.SmtpServer of stores.yaml, if any

    def store(self, store_id: str) -> StoreSpec | None:
        return next((s for s in self.stores if s.id == store_id), None)


def _parse_stores(text: str, name: str) -> tuple[Any, list[Any]]:
    from pydantic import ValidationError

    from pipeline import yamldoc
    from pipeline.rules.loading import model_problems
    from pipeline.rules.schema import StoresFile
    from pipeline.yamldoc import YamlFileError

    try:
        doc = yamldoc.loads(text, name)
    except YamlFileError as exc:
        return None, list(exc.problems)
    try:
        return StoresFile.model_validate(yamldoc.to_plain(doc) or {}), []
    except ValidationError as exc:
        return None, model_problems(exc, StoresFile, doc, name)


def _planograms(folder: Path) -> tuple[dict[str, Planogram], list[str]]:
    from pipeline.rules.loading import load_planograms

    found, problems = {}, []
    for loaded in load_planograms(folder / "planograms"):
        if loaded.value is None:
            problems.extend(str(p) for p in loaded.problems)
        else:
            found[loaded.value.id] = loaded.value
    return found, problems


def load_sites(rules_dir: Path | None = None, url: str | None = None) -> Sites:
    """The stores of ``stores.yaml``; a broken file falls back to its last good saved version.

    Raises:
        YamlFileError: ``stores.yaml`` is broken and no valid version is on record.
    """
    from pipeline import i18n
    from pipeline.db import session_scope
    from pipeline.rulebook.versions import last_good_version, record_version
    from pipeline.settings import get_settings
    from pipeline.yamldoc import Problem, YamlFileError

    folder = rules_dir or get_settings().rules_dir
    path = folder / "stores.yaml"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise YamlFileError([Problem(str(path), 0, 0, f"cannot read ({exc.strerror})")]) from None
    with i18n.using("en"):  # kept with the version and a run's notes: stored text, English
        parsed, problems = _parse_stores(text, str(path))
    notes = []
    with session_scope(url) as session:
        record_version(session, path.name, text, valid=not problems,
                       problems=[str(p) for p in problems])
        if problems:
            good = last_good_version(session, path.name)
            if good is None:
                raise YamlFileError(problems)
            parsed, _ = _parse_stores(good.yaml_text, f"{path} (version #{good.id})")
            notes.append(f"{problems[0]}; using the last good stores.yaml, version #{good.id}")
    with i18n.using("en"):
        planograms, plan_problems = _planograms(folder)
    return Sites([s.resolved(planograms) for s in parsed.stores], notes + plan_problems,
                 parsed.smtp)


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
                                                            spec.schedule_text, True)
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
