"""Weekly reports per store and ISO week: built from the inspections, stored, exported.

The report document (``reports.kpis`` in the database, and the source of every export):

- ``kpis``: mean compliance, OSA, price and promo compliance of the week's inspections, the
  previous week's and the ``change`` (points);
- ``share_of_shelf``: brand -> % of all recognised facings of the week (and last week's);
- ``violations``: total, ``by_severity``, ``by_rule`` (count, cameras, days seen);
- ``top_problems``: the (rule, camera) pairs seen on most days — what keeps coming back;
- ``daily`` and ``cameras``: the same KPIs per day and per camera;
- ``worst_photos``: the lowest-compliance inspections with annotated copies of their photos.

Exports (``csv``, ``xlsx``, ``pdf``) are written to ``reports/<store>/<week>/``.
"""

from __future__ import annotations

import traceback
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from statistics import fmean
from typing import Any

from sqlalchemy import select

from pipeline.errors import ShelfAuditError
from pipeline.settings import get_settings
from pipeline.store import tables
from pipeline.store.calendar import iso_week, previous_week, utc_to_local, week_start
from pipeline.store.db import session_scope

KPI_NAMES = ("compliance", "osa", "price_compliance", "promo_compliance")
KPI_LABELS = {"compliance": "Compliance score", "osa": "On-shelf availability",
              "price_compliance": "Price compliance", "promo_compliance": "Promo compliance"}
SEVERITIES = ("high", "medium", "low")
FORMATS = ("csv", "xlsx", "pdf")
WORST_PHOTOS = 3
TOP_PROBLEMS = 8


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(fmean(present), 1) if present else None


def _kpis(rows: list[tables.Inspection]) -> dict[str, float | None]:
    return {k: _mean(getattr(r, k) for r in rows) for k in KPI_NAMES}


def _brand_of() -> dict[str, str]:
    try:
        from pipeline.catalog import load_catalog

        catalog = load_catalog(get_settings().rules_dir / "catalog.yaml")
        return {s.id: s.brand for s in catalog.skus}
    except Exception:  # noqa: BLE001 - without a catalog, fall back to the stored shares
        return {}


def share_of_shelf(rows: list[tables.Inspection], brand_of: dict[str, str]) -> dict[str, float]:
    """Brand -> % of the week's recognised facings (mean of stored shares without a catalog)."""
    facings: Counter[str] = Counter()
    for r in rows:
        for sku, n in (r.facings or {}).items():
            if sku in brand_of:
                facings[brand_of[sku]] += int(n or 0)
    total = sum(facings.values())
    if total:
        return {b: round(100.0 * n / total, 1) for b, n in facings.most_common()}
    brands = {b for r in rows for b in (r.share_of_shelf or {})}
    shares = {b: _mean((r.share_of_shelf or {}).get(b, 0.0) for r in rows) or 0.0 for b in brands}
    return dict(sorted(shares.items(), key=lambda kv: -kv[1]))


def _violation_summary(violations: list[tables.Violation]) -> dict[str, Any]:
    by_rule: dict[str, dict[str, Any]] = {}
    for v in violations:
        entry = by_rule.setdefault(v.rule_id, {"rule": v.rule_id, "type": v.rule_type,
                                               "severity": v.severity, "count": 0,
                                               "cameras": set(), "days": set()})
        entry["count"] += 1
        entry["cameras"].add(v.camera_id)
        entry["days"].add(v.captured_on.isoformat())
    rules = sorted(by_rule.values(), key=lambda e: (SEVERITIES.index(e["severity"])
                   if e["severity"] in SEVERITIES else 9, -e["count"], e["rule"]))
    for e in rules:
        e["cameras"], e["days"] = sorted(e["cameras"]), len(e["days"])
    severity = Counter(v.severity for v in violations)
    return {"total": len(violations), "by_severity": {s: severity.get(s, 0) for s in SEVERITIES},
            "by_rule": rules}


def _top_problems(violations: list[tables.Violation]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[tables.Violation]] = defaultdict(list)
    for v in violations:
        groups[(v.rule_id, v.camera_id)].append(v)
    ranked = sorted(groups.items(), key=lambda kv: (-len({v.captured_on for v in kv[1]}),
                                                    -len(kv[1]), kv[0]))
    out = []
    for (rule, camera), items in ranked[:TOP_PROBLEMS]:
        out.append({"rule": rule, "camera": camera, "type": items[0].rule_type,
                    "severity": items[0].severity, "days": len({v.captured_on for v in items}),
                    "count": len(items), "example": items[-1].message})
    return out


def _grouped(rows: list[tables.Inspection], key: str, violations: list[tables.Violation]
             ) -> list[dict[str, Any]]:
    groups: dict[str, list[tables.Inspection]] = defaultdict(list)
    for r in rows:
        groups[str(getattr(r, key))].append(r)
    counts = Counter(str(getattr(v, key)) for v in violations)
    return [{key: k, "inspections": len(g), **_kpis(g), "violations": counts.get(k, 0)}
            for k, g in sorted(groups.items())]


def _load_week(session: Any, store: str, week: str) -> tuple[list, list]:
    rows = list(session.scalars(select(tables.Inspection).where(
        tables.Inspection.store_id == store, tables.Inspection.iso_week == week)))
    violations = list(session.scalars(select(tables.Violation).where(
        tables.Violation.store_id == store, tables.Violation.iso_week == week)))
    return rows, violations


def build_report(store: str, week: str, url: str | None = None) -> dict[str, Any]:
    """The report document of ``store`` for ISO ``week`` (see the module docstring).

    Raises:
        ShelfAuditError: unknown store or week label.
    """
    start = week_start(week)
    before = previous_week(week)
    brand_of = _brand_of()
    with session_scope(url) as session:
        store_row = session.get(tables.Store, store)
        if store_row is None:
            known = ", ".join(session.scalars(select(tables.Store.id))) or "none"
            raise ShelfAuditError(f"unknown store {store!r} (the database has: {known})")
        rows, violations = _load_week(session, store, week)
        prev_rows, _ = _load_week(session, store, before)
        kpis, prev = _kpis(rows), _kpis(prev_rows)
        worst = sorted((r for r in rows if r.compliance is not None),
                       key=lambda r: (r.compliance, -r.violation_count, r.id))[:WORST_PHOTOS]
        tz = store_row.timezone
        worst_docs = [{"inspection": r.id, "camera": r.camera_id,
                       "captured_at": r.captured_at.isoformat(),
                       "captured_local": utc_to_local(r.captured_at, tz).isoformat(),
                       "timezone": tz, "compliance": r.compliance,
                       "violations": r.violation_count, "photo": r.photo.path} for r in worst]
        doc = {
            "store": store, "store_name": store_row.name, "week": week,
            "week_start": start.isoformat(), "week_end": (start + timedelta(days=6)).isoformat(),
            "generated_at": tables.utcnow().isoformat(timespec="seconds") + "Z",
            "inspections": len(rows), "previous_week": before,
            "kpis": kpis, "previous_kpis": prev,
            "change": {k: None if kpis[k] is None or prev[k] is None
                       else round(kpis[k] - prev[k], 1) for k in KPI_NAMES},
            "share_of_shelf": share_of_shelf(rows, brand_of),
            "previous_share_of_shelf": share_of_shelf(prev_rows, brand_of),
            "violations": _violation_summary(violations),
            "top_problems": _top_problems(violations),
            "daily": [{"day": d.pop("captured_on"), **d}
                      for d in _grouped(rows, "captured_on", violations)],
            "cameras": [{"camera": d.pop("camera_id"), **d}
                        for d in _grouped(rows, "camera_id", violations)],
            "worst_photos": worst_docs,
        }
    return doc


def report_folder(store: str, week: str) -> Path:
    return get_settings().subdir("reports") / store / week


def save_report(doc: dict[str, Any], files: dict[str, str] | None = None,
                url: str | None = None) -> int:
    """Insert or replace the ``reports`` row of (store, week); returns its id."""
    with session_scope(url) as session:
        row = session.execute(select(tables.Report).where(
            tables.Report.store_id == doc["store"], tables.Report.iso_week == doc["week"])
        ).scalar_one_or_none()
        if row is None:
            row = tables.Report(store_id=doc["store"], iso_week=doc["week"])
            session.add(row)
        row.week_start = week_start(doc["week"])
        row.inspections = doc["inspections"]
        for k in KPI_NAMES:
            setattr(row, k, doc["kpis"][k])
        row.kpis = doc
        row.files = {**(row.files or {}), **(files or {})}
        row.created_at = tables.utcnow()
        session.flush()
        return row.id


def export_report(doc: dict[str, Any], fmt: str, out: Path | None = None) -> Path:
    """Write one export of a report document; returns the file written."""
    from pipeline.store import report_files

    if fmt not in FORMATS:
        raise ShelfAuditError(f"unknown report format {fmt!r} (use {', '.join(FORMATS)})")
    folder = report_folder(doc["store"], doc["week"])
    out = out or folder / f"report-{doc['store']}-{doc['week']}.{fmt}"
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("xlsx", "pdf"):
        report_files.annotate_worst(doc, folder)
    {"csv": report_files.write_csv, "xlsx": report_files.write_xlsx,
     "pdf": report_files.write_pdf}[fmt](doc, out)
    return out


def make_report(store: str, week: str, formats: Iterable[str] = FORMATS,
                url: str | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Build, export and store one weekly report; returns (document, format -> path)."""
    doc = build_report(store, week, url)
    files = {fmt: str(export_report(doc, fmt)) for fmt in formats}
    save_report(doc, files, url)
    return doc, files


def weekly_report_job(store: str, week: str, trigger: str = "manual",
                      url: str | None = None) -> dict[str, str]:
    """The scheduled Monday job for one store, with its ``job_runs`` row."""
    from pipeline.store.jobs import finish_job_run, start_job_run

    run_id = start_job_run("report", store, trigger, url)
    try:
        doc, files = make_report(store, week, url=url)
    except Exception as exc:  # noqa: BLE001 - recorded; the next store's report still runs
        finish_job_run(run_id, tables.ERROR, message=f"{week}: {type(exc).__name__}: {exc}",
                       error=traceback.format_exc(), url=url)
        return {}
    finish_job_run(run_id, tables.OK, counts={"inspections": doc["inspections"]},
                   message=f"{store} {week}: report with {doc['inspections']} inspections",
                   url=url)
    return files


def weeks_with_inspections(store: str, url: str | None = None) -> list[str]:
    with session_scope(url) as session:
        return sorted(set(session.scalars(select(tables.Inspection.iso_week).where(
            tables.Inspection.store_id == store).distinct())))


def current_week() -> str:
    return iso_week(tables.utcnow().date())
