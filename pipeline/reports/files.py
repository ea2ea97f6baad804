"""Weekly report exports as CSV (one tidy table) and Excel (a sheet per section, native charts),
and the annotated copies of the worst photos that Excel and the PDF embed.

Every writer takes a :class:`~pipeline.reports.model.WeeklyReport` and returns bytes; none
computes a figure. Words are in the language current when a writer runs (the caller renders
inside ``i18n.using(lang)``, see :func:`pipeline.reports.build.render`): Excel sheet names,
headings and labels, and product names from the catalog in that language. The CSV keeps its
machine keys (``section``, ``item``, ``metric``) in every language and adds a ``label`` column
in the reader's words. Text that a spreadsheet would run as a formula is written inert: in CSV with
a leading ``'`` (OWASP), in Excel as a string cell with the quote prefix set.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import ImageDraw, ImageFont

from pipeline.catalog import display_name
from pipeline.i18n import N_, _
from pipeline.kpis import LABELS, NAMES, SHORT_LABELS
from pipeline.reports.format import FONT_PATH, is_formula_like, local_time, spreadsheet_text
from pipeline.reports.model import Group, Mark, WeeklyReport

SEVERITY_RGB = {"high": (220, 38, 38), "medium": (234, 138, 0), "low": (202, 180, 0)}
ANNOTATED_WIDTH = 1280
CSV_COLUMNS = ["store", "week", "section", "item", "metric", "value", "label"]
SEVERITY_WORDS = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}
SUMMARY_WORDS = {"store_name": N_("Store name"), "inspections": N_("Inspections"),
                 "not_judged": N_("Photos not judged")}


# -- CSV ----------------------------------------------------------------------------------------
def _group_rows(section: str, groups: list[Group]) -> list[tuple[str, str, str, Any]]:
    return [(section, g.key, k, v) for g in groups
            for k, v in (*g.kpis.items(), ("inspections", g.inspections),
                         ("violations", g.violations))]


def _label(section: str, item: str) -> str:
    """The item of a tidy row in the reader's words (a KPI, a brand's name, a severity)."""
    if section == "kpi" and item in LABELS:
        return _(LABELS[item])
    if section == "summary":
        return _(SUMMARY_WORDS.get(item, item))
    if section == "share_of_shelf":
        return display_name(item)
    if section == "violations_by_severity":
        return _(SEVERITY_WORDS.get(item, item))
    if section == "worst_photos":
        return _("Inspection #{id}").format(id=item)
    return item


def tidy_rows(report: WeeklyReport) -> list[dict[str, Any]]:
    """The whole report as ``store, week, section, item, metric, value, label`` rows."""
    r = report
    rows: list[tuple[str, str, str, Any]] = [
        ("summary", "store_name", "text", r.store_name),
        ("summary", "inspections", "count", r.inspections),
        ("summary", "not_judged", "count", r.not_judged)]
    for k in NAMES:
        rows += [("kpi", k, "this_week", r.kpis[k]), ("kpi", k, "previous_week",
                                                      r.previous_kpis[k]),
                 ("kpi", k, "change_pts", r.change[k])]
    rows += [("share_of_shelf", b, "percent", s) for b, s in r.share_of_shelf.items()]
    rows += [("violations_by_severity", s, "count", n)
             for s, n in r.violations.by_severity.items()]
    for v in r.violations.by_rule:
        rows += [("violations_by_rule", v.rule, "count", v.count),
                 ("violations_by_rule", v.rule, "days", v.days)]
    for p in r.top_problems:
        item = f"{p.rule}@{p.camera}"
        rows += [("top_problems", item, "days", p.days), ("top_problems", item, "count", p.count),
                 ("top_problems", item, "example", p.example_text())]
    rows += _group_rows("daily", r.daily) + _group_rows("camera", r.cameras)
    for w in r.worst_photos:
        rows += [("worst_photos", str(w.inspection), "compliance", w.compliance),
                 ("worst_photos", str(w.inspection), "camera", w.camera),
                 ("worst_photos", str(w.inspection), "violations", w.violations)]
        rows += [("worst_photos", str(w.inspection), "problem", m) for m in w.problem_texts()]
    return [dict(zip(CSV_COLUMNS, (r.store, r.week, s, i, m, "" if v is None else v,
                                   _label(s, i)), strict=True)) for s, i, m, v in rows]


def csv_bytes(report: WeeklyReport) -> bytes:
    """The tidy table as UTF-8 CSV; every text cell guarded by :func:`spreadsheet_text`."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for row in tidy_rows(report):
        writer.writerow({k: spreadsheet_text(v) for k, v in row.items()})
    return out.getvalue().encode("utf-8")


# -- annotated worst photos ---------------------------------------------------------------------
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(FONT_PATH), size)
    except OSError:
        return ImageFont.load_default()


def annotate_photo(photo_path: Path, marks: list[Mark]) -> bytes | None:
    """A JPEG of the photo with each violation's boxes drawn and labelled (``None`` if gone)."""
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
    for mark in marks:
        colour = SEVERITY_RGB.get(mark.severity, (220, 38, 38))
        for box in mark.boxes:
            x1, y1, x2, y2 = (float(c) * scale for c in box[:4])
            draw.rectangle((x1, y1, x2, y2), outline=colour, width=width)
            tw = draw.textlength(mark.rule, font=font)
            ty = max(0.0, y1 - font.size - 4)
            draw.rectangle((x1, ty, x1 + tw + 6, ty + font.size + 4), fill=colour)
            draw.text((x1 + 3, ty + 2), mark.rule, fill=(255, 255, 255), font=font)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def annotate_worst(report: WeeklyReport) -> dict[int, bytes]:
    """Inspection id -> annotated JPEG of each worst photo still on disk."""
    pictures = {w.inspection: annotate_photo(Path(w.photo), w.marks) for w in report.worst_photos}
    return {k: v for k, v in pictures.items() if v is not None}


# -- Excel ----------------------------------------------------------------------------------
def _append(ws: Any, values: list[Any]) -> None:
    """One row; formula-like text is kept as text (string cell, quote prefix), never a formula."""
    ws.append(values)
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and is_formula_like(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True


def _sheet(wb: Any, title: str, header: list[str], rows: list[list[Any]]) -> Any:
    from openpyxl.styles import Font

    ws = wb.create_sheet(title)
    _append(ws, header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        _append(ws, row)
    for i, name in enumerate(header, start=1):
        width = max([len(str(name))] + [len(str(r[i - 1])) for r in rows if len(r) >= i])
        ws.column_dimensions[ws.cell(1, i).column_letter].width = min(60, width + 2)
    return ws


def _bar_chart(ws: Any, rows: int) -> None:
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.title, chart.y_axis.title = _("Share of shelf"), "%"
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=rows + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=rows + 1))
    ws.add_chart(chart, "E2")


def _line_chart(ws: Any, rows: int) -> None:
    from openpyxl.chart import LineChart, Reference

    line = LineChart()
    line.title, line.y_axis.title = _("Compliance and OSA per day"), "%"
    line.add_data(Reference(ws, min_col=3, max_col=4, min_row=1, max_row=rows + 1),
                  titles_from_data=True)
    line.set_categories(Reference(ws, min_col=1, min_row=2, max_row=rows + 1))
    ws.add_chart(line, "I2")


def _groups_sheet(wb: Any, title: str, key: str, groups: list[Group]) -> Any:
    header = [key, _("Inspections"), *[_(SHORT_LABELS[k]) for k in NAMES], _("Violations")]
    return _sheet(wb, title, header, [[g.key, g.inspections, *g.kpis.values(), g.violations]
                                      for g in groups])


def _summary_sheet(wb: Any, r: WeeklyReport) -> None:
    ws = _sheet(wb, _("Summary"), [_("KPI"), r.week, r.previous_week, _("Change (pts)")],
                [[_(LABELS[k]), r.kpis[k], r.previous_kpis[k], r.change[k]] for k in NAMES])
    _append(ws, [])
    _append(ws, [_("Store"), r.store])
    _append(ws, [_("Store name"), r.store_name])
    _append(ws, [_("Week"), _("{week} ({start} – {end}, store time)").format(
        week=r.week, start=r.week_start, end=r.week_end)])
    _append(ws, [_("Inspections"), r.inspections])


def _worst_sheet(wb: Any, r: WeeklyReport, pictures: Mapping[int, bytes]) -> None:
    from openpyxl.drawing.image import Image as XlImage

    ws = _sheet(wb, _("Worst photos"), [_("Inspection"), _("Camera"), _("Taken (store time)"),
                                        _("Compliance"), _("Violations"), _("Problems"),
                                        _("Photo")],
                [[w.inspection, w.camera, local_time(w), w.compliance, w.violations,
                  "; ".join(w.problem_texts()), w.photo] for w in r.worst_photos])
    row = len(r.worst_photos) + 3
    for w in r.worst_photos:
        if w.inspection in pictures:
            picture = XlImage(io.BytesIO(pictures[w.inspection]))
            picture.width, picture.height = 640, int(640 * picture.height / picture.width)
            ws.add_image(picture, f"A{row}")
            row += picture.height // 20 + 2


def xlsx_bytes(report: WeeklyReport, pictures: Mapping[int, bytes]) -> bytes:
    """The report as an Excel workbook (``pictures``: inspection id -> annotated JPEG)."""
    from openpyxl import Workbook

    r = report
    wb = Workbook()
    wb.remove(wb.active)
    _summary_sheet(wb, r)
    share = _sheet(wb, _("Share of shelf"), [_("Brand"), _("Share %"), _("Last week %"),
                                             _("Name")],
                   [[b, s, r.previous_share_of_shelf.get(b), display_name(b)]
                    for b, s in r.share_of_shelf.items()])
    if r.share_of_shelf:
        _bar_chart(share, len(r.share_of_shelf))
    daily = _groups_sheet(wb, _("Daily"), _("Day (store time)"), r.daily)
    if r.daily:
        _line_chart(daily, len(r.daily))
    severity = {k: _(v) for k, v in SEVERITY_WORDS.items()}
    _sheet(wb, _("Violations"), [_("Rule"), _("Type"), _("Severity"), _("Count"), _("Days"),
                                 _("Cameras")],
           [[v.rule, v.type, severity.get(v.severity, v.severity), v.count, v.days,
             ", ".join(v.cameras)] for v in r.violations.by_rule])
    _sheet(wb, _("Top problems"), [_("Rule"), _("Camera"), _("Severity"), _("Days"),
                                   _("Count"), _("Example")],
           [[p.rule, p.camera, severity.get(p.severity, p.severity), p.days, p.count,
             p.example_text()] for p in r.top_problems])
    _groups_sheet(wb, _("Cameras"), _("Camera"), r.cameras)
    _worst_sheet(wb, r, pictures)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
