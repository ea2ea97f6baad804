"""Numbers, times and column headings as supervisors read them, in their language.

Numbers and times are formatted with Babel (:mod:`pipeline.i18n`); a time is always shown on a
named clock — the store's time zone when it belongs to a store, else UTC. Table headings come
from :data:`COLUMN_LABELS` (English message ids, translated where the table is drawn by
:func:`column_config`), so a page never shows a raw column name such as ``high_severity``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st

from pipeline import i18n
from pipeline.i18n import N_, _
from pipeline.kpis import SHORT_LABELS, level

SEVERITY_LABELS: dict[str, str] = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}
# Markdown badge colours (Streamlit colours, no emoji: not every browser has an emoji font).
SEVERITY_COLOURS: dict[str, str] = {"high": "red", "medium": "orange", "low": "blue"}

RULE_TYPE_LABELS: dict[str, str] = {
    "required_product": N_("Required product"), "min_facings": N_("Minimum facings"),
    "share_of_shelf": N_("Share of shelf"), "unknown_product": N_("Unknown product"),
    "max_gaps": N_("Gaps"), "orientation": N_("Orientation"),
    "forbidden_product": N_("Forbidden product"), "planogram_position": N_("Planogram position"),
    "price_tag_present": N_("Price tag present"), "price_match": N_("Price match"),
    "promo_present": N_("Promo present"),
}
JOB_LABELS: dict[str, str] = {"inspect": N_("inspection run"), "report": N_("weekly report"),
                              "digest": N_("morning digest"), "demo": N_("demo history")}
STATUS_LABELS: dict[str, str] = {"all": N_("all"), "ok": N_("ok"), "partial": N_("partial"),
                                 "error": N_("error"), "skipped": N_("skipped"),
                                 "running": N_("running")}
STAGE_LABELS: dict[str, str] = {"detector": N_("detector"), "recognizer": N_("recognizer")}
COLUMN_LABELS: dict[str, str] = {
    "id": N_("ID"), "rank": N_("Rank"), "store": N_("Store"), "name": N_("Name"),
    "store_name": N_("Store name"), "camera_name": N_("Camera name"),
    "camera": N_("Camera"), "week": N_("Week"), "day": N_("Day"), "inspections": N_("Inspections"),
    "violations": N_("Violations"), "high_severity": N_("High severity"),
    "captured_at": N_("Taken (UTC)"), "captured_local": N_("Taken (store time)"),
    "timezone": N_("Time zone"), "rule": N_("Rule"), "type": N_("Type"),
    "severity": N_("Severity"), "message": N_("Message"), "brand": N_("Brand"),
    "share": N_("Share %"), "days": N_("Days seen"), "example": N_("Latest message"),
    "sku": N_("SKU"), "kind": N_("Kind"), "score": N_("Score"), "sku_score": N_("SKU score"),
    "named_by": N_("Named by"), "pack_text": N_("Pack text"), "orientation": N_("Orientation"),
    "text": N_("Text"), "price": N_("Price"), "shelf": N_("Shelf"), "box": N_("Box"),
    "category": N_("Category"), "package": N_("Package"), "size": N_("Size"),
    "references": N_("Reference photos"), "job": N_("Job"), "trigger": N_("Trigger"),
    "status": N_("Status"), "started_at": N_("Started (UTC)"), "duration_s": N_("Duration (s)"),
    "counts": N_("Counts"), "error": N_("Error"), "schedule": N_("Schedule"),
    "next_run": N_("Next run (store time)"), "next_run_utc": N_("Next run (UTC)"),
    "file": N_("File"), "state": N_("State"), "in_force": N_("In force"),
    "problem": N_("Problem"), "stage": N_("Stage"), "source": N_("Source"),
    "found": N_("Found"), "size_mb": N_("Size (MB)"), "appear": N_("Appear"),
    "disappear": N_("Disappear"), "before": N_("Before"), "after": N_("After"),
    "version": N_("Version"), "saved_at": N_("Saved (UTC)"), "saved_by": N_("Saved by"),
    "comment": N_("Comment"), "username": N_("User name"), "display_name": N_("Display name"),
    "role": N_("Role"), "stores": N_("Stores"), "active": N_("Active"), "email": N_("E-mail"),
    "last_login_at": N_("Last sign-in (UTC)"), "created_at": N_("Created (UTC)"),
    "at": N_("When (UTC)"), "actor": N_("Who"), "action": N_("Action"), "target": N_("Target"),
    "ok": N_("OK"), "detail": N_("Detail"), "change": N_("Δ vs last week"),
    "trend": N_("Last 8 weeks"), "path": N_("Path"), "modified": N_("Modified (UTC)"),
    "model": N_("Model"), "photos": N_("Photos"), "last_at": N_("Last photo (UTC)"),
    "author": N_("Saved by"), "valid": N_("Valid"),
}


# KPI levels (thresholds: pipeline.kpis.GOOD_FROM / WATCH_FROM): the badge colour, the table
# cell's background and text, and the word — green, amber, red on every page.
LEVEL_COLOURS: dict[str, str] = {"good": "green", "watch": "orange", "act": "red"}
LEVEL_CELLS: dict[str, str] = {
    "good": "background-color: #d3f9d8; color: #2b8a3e",
    "watch": "background-color: #fff3bf; color: #b35c00",
    "act": "background-color: #ffe3e3; color: #c92a2a",
}
LEVEL_LABELS: dict[str, str] = {"good": N_("on target"), "watch": N_("watch"),
                                "act": N_("act now")}
LEVEL_ICONS: dict[str, str] = {"good": ":material/check_circle:", "watch": ":material/warning:",
                               "act": ":material/error:"}


def level_badge(value: float | None) -> None:
    """A KPI's level as a coloured badge (``on target`` green, ``watch`` amber, ``act now``
    red), drawn where called; nothing when there is no value."""
    found = level(value)
    if found:
        st.badge(_(LEVEL_LABELS[found]), color=LEVEL_COLOURS[found], icon=LEVEL_ICONS[found])


def kpi_card(where: Any, label: str, value: float | None, delta: str | None = None,
             **metric: Any) -> None:
    """A KPI card: the metric (``label`` already in the reader's words) and its level badge,
    in one bordered box."""
    with where.container(border=True):
        st.metric(label, pct(value), delta, **metric)
        level_badge(value)


def _cell(value: Any) -> str:
    found = level(value)
    return LEVEL_CELLS[found] if found else ""


def levels(table: Any, columns: Iterable[str] | None = None) -> Any:
    """``table`` styled for ``st.dataframe``: each KPI cell (``columns``, default the KPI
    columns it has) tinted green, amber or red by its level; the data stay numbers."""
    names = [c for c in (columns if columns is not None else SHORT_LABELS) if c in table]
    if not names or table.empty:
        return table
    return table.style.map(_cell, subset=names)


def pct(value: float | None) -> str:
    """A KPI as people read it in their locale: ``"90.0%"`` (``"–"`` when unknown)."""
    return i18n.percent(value)


def points(now: float | None, before: float | None) -> str | None:
    """Change in percentage points for ``st.metric`` (``None`` when not comparable)."""
    if now is None or before is None:
        return None
    return i18n.points(now - before)


def when(value: datetime | None, tz: str | None = "UTC") -> str:
    """A naive UTC moment on the clock of ``tz``, with the zone named."""
    return i18n.moment(value, tz)


def severity(value: str | None) -> str:
    """A severity in the reader's words (``high`` -> ``高``)."""
    return _(SEVERITY_LABELS[value]) if value in SEVERITY_LABELS else str(value or "")


def rule_type(value: str | None) -> str:
    """A rule type in the reader's words (``price_match`` -> ``Price match`` / ``价格一致``)."""
    return _(RULE_TYPE_LABELS[value]) if value in RULE_TYPE_LABELS else str(value or "")


def word(labels: dict[str, str], value: str | None) -> str:
    """A code (a job, a run status, a model stage) in the reader's words, else as it is."""
    return _(labels[value]) if value in labels else str(value or "")


def severity_badge(value: str | None) -> str:
    """A coloured markdown badge of a severity."""
    colour = SEVERITY_COLOURS.get(value or "")
    return f":{colour}-badge[{severity(value)}]" if colour else ""


def labels_for(options: Iterable[Any], name: Callable[[Any], str]) -> Callable[[Any], str]:
    """A picker's ``format_func`` with every option named now, in the reader's language (a
    widget may format its value again outside the page's run, where no reader is known)."""
    names = {option: name(option) for option in options}
    return lambda option: names.get(option, str(option))


def percent_column(label: str) -> Any:
    """A 0-100 bar in a neutral grey: the cell's tint (:func:`levels`) says good or bad."""
    return st.column_config.ProgressColumn(label, format="%.1f %%", min_value=0, max_value=100,
                                           color="gray")


def change_column(label: str | None = None) -> Any:
    return st.column_config.NumberColumn(label or _("Δ vs last week"), format="%+.1f")


# What a table row is about, when such columns lead the table: they stay in view (pinned) while
# a table wider than the screen (a phone's) is scrolled sideways to its figures.
KEY_COLUMNS = ("id", "rank", "store", "camera", "rule", "week", "day")


def column_config(columns: Any = None, **overrides: Any) -> dict[str, Any]:
    """Column settings with headings in the reader's language: KPI columns as 0-100 bars,
    ``change`` in points, ``trend`` as a sparkline, every other known column with its label
    from :data:`COLUMN_LABELS` (``columns``: only these, in the order shown; default all
    known). The :data:`KEY_COLUMNS` that lead ``columns`` are pinned (they are first anyway,
    so nothing moves)."""
    out = _column_config(columns, **overrides)
    for name in list(columns) if columns is not None else []:
        if name not in KEY_COLUMNS:
            break
        if isinstance(out.get(name), dict) and out[name].get("pinned") is None:
            out[name] = {**out[name], "pinned": True}
    return out


def _column_config(columns: Any = None, **overrides: Any) -> dict[str, Any]:
    names = list(columns) if columns is not None else [*SHORT_LABELS, *COLUMN_LABELS]
    out: dict[str, Any] = {}
    for name in names:
        if name in SHORT_LABELS:
            out[name] = percent_column(_(SHORT_LABELS[name]))
        elif name == "change":
            out[name] = change_column()
        elif name == "trend":
            out[name] = st.column_config.LineChartColumn(_(COLUMN_LABELS["trend"]), y_min=0,
                                                         y_max=100, color="auto")
        elif name in COLUMN_LABELS:
            out[name] = st.column_config.Column(_(COLUMN_LABELS[name]))
    out.update(overrides)
    return out


def relative(value: datetime | None, now: datetime | None = None) -> str:
    """``12 min. ago`` / ``in 9 hr.`` (``12分钟前``) for a naive UTC time (``—`` when unknown)."""
    from babel.dates import format_timedelta

    if value is None:
        return "—"
    now = now or datetime.now(UTC).replace(tzinfo=None)
    delta = value - now
    if abs(delta) < timedelta(seconds=5):
        return _("now")
    return format_timedelta(delta, add_direction=True, format="short", threshold=1.5,
                            locale=i18n.babel_locale())
