"""Click-through: a point of a chart, a row of a ranking or a worst photo opens its rows on the
Inspections page (or its photo), with the store, week, camera, rule or day in the URL.

Charts are drawn with Streamlit's plotly selection events (``on_select``); a clicked point
names its ``x`` (a week or a day), its ``y`` and its group's id (``customdata`` from
:mod:`pipeline.dashboard.charts`), and ``params(point)`` turns that into the Inspections page's
query parameters (:func:`pipeline.dashboard.frame.open_page`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from pipeline.dashboard import frame

INSPECTIONS = "pages/inspections.py"


class Point(dict):
    """One clicked point: ``x``, ``y`` and ``group`` (the id behind its line or bar)."""

    @property
    def group(self) -> str | None:
        value = self.get("customdata")
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        return None if value is None else str(value)


def _point(figure: Any, found: dict[str, Any]) -> Point:
    point = Point(found)
    if point.get("customdata") is None:  # not sent back: read it off the figure's trace
        try:
            trace = figure.data[int(point["curve_number"])]
            point["customdata"] = trace.customdata[int(point.get("point_index") or 0)]
        except (KeyError, IndexError, TypeError, ValueError):
            pass
    return point


def chart(figure: Any, key: str, params: Callable[[Point], dict[str, Any] | None]) -> None:
    """Draw ``figure``; a click on one of its points opens the Inspections page with
    ``params(point)`` (``None``: the point opens nothing)."""
    st.plotly_chart(figure, key=key, on_select="rerun", selection_mode="points")
    points = ((st.session_state.get(key) or {}).get("selection") or {}).get("points") or []
    if points:
        found = params(_point(figure, points[0]))
        if found:
            frame.open_page(INSPECTIONS, found)


def picked_row(key: str) -> int | None:
    """The row picked in the table with ``key`` (``on_select``, single row), if any."""
    rows = ((st.session_state.get(key) or {}).get("selection") or {}).get("rows") or []
    return int(rows[0]) if rows else None


def table(data: Any, key: str, params: Callable[[int], dict[str, Any] | None],
          **dataframe: Any) -> None:
    """``st.dataframe`` whose picked row opens the Inspections page with ``params(row)``."""
    st.dataframe(data, key=key, on_select="rerun", selection_mode="single-row", **dataframe)
    row = picked_row(key)
    if row is not None:
        found = params(row)
        if found:
            frame.open_page(INSPECTIONS, found)
