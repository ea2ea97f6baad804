"""The weekly report as a PDF (reportlab): KPI table, charts, violations, annotated photos.

Charts are reportlab graphics (vector, no browser or kaleido needed). Text uses the packaged
``shelf-sans.ttf`` so Chinese promo texts and SKU names print correctly.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from pipeline.kpis import LABELS, NAMES, SHORT_LABELS
from pipeline.store.report_format import FONT_PATH, change, number, percent, photo_caption
from pipeline.store.report_model import Group, WeeklyReport

FONT = "ShelfSans"
SEVERITY_COLOURS = {"high": colors.HexColor("#dc2626"), "medium": colors.HexColor("#ea8a00"),
                    "low": colors.HexColor("#cab400")}
CONTENT_W = A4[0] - 36 * mm


def _styles() -> dict[str, ParagraphStyle]:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH)))
    base = getSampleStyleSheet()
    return {name: ParagraphStyle(name, parent=base[src], fontName=FONT, **extra)
            for name, src, extra in (
                ("title", "Title", {}), ("h2", "Heading2", {"spaceBefore": 8}),
                ("body", "BodyText", {"fontSize": 9, "leading": 12}),
                ("small", "BodyText", {"fontSize": 7.5, "leading": 9.5}))}


def _table(rows: list[list[Any]], widths: list[float] | None = None) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f3b63")),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f1f4f8")]),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c9d1dc")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def _share_chart(shares: dict[str, float]) -> Drawing:
    items = list(shares.items())[:10]
    height = 30 + 16 * max(len(items), 1)
    drawing = Drawing(CONTENT_W, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 80, 15, CONTENT_W - 120, height - 25
    chart.data = [[s for _, s in reversed(items)] or [0]]
    chart.categoryAxis.categoryNames = [b for b, _ in reversed(items)] or ["–"]
    chart.categoryAxis.labels.fontName = FONT
    top = max([s for _, s in items] or [0])
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, min(100, 10 * int(top / 8 + 2))
    chart.valueAxis.labels.fontName = FONT
    chart.bars[0].fillColor = colors.HexColor("#2f6db5")
    chart.barLabelFormat, chart.barLabels.fontName = "%.0f%%", FONT
    chart.barLabels.boxAnchor, chart.barLabels.dx = "w", 4
    drawing.add(chart)
    return drawing


def _daily_chart(daily: list[Group]) -> Drawing:
    drawing = Drawing(CONTENT_W, 150)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, CONTENT_W - 150, 105
    series = [[d.kpis[k] if d.kpis[k] is not None else 0 for d in daily] or [0]
              for k in ("compliance", "osa")]
    chart.data = series
    chart.categoryAxis.categoryNames = [d.key[5:] for d in daily] or ["–"]
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, 100
    palette = (colors.HexColor("#2f6db5"), colors.HexColor("#16a34a"))
    for i, colour in enumerate(palette):
        chart.lines[i].strokeColor, chart.lines[i].strokeWidth = colour, 2
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y, legend.fontName = CONTENT_W - 100, 120, FONT
    legend.colorNamePairs = list(zip(palette, (f"{SHORT_LABELS['compliance']} %",
                                               f"{SHORT_LABELS['osa']} %"), strict=True))
    drawing.add(legend)
    if not daily:
        drawing.add(String(CONTENT_W / 2, 75, "no inspections this week", fontName=FONT,
                           textAnchor="middle"))
    return drawing


def _summary(r: WeeklyReport, st: dict[str, ParagraphStyle]) -> list[Any]:
    rows = [["KPI", r.week, r.previous_week, "Change"]]
    rows += [[LABELS[k], percent(r.kpis[k]), percent(r.previous_kpis[k]), change(r.change[k])]
             for k in NAMES]
    sev = r.violations.by_severity
    text = (f"{r.inspections} inspections · {r.violations.total} violations "
            f"({sev['high']} high, {sev['medium']} medium, {sev['low']} low)")
    return [Paragraph(text, st["body"]), Spacer(1, 4),
            _table(rows, [60 * mm, 30 * mm, 30 * mm, 30 * mm])]


def _share(r: WeeklyReport, st: dict[str, ParagraphStyle]) -> list[Any]:
    out: list[Any] = [Paragraph("Share of shelf by brand (% of recognised facings)", st["h2"]),
                      _share_chart(r.share_of_shelf)]
    rows = [["Brand", r.week, r.previous_week]]
    rows += [[_text(b, st), percent(s), percent(r.previous_share_of_shelf.get(b))]
             for b, s in r.share_of_shelf.items()]
    if len(rows) > 1:
        out.append(_table(rows, [60 * mm, 30 * mm, 30 * mm]))
    return out


def _text(value: str, st: dict[str, ParagraphStyle]) -> Paragraph:
    return Paragraph(escape(value), st["small"])


def _violations(r: WeeklyReport, st: dict[str, ParagraphStyle]) -> list[Any]:
    out: list[Any] = [Paragraph("Top recurring problems", st["h2"])]
    rows: list[list[Any]] = [["Rule", "Camera", "Severity", "Days", "Count", "Example"]]
    rows += [[_text(p.rule, st), _text(p.camera, st), p.severity, p.days, p.count,
              _text(p.example, st)] for p in r.top_problems]
    out.append(_table(rows, [38 * mm, 16 * mm, 16 * mm, 11 * mm, 12 * mm, None]) if
               len(rows) > 1 else Paragraph("No violations this week.", st["body"]))
    out.append(Paragraph("Violations by rule", st["h2"]))
    rows = [["Rule", "Type", "Severity", "Count", "Days", "Cameras"]]
    rows += [[_text(v.rule, st), v.type, v.severity, v.count, v.days,
              _text(", ".join(v.cameras), st)] for v in r.violations.by_rule[:20]]
    if len(rows) > 1:
        out.append(_table(rows))
    out.append(Paragraph("Cameras", st["h2"]))
    rows = [["Camera", "Inspections", *[SHORT_LABELS[k] for k in NAMES], "Violations"]]
    rows += [[_text(c.key, st), c.inspections, *[number(v) for v in c.kpis.values()],
              c.violations] for c in r.cameras]
    out.append(_table(rows))
    return out


def _worst(r: WeeklyReport, pictures: Mapping[int, bytes],
           st: dict[str, ParagraphStyle]) -> list[Any]:
    out: list[Any] = [PageBreak(), Paragraph("Worst photos of the week", st["h2"])]
    for w in r.worst_photos:
        block: list[Any] = [Paragraph(escape(photo_caption(w)), st["body"])]
        if w.inspection in pictures:
            image = Image(io.BytesIO(pictures[w.inspection]))
            ratio = image.imageHeight / image.imageWidth
            width = CONTENT_W * 0.8  # two photos to a page
            image.drawWidth, image.drawHeight = width, width * ratio
            block.append(image)
        else:
            block.append(Paragraph("(photo no longer available)", st["small"]))
        block += [Paragraph("· " + escape(p), st["small"]) for p in w.problems]
        out.append(KeepTogether([*block, Spacer(1, 8)]))
    return out


def pdf_bytes(report: WeeklyReport, pictures: Mapping[int, bytes]) -> bytes:
    """The report as an A4 PDF (``pictures``: inspection id -> annotated JPEG)."""
    r, st = report, _styles()
    story: list[Any] = [
        Paragraph(escape(f"Weekly shelf report — {r.store_name or r.store}"), st["title"]),
        Paragraph(escape(f"Store {r.store} · week {r.week} ({r.week_start} to {r.week_end}) · "
                         f"generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"), st["body"]),
        Spacer(1, 6), *_summary(r, st),
        *([Paragraph(escape(r.not_judged_note), st["body"]), Spacer(1, 4)]
          if r.not_judged_note else []),
        Paragraph("Compliance and on-shelf availability per day", st["h2"]),
        _daily_chart(r.daily), *_share(r, st), *_violations(r, st), *_worst(r, pictures, st),
    ]
    out = io.BytesIO()
    pdf = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm,
                            title=f"ShelfAudit {r.store} {r.week}")
    pdf.build(story)
    return out.getvalue()
