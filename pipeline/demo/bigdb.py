"""``shelfaudit bigdb``: a large synthetic history written straight into a database.

No photos and no models: inspections, violations and weekly report rows with plausible numbers
(the same drift as the demo: weekly decay and reset, some stores worse), inserted in bulk
(``executemany`` in chunks, one transaction per chunk). For dashboard speed tests at the scale
of a store group: 200 stores × 10 cameras × 52 weeks is 728,000 inspections.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import delete, insert

from pipeline.db import database_url, session_scope, tables
from pipeline.demo.build import DAY_FACTORS, demo_days
from pipeline.weeks import iso_week

CHUNK = 5000
RULES = (  # id, type, severity, chance per inspection at drift 1.0
    ("no-gaps", "max_gaps", "high", 0.45), ("prices-right", "price_match", "high", 0.35),
    ("tags-present", "price_tag_present", "medium", 0.3),
    ("promos-up", "promo_present", "medium", 0.3),
    ("no-competitors", "forbidden_product", "high", 0.25),
    ("no-unknown", "unknown_product", "low", 0.25),
    ("on-planogram", "planogram_position", "medium", 0.15),
    ("water-upright", "orientation", "high", 0.08), ("colaco-share", "share_of_shelf", "low", 0.05),
)
BRANDS = ("colaco", "fizzup", "clearspring", "alpspure", "crunchy", "chipking", "moomilk",
          "sunfarm")


@dataclass
class BigDbOptions:
    stores: int = 200
    cameras: int = 10
    weeks: int = 52
    seed: int = 0
    url: str | None = None
    progress: bool = True
    replace: bool = True  # drop the synthetic stores' earlier rows first
    today: date | None = None


def _store_ids(n: int) -> list[str]:
    return [f"b{i:04d}" for i in range(1, n + 1)]


def _setup_sites(options: BigDbOptions) -> list[str]:
    stores = _store_ids(options.stores)
    with session_scope(options.url) as session:
        if options.replace:
            for model in (tables.Violation, tables.InspectionDetections, tables.Inspection,
                          tables.Photo, tables.Report):
                session.execute(delete(model).where(model.store_id.in_(stores))
                                if hasattr(model, "store_id") else delete(model))
            session.execute(delete(tables.Camera).where(tables.Camera.store_id.in_(stores)))
            session.execute(delete(tables.Store).where(tables.Store.id.in_(stores)))
        session.execute(insert(tables.Store), [
            {"id": s, "name": f"Store {s[1:]}", "timezone": "UTC", "schedule": "0 2 * * *",
             "active": True, "created_at": tables.utcnow()} for s in stores])
        session.execute(insert(tables.Camera), [
            {"store_id": s, "id": f"c{c:02d}", "name": f"Camera {c}", "planogram_id": None,
             "active": True} for s in stores for c in range(1, options.cameras + 1)])
    return stores


_SEVERITY_COST = {"high": 9.0, "medium": 6.0, "low": 3.0}
_EMPTY: dict[str, Any] = {}  # shared by every row (serialised once per insert)
_NO_LIST: list[Any] = []
_EVIDENCE: dict[str, Any] = {"boxes": []}


def _store_arrays(rng: np.random.Generator, drift: np.ndarray, cameras: int) -> dict:
    """Every camera-day of one store at once (vectorised: this is the hot loop)."""
    shape = (len(drift), cameras)
    chance = np.array([r[3] for r in RULES])
    cost = np.array([_SEVERITY_COST[r[2]] for r in RULES])
    hits = rng.random((*shape, len(RULES))) < np.minimum(0.95, chance * drift[:, None, None])
    noise = rng.normal(0, 1, (4, *shape))
    d = drift[:, None]
    return {
        "hits": hits,
        "compliance": np.round(np.clip(100 - (hits * cost).sum(-1) - 2 - 2 * noise[0], 0, 100), 1),
        "osa": np.round(np.clip(100 - 6 * d - 2 * noise[1], 40, 100), 1),
        "price": np.round(np.clip(100 - 8 * d - 3 * noise[2], 0, 100), 1),
        "promo": np.round(np.clip(100 - 15 * d - 5 * noise[3], 0, 100), 1),
        "share": rng.integers(0, 16, shape),
    }


def _share_pool(rng: np.random.Generator) -> list[dict[str, float]]:
    pool = []
    for _ in range(16):
        brands = rng.choice(BRANDS, 4, replace=False)
        shares = rng.dirichlet(np.ones(4)) * 100
        pool.append({str(b): round(float(v), 1) for b, v in zip(brands, shares, strict=True)})
    return pool


def _rows(options: BigDbOptions, stores: list[str], days: list[date],
          first_id: int) -> Iterator[tuple[list[dict], list[dict], list[dict]]]:
    """(photos, inspections, violations) rows, one store at a time."""
    rng = np.random.default_rng(options.seed)
    pool = _share_pool(rng)
    quality = rng.uniform(0.4, 2.2, len(stores))
    day_factor = np.array([DAY_FACTORS[d.weekday()] for d in days])
    weeks = [iso_week(d) for d in days]
    cams = [f"c{c:02d}" for c in range(1, options.cameras + 1)]
    next_id, now = first_id, tables.utcnow()
    for s_i, store in enumerate(stores):
        a = _store_arrays(rng, quality[s_i] * day_factor, options.cameras)
        photos, inspections, violations = [], [], []
        for d_i, day in enumerate(days):
            for c_i, cam in enumerate(cams):
                at = datetime(day.year, day.month, day.day, 2, 0, c_i % 60)
                hit_rules = [RULES[r] for r in np.flatnonzero(a["hits"][d_i, c_i])]
                photos.append({
                    "id": next_id, "sha256": f"{options.seed:08x}{next_id:056x}",
                    "store_id": store, "camera_id": cam,
                    "path": f"bigdb/{store}/{cam}/{day.isoformat()}.jpg",
                    "original_name": f"{cam}_{day:%Y%m%d}T020000.jpg", "captured_at": at,
                    "captured_from": "name", "received_at": now, "state": tables.INSPECTED,
                    "attempts": 1, "last_error": None, "width": 1920, "height": 1080,
                    "updated_at": now})
                inspections.append({
                    "id": next_id, "photo_id": next_id, "store_id": store, "camera_id": cam,
                    "captured_at": at, "captured_on": day, "iso_week": weeks[d_i],
                    "planogram_id": None, "inspector": "bigdb", "models": _EMPTY,
                    "rule_set_hash": "", "rule_versions": _EMPTY, "timings": _EMPTY,
                    "duration_ms": 0.0,
                    "width": 1920, "height": 1080,
                    "compliance": float(a["compliance"][d_i, c_i]),
                    "osa": float(a["osa"][d_i, 0]), "price_compliance": float(a["price"][d_i, 0]),
                    "promo_compliance": float(a["promo"][d_i, 0]),
                    "share_of_shelf": pool[a["share"][d_i, c_i]], "facings": _EMPTY,
                    "kpis": _EMPTY, "rule_results": _NO_LIST, "rules_passed": len(RULES) - len(hit_rules),
                    "rules_failed": len(hit_rules), "violation_count": len(hit_rules),
                    "created_at": now})
                violations.extend({
                    "inspection_id": next_id, "store_id": store, "camera_id": cam,
                    "captured_at": at, "captured_on": day, "iso_week": weeks[d_i],
                    "rule_id": r[0], "rule_type": r[1], "severity": r[2],
                    "message": f"{r[0]} failed on {cam}", "evidence": _EVIDENCE}
                    for r in hit_rules)
                next_id += 1
        yield photos, inspections, violations


def _converter(column: Any) -> Any:
    """How a value of ``column`` is stored by SQLAlchemy's SQLite dialect (for raw inserts)."""
    from sqlalchemy import JSON, Date, DateTime

    if isinstance(column.type, DateTime):
        return lambda v: None if v is None else v.isoformat(sep=" ", timespec="microseconds")
    if isinstance(column.type, Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(column.type, JSON):
        cache: dict[int, str] = {}

        def dump(v: Any) -> str:  # the rows share a few dict objects: serialise each once
            key = id(v)
            if key not in cache:
                cache[key] = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
            return cache[key]

        return dump
    return None


def _insert_sqlite(conn: Any, table: Any, rows: list[dict]) -> None:
    """executemany on the DB-API cursor: SQLAlchemy's per-row parameter processing is the
    bottleneck at this scale, so values are converted here the way the dialect stores them."""
    if not rows:
        return
    names = list(rows[0])
    convert = [_converter(table.c[n]) for n in names]
    sql = (f"INSERT INTO {table.name} ({', '.join(names)}) "
           f"VALUES ({', '.join('?' * len(names))})")
    data = [tuple(f(r[n]) if f else r[n] for n, f in zip(names, convert, strict=True))
            for r in rows]
    conn.exec_driver_sql(sql, data)


def _flush(url: str | None, photos: list, inspections: list, violations: list) -> None:
    """Bulk inserts in one transaction: raw executemany on SQLite, Core executemany elsewhere."""
    from pipeline.db import get_engine

    engine = get_engine(url)
    with engine.begin() as conn:
        for table, rows in ((tables.Photo.__table__, photos),
                            (tables.Inspection.__table__, inspections),
                            (tables.Violation.__table__, violations)):
            if engine.dialect.name == "sqlite":
                _insert_sqlite(conn, table, rows)
                continue
            for i in range(0, len(rows), CHUNK):
                conn.execute(insert(table), rows[i:i + CHUNK])


def _reports(options: BigDbOptions, stores: list[str], weeks: list[str]) -> int:
    from sqlalchemy import func, select

    rows = []
    with session_scope(options.url) as session:
        stmt = (select(tables.Inspection.store_id, tables.Inspection.iso_week,
                       func.count(), *[func.avg(getattr(tables.Inspection, k))
                                       for k in ("compliance", "osa", "price_compliance",
                                                 "promo_compliance")])
                .where(tables.Inspection.store_id.in_(stores))
                .group_by(tables.Inspection.store_id, tables.Inspection.iso_week))
        for store, week, n, *kpis in session.execute(stmt):
            values = dict(zip(("compliance", "osa", "price_compliance", "promo_compliance"),
                              (round(float(v), 1) for v in kpis), strict=True))
            start = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
            rows.append({"store_id": store, "iso_week": week, "week_start": start,
                         "inspections": n, **values, "files": {}, "created_at": tables.utcnow(),
                         "kpis": {"store": store, "week": week, "inspections": n,
                                  "kpis": values, "share_of_shelf": {}}})
        for i in range(0, len(rows), CHUNK):
            session.execute(insert(tables.Report), rows[i:i + CHUNK])
    return len(rows)


def build_bigdb(options: BigDbOptions) -> dict[str, Any]:
    """Fill the database; returns counts, seconds and rows per second."""
    from tqdm import tqdm

    from pipeline.db import get_engine

    start = time.perf_counter()
    days = demo_days(options.weeks, options.today or tables.utcnow().date())
    stores = _setup_sites(options)
    with get_engine(options.url).connect() as conn:
        first_id = int(conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM photos")
                       .scalar() or 0)
        first_id = max(first_id, int(conn.exec_driver_sql(
            "SELECT COALESCE(MAX(id), 0) FROM inspections").scalar() or 0)) + 1
    counts = {"inspections": 0, "violations": 0}
    bar = tqdm(total=len(stores) * len(days) * options.cameras, desc="bigdb",
               unit="inspection", disable=not options.progress)
    for photos, inspections, violations in _rows(options, stores, days, first_id):
        _flush(options.url, photos, inspections, violations)
        counts["inspections"] += len(inspections)
        counts["violations"] += len(violations)
        bar.update(len(inspections))
    bar.close()
    _advance_sequences(options.url)
    reports = _reports(options, stores, sorted({iso_week(d) for d in days}))
    seconds = time.perf_counter() - start
    rows = counts["inspections"] * 2 + counts["violations"] + reports
    return {**counts, "reports": reports, "stores": len(stores), "cameras": options.cameras,
            "weeks": options.weeks, "seconds": round(seconds, 1),
            "rows_per_s": round(rows / max(seconds, 1e-9)),
            "url": _safe_url(database_url(options.url))}


def _advance_sequences(url: str | None) -> None:
    """Rows went in with explicit ids: move PostgreSQL's id sequences past them."""
    from pipeline.db import get_engine

    engine = get_engine(url)
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in ("photos", "inspections"):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def week_days(week: str) -> list[date]:
    start = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
    return [start + timedelta(days=i) for i in range(7)]
