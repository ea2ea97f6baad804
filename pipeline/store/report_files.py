"""Report exports: CSV (one tidy table), Excel (a sheet per section, native charts), PDF.

The PDF draws its charts with reportlab's own graphics (no browser, no kaleido) and shows the
worst photos annotated with their violations. Every writer takes the report document of
:func:`pipeline.store.reports.build_report`.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from PIL import ImageDraw, ImageFont

from pipeline.store.reports import KPI_LABELS, KPI_NAMES, SEVERITIES

FONT_PATH = Path(__file__).resolve().parent.parent / "fonts" / "shelf-sans.ttf"
SEVERITY_RGB = {"high": (220, 38, 38), "medium": (234, 138, 0), "low": (202, 180, 0)}
ANNOTATED_WIDTH = 1280


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}{unit}"
    return f"{value}{unit}"


def _delta(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f} pts"


# -- rows shared by CSV and Excel ---------------------------------------------------------------
def kpi_rows(doc: dict[str, Any]) -> list[list[Any]]:
    return [[KPI_LABELS[k], doc["kpis"][k], doc["previous_kpis"][k], doc["change"][k]]
            for k in KPI_NAMES]


def tidy_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The whole report as ``section, item, metric, value`` rows."""
    rows: list[dict[str, Any]] = []

    def add(section: str, item: str, metric: str, value: Any) -> None:
        rows.append({"store": doc["store"], "week": doc["week"], "section": section,
                     "item": item, "metric": metric, "value": "" if value is None else value})

    add("summary", "inspections", "count", doc["inspections"])
    for k in KPI_NAMES:
        add("kpi", k, "this_week", doc["kpis"][k])
        add("kpi", k, "previous_week", doc["previous_kpis"][k])
        add("kpi", k, "change_pts", doc["change"][k])
    for brand, share in doc["share_of_shelf"].items():
        add("share_of_shelf", brand, "percent", share)
    for sev, n in doc["violations"]["by_severity"].items():
        add("violations_by_severity", sev, "count", n)
    for r in doc["violations"]["by_rule"]:
        add("violations_by_rule", r["rule"], "count", r["count"])
        add("violations_by_rule", r["rule"], "days", r["days"])
    for p in doc["top_problems"]:
        add("top_problems", f"{p['rule']}@{p['camera']}", "days", p["days"])
    for d in doc["daily"]:
        for k in (*KPI_NAMES, "inspections", "violations"):
            add("daily", d["day"], k, d[k])
    for c in doc["cameras"]:
        for k in (*KPI_NAMES, "inspections", "violations"):
            add("camera", c["camera"], k, c[k])
    for w in doc["worst_photos"]:
        add("worst_photos", str(w["inspection"]), "compliance", w["compliance"])
    return rows


def write_csv(doc: dict[str, Any], out: Path) -> None:
    rows = tidy_rows(doc)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


# -- annotated worst photos ---------------------------------------------------------------------
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(FONT_PATH), size)
    except OSError:
        return ImageFont.load_default()


def annotate_photo(photo_path: Path, violations: list[dict[str, Any]], out: Path) -> Path | None:
    """The photo with each violation's evidence boxes outlined and labelled (``None`` if gone)."""
    from pipeline.errors import PhotoError
    from pipeline.imaging import load_photo

    try:
        image = load_photo(photo_path).image.copy()
    except PhotoError:
        return None
    scale = min(1.0, ANNOTATED_WIDTH / image.width)
    if scale < 1.0:
        image = image.resize((int(image.width * scale), int(image.height * scale)))
    draw = ImageDraw.Draw(image)
    font = _font(max(12, image.width // 70))
    width = max(2, image.width // 400)
    for v in violations:
        colour = SEVERITY_RGB.get(v["severity"], (220, 38, 38))
        for box in (v.get("evidence") or {}).get("boxes", []):
            x1, y1, x2, y2 = (float(c) * scale for c in box)
            draw.rectangle((x1, y1, x2, y2), outline=colour, width=width)
            label = v["rule"]
            tw = draw.textlength(label, font=font)
            ty = max(0.0, y1 - font.size - 4)
            draw.rectangle((x1, ty, x1 + tw + 6, ty + font.size + 4), fill=colour)
            draw.text((x1 + 3, ty + 2), label, fill=(255, 255, 255), font=font)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, "JPEG", quality=85)
    return out


def annotate_worst(doc: dict[str, Any], folder: Path) -> None:
    """Add ``annotated`` (a JPEG under ``folder``) to each of the report's worst photos."""
    from sqlalchemy import select

    from pipeline.store import tables
    from pipeline.store.db import session_scope

    for item in doc["worst_photos"]:
        if item.get("annotated") and Path(item["annotated"]).exists():
            continue
        with session_scope() as session:
            found = session.scalars(select(tables.Violation).where(
                tables.Violation.inspection_id == item["inspection"])).all()
            violations = [{"rule": v.rule_id, "severity": v.severity, "evidence": v.evidence}
                          for v in found]
            item["problems"] = sorted({v.message for v in found})[:6]
        out = folder / f"worst-{item['inspection']}.jpg"
        done = annotate_photo(Path(item["photo"]), violations, out)
        item["annotated"] = str(done) if done else None


# -- Excel ----------------------------------------------------------------------------------
def _sheet(wb: Any, title: str, header: list[str], rows: list[list[Any]]) -> Any:
    from openpyxl.styles import Font

    ws = wb.create_sheet(title)
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for i, name in enumerate(header, start=1):
        width = max([len(str(name))] + [len(str(r[i - 1])) for r in rows if len(r) >= i])
        ws.column_dimensions[ws.cell(1, i).column_letter].width = min(60, width + 2)
    return ws


def write_xlsx(doc: dict[str, Any], out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.drawing.image import Image as XlImage

    wb = Workbook()
    wb.remove(wb.active)
    summary = _sheet(wb, "Summary", ["KPI", doc["week"], doc["previous_week"], "Change (pts)"],
                     kpi_rows(doc))
    summary.append([])
    summary.append(["Store", f"{doc['store']} {doc['store_name']}"])
    summary.append(["Week", f"{doc['week']} ({doc['week_start']} – {doc['week_end']})"])
    summary.append(["Inspections", doc["inspections"]])
    share = _sheet(wb, "Share of shelf", ["Brand", "Share %", "Last week %"],
                   [[b, s, doc["previous_share_of_shelf"].get(b)]
                    for b, s in doc["share_of_shelf"].items()])
    if doc["share_of_shelf"]:
        chart = BarChart()
        chart.title, chart.y_axis.title = "Share of shelf", "%"
        n = len(doc["share_of_shelf"]) + 1
        chart.add_data(Reference(share, min_col=2, min_row=1, max_row=n), titles_from_data=True)
        chart.set_categories(Reference(share, min_col=1, min_row=2, max_row=n))
        share.add_chart(chart, "E2")
    daily = _sheet(wb, "Daily", ["Day", "Inspections", *KPI_NAMES, "Violations"],
                   [[d["day"], d["inspections"], *[d[k] for k in KPI_NAMES], d["violations"]]
                    for d in doc["daily"]])
    if doc["daily"]:
        line = LineChart()
        line.title, line.y_axis.title = "Compliance and OSA per day", "%"
        n = len(doc["daily"]) + 1
        line.add_data(Reference(daily, min_col=3, max_col=4, min_row=1, max_row=n),
                      titles_from_data=True)
        line.set_categories(Reference(daily, min_col=1, min_row=2, max_row=n))
        daily.add_chart(line, "I2")
    _sheet(wb, "Violations", ["Rule", "Type", "Severity", "Count", "Days", "Cameras"],
           [[r["rule"], r["type"], r["severity"], r["count"], r["days"], ", ".join(r["cameras"])]
            for r in doc["violations"]["by_rule"]])
    _sheet(wb, "Top problems", ["Rule", "Camera", "Severity", "Days", "Count", "Example"],
           [[p["rule"], p["camera"], p["severity"], p["days"], p["count"], p["example"]]
            for p in doc["top_problems"]])
    _sheet(wb, "Cameras", ["Camera", "Inspections", *KPI_NAMES, "Violations"],
           [[c["camera"], c["inspections"], *[c[k] for k in KPI_NAMES], c["violations"]]
            for c in doc["cameras"]])
    worst = _sheet(wb, "Worst photos", ["Inspection", "Camera", "Captured (UTC)", "Compliance",
                                        "Violations", "Photo"],
                   [[w["inspection"], w["camera"], w["captured_at"], w["compliance"],
                     w["violations"], w["photo"]] for w in doc["worst_photos"]])
    row = len(doc["worst_photos"]) + 3
    for w in doc["worst_photos"]:
        if w.get("annotated"):
            picture = XlImage(w["annotated"])
            picture.width, picture.height = 640, int(640 * picture.height / picture.width)
            worst.add_image(picture, f"A{row}")
            row += picture.height // 20 + 2
    wb.save(out)


def write_pdf(doc: dict[str, Any], out: Path) -> None:
    from pipeline.store.report_pdf import write_pdf as _write

    _write(doc, out)


__all__ = ["SEVERITIES", "annotate_photo", "annotate_worst", "tidy_rows", "write_csv",
           "write_pdf", "write_xlsx"]
