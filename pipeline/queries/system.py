"""The System page: models in use, the catalog with its reference photos, teaching a new look.

Reference photos live in gallery folders ``<dir>/<sku>/*.jpg`` (the models settings file lists
them; the one the dashboard writes to is ``$SHELFAUDIT_HOME/gallery``). The recognizer matches
products against them by nearest neighbour, so a new photo changes labels without retraining.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from pipeline.access.roles import ANY_STORE, can
from pipeline.access.scope import Scope
from pipeline.catalog import Catalog
from pipeline.db.read import engine_for, rows
from pipeline.db.tables import Inspection

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class ModelFile:
    stage: str
    source: str
    found: bool
    size_mb: float | None
    modified: datetime | None  # naive UTC


def _file_info(stage: str, source: str) -> ModelFile:
    path = Path(source)
    if not path.exists():
        return ModelFile(stage, source, False, None, None)
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    size = sum(p.stat().st_size for p in files) / 1e6
    newest = max((p.stat().st_mtime for p in files), default=path.stat().st_mtime)
    return ModelFile(stage, source, True, round(size, 1),
                     datetime.fromtimestamp(newest, UTC).replace(tzinfo=None))


def model_files() -> tuple[list[ModelFile], Any]:
    """The detector and recognizer named by the models settings, and the settings."""
    from pipeline.vision.config import load_models_config

    config = load_models_config()
    return [_file_info("detector", config.detector),
            _file_info("recognizer", config.recognizer)], config


def recorded_models(scope: Scope, engine: Engine | None = None) -> dict[str, Any]:
    """Model versions kept with the newest inspection in scope (what the last run used)."""
    stmt = (select(Inspection.models, Inspection.inspector, Inspection.captured_at)
            .where(scope.where(Inspection.store_id))
            .order_by(Inspection.id.desc()).limit(1))
    found = rows(engine_for(engine), stmt)
    if not found:
        return {}
    models, inspector, when = found[0]
    return {"inspector": inspector, "captured_at": when, **(models or {})}


def gallery_dirs() -> list[Path]:
    from pipeline.vision.config import load_models_config

    dirs = [Path(d) for d in load_models_config().gallery]
    home = writable_gallery()
    return dirs if home in dirs else [*dirs, home]


def writable_gallery() -> Path:
    from pipeline.settings import get_settings

    return get_settings().home_dir / "gallery"


def reference_photos(sku: str, dirs: list[Path] | None = None) -> list[Path]:
    """Every reference photo of ``sku`` in the gallery folders."""
    out = []
    for folder in dirs if dirs is not None else gallery_dirs():
        sub = folder / sku
        if sub.is_dir():
            out += sorted(p for p in sub.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
    return out


def catalog_table(catalog: Catalog, engine: Engine | None = None) -> pd.DataFrame:
    """The SKUs of ``catalog`` (the edge's) with their reference-photo counts (``engine`` is
    unused)."""
    dirs = gallery_dirs()
    data = [{"sku": s.id, "name": s.name.en, "name_zh": s.name.zh, "brand": s.brand,
             "category": s.category, "package": s.package, "size": s.size,
             "price": s.price, "references": len(reference_photos(s.id, dirs))}
            for s in catalog.skus]
    return pd.DataFrame(data)




RULE_STATUS_COLUMNS = ["file", "state", "version", "version_at", "problem"]
"""``state``: ``ok`` (the file as saved is in force), ``last_good`` (broken; ``version``, saved
at ``version_at`` UTC, is in force) or ``waiting`` (broken, no valid version: its stores wait)."""


def rule_files_status(scope: Scope, engine: Engine | None = None,
                      lang: str | None = None) -> pd.DataFrame:
    """Each rule-set file and what is in force for the scheduled runs and uploads.

    A file that does not validate — broken YAML, a wrong field, an empty or rule-less set —
    is not used: its last good version stays in force, or, with none on record, the stores
    it may apply to are not inspected until it is fixed. Read-only (runs record versions).
    The first problem is shown to those who may edit rules, worded in ``lang`` (default: the
    reader's language; the pages pass it, so cached tables are kept per language).
    """
    from sqlalchemy.orm import Session as OrmSession

    from pipeline.rulebook.versions import last_good_version, rule_files
    from pipeline.rules.book import check_text, folder_names, owner_of
    from pipeline.settings import get_settings

    rows_out = []
    folder = get_settings().rules_dir
    paths = rule_files(folder)
    with OrmSession(engine_for(engine)) as session:
        for name, path in zip(folder_names(folder, paths), paths, strict=True):
            owner = owner_of(name)
            if owner is not None and not scope.allows(owner):
                continue  # another store's own file
            text = path.read_text(encoding="utf-8", errors="replace")
            problems = check_text(text, name, lang)
            if not problems:
                rows_out.append([name, "ok", None, None, ""])
                continue
            good = last_good_version(session, name)
            shown = problems[0] if can(scope, "edit_rules", ANY_STORE) else ""
            rows_out.append([name, "last_good" if good else "waiting",
                             good.id if good else None, good.created_at if good else None,
                             shown])
    return pd.DataFrame(rows_out, columns=RULE_STATUS_COLUMNS)
