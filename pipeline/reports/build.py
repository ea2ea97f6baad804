"""Weekly reports per store and ISO week: the one builder, storage and the exports.

:func:`build_report` is the only place a weekly report's figures are computed. It returns a
:class:`~pipeline.reports.model.WeeklyReport`; the Weekly report page
(:mod:`pipeline.queries.weekly`), the CSV / Excel writers (:mod:`pipeline.reports.files`),
the PDF writer (:mod:`pipeline.reports.pdf`), the ``shelfaudit report`` command and the
Monday job all take that object and only render it. The definitions:

- **KPIs** (compliance, OSA, price and promo compliance): the mean over the week's inspections
  of each photo's KPI, photos where it could not be measured left out; the change against the
  previous ISO week in points.
- **Share of shelf**: a brand's facings / all recognised facings of the week (see
  :func:`share_of_shelf`).
- **Violations**: totals by severity and by rule (count, cameras, days seen); **top problems**:
  the (rule, camera) pairs seen on most days, then most often — what keeps coming back.
- **Daily** and **cameras**: the same KPIs per store-local day and per camera.
- **Worst photos**: the :data:`WORST_PHOTOS` lowest-compliance inspections (ties: more
  violations first, then the lower inspection id), with their problems and violation boxes.

Exports (``csv``, ``xlsx``, ``pdf``) are written to ``reports/<store>/<week>/`` by default, in
a language (``lang``: ``en`` or ``zh``; by default the current one — for the CLI and the
scheduled job ``SHELFAUDIT_LANG`` / ``LANG``, see :mod:`pipeline.i18n`). The report object itself
holds no words, so one report renders in any language.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from statistics import fmean
from typing import Any

from sqlalchemy import Engine, select

from pipeline import i18n, keys
from pipeline.db import get_engine, session_scope, tables
from pipeline.errors import ShelfAuditError
from pipeline.kpis import NAMES
from pipeline.reports import files as report_files
from pipeline.reports.model import (
    SEVERITIES,
    Group,
    KpiValues,
    Mark,
    Problem,
    RuleCount,
    ViolationSummary,
    WeeklyReport,
    WorstPhoto,
)
from pipeline.rules.wording import KEY
from pipeline.settings import get_settings
from pipeline.weeks import (
    iso_week,
    last_complete_week,
    local_day,
    previous_week,
    utc_to_local,
    week_start,
)

FORMATS = ("csv", "xlsx", "pdf")
WORST_PHOTOS = 4
TOP_PROBLEMS = 8
PROBLEMS_PER_PHOTO = 6
INSP, V = tables.Inspection, tables.Violation


def _mean(values: Iterable[float | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return round(fmean(present), 1) if present else None


def _kpis(rows: Sequence[Any]) -> KpiValues:
    return {k: _mean(getattr(r, k) for r in rows) for k in NAMES}


def share_of_shelf(photos: Iterable[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]]
                   ) -> dict[str, float]:
    """Brand -> % of all recognised facings of the photos, largest first.

    ``photos`` are (brand shares %, SKU facings) pairs as stored with each inspection. This is
    the linear share of shelf of the trade: a brand's facings summed over the week divided by
    all recognised facings summed over the week, so each photo weighs by the facings it shows.
    A mean of per-photo shares would give a half-empty end bay with two packs the same weight
    as a full bay of forty, and would not add up to what a merchandiser counts on the shelf.

    Each photo's brand facings are its share x its recognised facings (SKU facings less
    ``unknown``): the brand the rules engine saw when it judged the photo, with no catalog
    read at report time. Unrecognised products count for nobody.
    """
    facings: dict[str, float] = defaultdict(float)
    for shares, counts in photos:
        recognised = sum(int(n or 0) for sku, n in (counts or {}).items() if sku != keys.UNKNOWN)
        for brand, share in (shares or {}).items():
            facings[str(brand)] += float(share or 0.0) * recognised / 100.0
    total = sum(facings.values())
    if total <= 0:
        return {}
    ranked = sorted(facings.items(), key=lambda kv: (-kv[1], kv[0]))
    return {brand: round(100.0 * n / total, 1) for brand, n in ranked if n > 0}


def _violation_summary(violations: Sequence[Any]) -> ViolationSummary:
    by_rule: dict[str, list[Any]] = defaultdict(list)
    for v in violations:
        by_rule[v.rule_id].append(v)
    rules = [RuleCount(rule=rule, type=items[0].rule_type, severity=items[0].severity,
                       count=len(items), cameras=sorted({v.camera_id for v in items}),
                       days=len({v.captured_on for v in items}))
             for rule, items in by_rule.items()]
    rules.sort(key=lambda r: (SEVERITIES.index(r.severity) if r.severity in SEVERITIES else 9,
                              -r.count, r.rule))
    severity = Counter(v.severity for v in violations)
    return ViolationSummary(total=len(violations), by_rule=rules,
                            by_severity={s: severity.get(s, 0) for s in SEVERITIES})


def _top_problems(engine: Engine, violations: Sequence[Any]) -> list[Problem]:
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for v in violations:  # in time order: the last one is the latest message
        groups[(v.rule_id, v.camera_id)].append(v)
    ranked = sorted(groups.items(), key=lambda kv: (-len({v.captured_on for v in kv[1]}),
                                                    -len(kv[1]), kv[0]))[:TOP_PROBLEMS]
    said = _wordings(engine, [items[-1].id for _, items in ranked])
    return [Problem(rule=rule, camera=camera, type=items[-1].rule_type,
                    severity=items[-1].severity, days=len({v.captured_on for v in items}),
                    count=len(items), example=items[-1].message,
                    example_wording=said.get(items[-1].id))
            for (rule, camera), items in ranked]


def _wordings(engine: Engine, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Violation id -> its stored wording (those stored with one)."""
    if not ids:
        return {}
    with engine.connect() as conn:
        found = conn.execute(select(V.id, V.evidence).where(V.id.in_(sorted(set(ids)))))
        return {i: ev[KEY] for i, ev in found if isinstance(ev, dict) and ev.get(KEY)}


def _grouped(rows: Sequence[Any], violations: Sequence[Any], key: str) -> list[Group]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        groups[str(getattr(r, key))].append(r)
    counts = Counter(str(getattr(v, key)) for v in violations)
    return [Group(key=k, inspections=len(g), kpis=_kpis(g), violations=counts.get(k, 0))
            for k, g in sorted(groups.items())]


def _worst(engine: Engine, rows: Sequence[Any], violations: Sequence[Any], tz: str
           ) -> list[WorstPhoto]:
    worst = sorted((r for r in rows if r.compliance is not None),
                   key=lambda r: (r.compliance, -r.violation_count, r.id))[:WORST_PHOTOS]
    ids = {r.id for r in worst}
    marks: dict[int, list[Mark]] = defaultdict(list)
    said: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    if ids:
        with engine.connect() as conn:
            for v in conn.execute(select(V.inspection_id, V.rule_id, V.severity, V.evidence,
                                         V.message)
                                  .where(V.inspection_id.in_(sorted(ids))).order_by(V.id)):
                evidence = v.evidence if isinstance(v.evidence, dict) else {}
                boxes = evidence.get("boxes") or []
                marks[v.inspection_id].append(Mark(rule=v.rule_id, severity=v.severity,
                                                   boxes=[list(map(float, b)) for b in boxes]))
                if evidence.get(KEY):
                    said[v.inspection_id].setdefault(v.message, evidence[KEY])
    messages: dict[int, set[str]] = defaultdict(set)
    for v in violations:
        if v.inspection_id in ids:
            messages[v.inspection_id].add(v.message)
    out = []
    for r in worst:
        problems = sorted(messages[r.id])[:PROBLEMS_PER_PHOTO]
        out.append(WorstPhoto(
            inspection=r.id, camera=r.camera_id, captured_at=r.captured_at,
            captured_local=utc_to_local(r.captured_at, tz), timezone=tz or "UTC",
            compliance=r.compliance, violations=r.violation_count, photo=r.path,
            problems=problems, marks=marks.get(r.id, []),
            problem_wordings=[said[r.id].get(m) for m in problems]))
    return out


def _load_week(engine: Engine, store: str, week: str, with_violations: bool = True
               ) -> tuple[list[Any], list[Any]]:
    inspections = (select(INSP.id, INSP.camera_id, INSP.captured_at, INSP.captured_on,
                          *[getattr(INSP, k) for k in NAMES], INSP.violation_count, INSP.facings,
                          INSP.share_of_shelf, INSP.rule_results, tables.Photo.path)
                   .join(tables.Photo, tables.Photo.id == INSP.photo_id)
                   .where(INSP.store_id == store, INSP.iso_week == week)
                   .order_by(INSP.captured_at, INSP.id))
    violations = (select(V.id, V.inspection_id, V.rule_id, V.rule_type, V.severity,
                         V.camera_id, V.captured_on, V.message)
                  .where(V.store_id == store, V.iso_week == week)
                  .order_by(V.captured_at, V.id))
    with engine.connect() as conn:
        return (list(conn.execute(inspections)),
                list(conn.execute(violations)) if with_violations else [])


def _store_row(engine: Engine, store: str) -> Any:
    with engine.connect() as conn:
        row = conn.execute(select(tables.Store.name, tables.Store.timezone)
                           .where(tables.Store.id == store)).first()
        if row is None:
            known = ", ".join(conn.scalars(select(tables.Store.id))) or "none"
            raise ShelfAuditError(i18n._("unknown store {store!r} (the database has: {known})")
                                  .format(store=store, known=known))
    return row


def last_week_of(store: str, url: str | None = None) -> str:
    """The last complete ISO week on ``store``'s clock (what its Monday report covers).

    Raises:
        ShelfAuditError: unknown store.
    """
    row = _store_row(get_engine(url), store)
    return last_complete_week(local_day(tables.utcnow(), row.timezone))


def build_report(store: str, week: str, url: str | None = None, *,
                 engine: Engine | None = None) -> WeeklyReport:
    """The weekly report of ``store`` for ISO ``week`` (definitions in the module docstring).

    Raises:
        ShelfAuditError: unknown store or week label.
    """
    start, before = week_start(week), previous_week(week)
    eng = engine or get_engine(url)
    store_row = _store_row(eng, store)
    rows, violations = _load_week(eng, store, week)
    prev_rows, _ = _load_week(eng, store, before, with_violations=False)
    return WeeklyReport(
        store=store, store_name=store_row.name or "", week=week, week_start=start,
        week_end=start + timedelta(days=6), previous_week=before,
        inspections=len(rows), previous_inspections=len(prev_rows),
        kpis=_kpis(rows), previous_kpis=_kpis(prev_rows),
        share_of_shelf=share_of_shelf((r.share_of_shelf, r.facings) for r in rows),
        previous_share_of_shelf=share_of_shelf((r.share_of_shelf, r.facings) for r in prev_rows),
        violations=_violation_summary(violations), top_problems=_top_problems(eng, violations),
        daily=_grouped(rows, violations, "captured_on"),
        cameras=_grouped(rows, violations, "camera_id"),
        worst_photos=_worst(eng, rows, violations, store_row.timezone),
        not_judged=sum(any(o.get("not_judged") for o in (r.rule_results or [])) for r in rows),
    )


def report_folder(store: str, week: str) -> Path:
    return get_settings().subdir("reports") / store / week


def save_report(report: WeeklyReport, files: dict[str, str] | None = None,
                url: str | None = None) -> int:
    """Insert or replace the ``reports`` row of (store, week); returns its id."""
    with session_scope(url) as session:
        row = session.execute(select(tables.Report).where(
            tables.Report.store_id == report.store, tables.Report.iso_week == report.week)
        ).scalar_one_or_none()
        if row is None:
            row = tables.Report(store_id=report.store, iso_week=report.week)
            session.add(row)
        row.week_start = report.week_start
        row.inspections = report.inspections
        for k in NAMES:
            setattr(row, k, report.kpis[k])
        row.kpis = report.document()
        row.files = {**(row.files or {}), **(files or {})}
        row.created_at = tables.utcnow()
        session.flush()
        return row.id


def render(report: WeeklyReport, fmt: str, pictures: Mapping[int, bytes] | None = None,
           lang: str | None = None) -> bytes:
    """One export of ``report`` as bytes in ``lang`` (default: the current language;
    ``pictures``: annotated worst photos, made if absent)."""
    if fmt not in FORMATS:
        raise ShelfAuditError(i18n._("unknown report format {format!r} (use {formats})").format(
            format=fmt, formats=", ".join(FORMATS)))
    with i18n.using(lang):
        if fmt == "csv":
            return report_files.csv_bytes(report)
        if pictures is None:
            pictures = report_files.annotate_worst(report)
        if fmt == "xlsx":
            return report_files.xlsx_bytes(report, pictures)
        from pipeline.reports import (
            pdf as report_pdf,  # reportlab (0.2 s) only when a PDF is asked for
        )

        return report_pdf.pdf_bytes(report, pictures)


def file_name(report: WeeklyReport, fmt: str) -> str:
    return f"report-{report.store}-{report.week}.{fmt}"


def export_report(report: WeeklyReport, fmt: str, out: Path | None = None,
                  pictures: Mapping[int, bytes] | None = None, lang: str | None = None) -> Path:
    """Write one export of ``report`` (default: in :func:`report_folder`); returns the file."""
    data = render(report, fmt, pictures, lang)
    out = out or report_folder(report.store, report.week) / file_name(report, fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def export_reports(report: WeeklyReport, formats: Iterable[str] = FORMATS,
                   out: Path | None = None, lang: str | None = None) -> dict[str, str]:
    """Write each format in ``lang``; ``out`` is the file (one format) or folder. Returns
    format -> path.

    The worst photos are annotated once for all the formats that embed them.
    """
    formats = list(formats)
    pictures = report_files.annotate_worst(report) if {"xlsx", "pdf"} & set(formats) else {}
    files = {}
    for fmt in formats:
        target = out
        if out is not None and (len(formats) > 1 or out.is_dir()):
            target = out / file_name(report, fmt)
        files[fmt] = str(export_report(report, fmt, target, pictures, lang))
    return files


def make_report(store: str, week: str, formats: Iterable[str] = FORMATS,
                url: str | None = None) -> tuple[WeeklyReport, dict[str, str]]:
    """Build, export and store one weekly report; returns (report, format -> path)."""
    report = build_report(store, week, url)
    files = export_reports(report, formats)
    save_report(report, files, url)
    return report, files


def weeks_with_inspections(store: str, url: str | None = None) -> list[str]:
    with session_scope(url) as session:
        return sorted(set(session.scalars(select(tables.Inspection.iso_week).where(
            tables.Inspection.store_id == store).distinct())))


def current_week() -> str:
    return iso_week(tables.utcnow().date())
