"""The weekly report as a PDF (reportlab): KPI table, charts, violations, annotated photos.

Charts are reportlab graphics (vector, no browser or kaleido needed). Words are in the language
current when :func:`pdf_bytes` runs (see :func:`pipeline.reports.build.render`), brands by their
catalog names in that language. Text uses the packaged ``shelf-sans.ttf`` (a subset of
WenQuanYi Micro Hei: Latin, GB2312 level-1 hanzi and every character of the catalog and of the
zh-CN message catalog — a test checks it), embedded in the file, so Chinese headings, SKU
names and promo texts print on any machine. ``SHELFAUDIT_PDF_FONT`` may name a fuller TrueType
font (``.ttf``, or a ``.ttc`` such as Debian's ``fonts-wqy-microhei``) for rarer characters in
people's own words.
"""

from __future__ import annotations

import io
import os
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

from pipeline import i18n
from pipeline.catalog import display_name
from pipeline.i18n import N_, _, ngettext
from pipeline.kpis import LABELS, NAMES, SHORT_LABELS
from pipeline.reports.format import FONT_PATH, change, number, percent, photo_caption
from pipeline.reports.model import Group, WeeklyReport

FONT = "ShelfSans"
SEVERITY_COLOURS = {"high": colors.HexColor("#dc2626"), "medium": colors.HexColor("#ea8a00"),
                    "low": colors.HexColor("#cab400")}
CONTENT_W = A4[0] - 36 * mm
FONT_ENV = "SHELFAUDIT_PDF_FONT"
SEVERITY_WORDS = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}


def _register_font() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    chosen = os.environ.get(FONT_ENV, "").strip()
    if chosen:
        try:
            pdfmetrics.registerFont(TTFont(FONT, chosen, subfontIndex=0))
            return
        except Exception:  # noqa: BLE001 - unreadable or not TrueType: use the packaged one
            pass
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH)))


def _severity(value: str) -> str:
    return _(SEVERITY_WORDS[value]) if value in SEVERITY_WORDS else value


def _styles() -> dict[str, ParagraphStyle]:
    _register_font()
    base = getSampleStyleSheet()
    wrap = {"wordWrap": "CJK"} if i18n.current() == "zh" else {}  # break between hanzi
    return {name: ParagraphStyle(name, parent=base[src], fontName=FONT, **wrap, **extra)
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
    chart.data = [[s for _b, s in reversed(items)] or [0]]
    chart.categoryAxis.categoryNames = [display_name(b) for b, _s in reversed(items)] or ["–"]
    chart.categoryAxis.labels.fontName = FONT
    top = max([s for _b, s in items] or [0])
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
    legend.colorNamePairs = list(zip(palette, (f"{_(SHORT_LABELS['compliance'])} %",
                                               f"{_(SHORT_LABELS['osa'])} %"), strict=True))
    drawing.add(legend)
    if not daily:
        drawing.add(String(CONTENT_W / 2, 75, _("no inspections this week"), fontName=FONT,
                           textAnchor="middle"))
    return drawing


def _summary(r: WeeklyReport, st: dict[str, ParagraphStyle]) -> list[Any]:
    rows = [[_("KPI"), r.week, r.previous_week, _("Change")]]
    rows += [[_(LABELS[k]), percent(r.kpis[k]), percent(r.previous_kpis[k]),
              change(r.change[k])] for k in NAMES]
    sev = r.violations.by_severity
    text = _("{inspections} · {violations} ({high} high, {medium} medium, {low} low)").format(
        inspections=ngettext("{n} inspection", "{n} inspections", r.inspections).format(
            n=r.inspections),
        violations=ngettext("{n} violation", "{n} violations", r.violations.total).format(
            n=r.violations.total),
        high=sev["high"], medium=sev["medium"], low=sev["low"])
    return [Paragraph(text, st["body"]), Spacer(1, 4),
            _table(rows, [60 * mm, 30 * mm, 30 * mm, 30 * mm])]


def _share(r: WeeklyReport, st: dict[str, ParagraphStyle]) -> list[Any]:
    title = _("Share of shelf by brand (percent of recognised facings)")
    out: list[Any] = [Paragraph(escape(title), st["h2"]), _share_chart(r.share_of_shelf)]
    rows = [[_("Brand"), r.week, r.previous_week]]
    rows += [[_text(display_name(b), st), percent(s), percent(r.previous_share_of_shelf.get(b))]
             for b, s in r.share_of_shelf.items()]
    if len(rows) > 1:
        out.append(_table(rows, [60 * mm, 30 * mm, 30 * mm]))
    return out


def _text(value: str, st: dict[str, ParagraphStyle]) -> Paragraph:
    return Paragraph(escape(value), st["small"])


def _violations(r: WeeklyReport, st: dict[str, ParagraphStyle]) -> list[Any]:
    out: list[Any] = [Paragraph(escape(_("Top recurring problems")), st["h2"])]
    rows: list[list[Any]] = [[_("Rule"), _("Camera"), _("Severity"), _("Days"), _("Count"),
                              _("Example")]]
    rows += [[_text(p.rule, st), _text(p.camera, st), _severity(p.severity), p.days, p.count,
              _text(p.example_text(), st)] for p in r.top_problems]
    out.append(_table(rows, [38 * mm, 16 * mm, 16 * mm, 11 * mm, 12 * mm, None]) if
               len(rows) > 1 else Paragraph(escape(_("No violations this week.")), st["body"]))
    out.append(Paragraph(escape(_("Violations by rule")), st["h2"]))
    rows = [[_("Rule"), _("Type"), _("Severity"), _("Count"), _("Days"), _("Cameras")]]
    rows += [[_text(v.rule, st), v.type, _severity(v.severity), v.count, v.days,
              _text(", ".join(v.cameras), st)] for v in r.violations.by_rule[:20]]
    if len(rows) > 1:
        out.append(_table(rows))
    out.append(Paragraph(escape(_("Cameras")), st["h2"]))
    rows = [[_("Camera"), _("Inspections"), *[_(SHORT_LABELS[k]) for k in NAMES],
             _("Violations")]]
    rows += [[_text(c.key, st), c.inspections, *[number(v) for v in c.kpis.values()],
              c.violations] for c in r.cameras]
    out.append(_table(rows))
    return out


def _worst(r: WeeklyReport, pictures: Mapping[int, bytes],
           st: dict[str, ParagraphStyle]) -> list[Any]:
    out: list[Any] = [PageBreak(), Paragraph(escape(_("Worst photos of the week")), st["h2"])]
    for w in r.worst_photos:
        block: list[Any] = [Paragraph(escape(photo_caption(w)), st["body"])]
        if w.inspection in pictures:
            image = Image(io.BytesIO(pictures[w.inspection]))
            ratio = image.imageHeight / image.imageWidth
            width = CONTENT_W * 0.8  # two photos to a page
            image.drawWidth, image.drawHeight = width, width * ratio
            block.append(image)
        else:
            block.append(Paragraph(escape(_("(photo no longer available)")), st["small"]))
        block += [Paragraph("· " + escape(p), st["small"]) for p in w.problem_texts()]
        out.append(KeepTogether([*block, Spacer(1, 8)]))
    return out


def pdf_bytes(report: WeeklyReport, pictures: Mapping[int, bytes]) -> bytes:
    """The report as an A4 PDF (``pictures``: inspection id -> annotated JPEG)."""
    r, st = report, _styles()
    story: list[Any] = [
        Paragraph(escape(_("Weekly shelf report — {store}").format(
            store=r.store_name or r.store)), st["title"]),
        Paragraph(escape(_("Store {store} · week {week} ({start} to {end}, store time) · "
                           "generated {now}").format(
            store=r.store, week=r.week, start=i18n.day(r.week_start),
            end=i18n.day(r.week_end), now=i18n.moment(datetime.now(UTC), "UTC"))), st["body"]),
        Spacer(1, 6), *_summary(r, st),
        *([Paragraph(escape(r.not_judged_note), st["body"]), Spacer(1, 4)]
          if r.not_judged_note else []),
        Paragraph(escape(_("Compliance and on-shelf availability per day (store time)")),
                  st["h2"]),
        _daily_chart(r.daily), *_share(r, st), *_violations(r, st), *_worst(r, pictures, st),
    ]
    out = io.BytesIO()
    pdf = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm,
                            title=f"ShelfAudit {r.store} {r.week}")
    pdf.build(story)
    return out.getvalue()
