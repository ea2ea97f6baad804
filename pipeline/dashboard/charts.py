"""Plotly figures in one look for every page (percent axes 0-100, severity colours).

Built with ``plotly.graph_objects`` directly: plotly express costs ~0.1 s per figure in
argument handling, which the page-time budget cannot afford for five charts.

Weeks (or days) are categories drawn in the order given (``order``): every week of the range,
those without data too — a count (violations) is zero there, a KPI has a gap (no inspections
is no score, not 0 %). Every point carries its group's id (``customdata``: the store, rule or
type behind a line or bar, not its translated name), so a click can open its rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

SEVERITY_COLORS = {"high": "#e03131", "medium": "#f08c00", "low": "#fcc419"}
PALETTE = qualitative.Plotly + qualitative.D3
HEIGHT = 320


def _tidy(fig: go.Figure, title: str = "", percent: bool = True, height: int = HEIGHT,
          axis: str = "y", hovermode: str = "x unified") -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=36 if title else 10, b=10),
                      legend=dict(orientation="h", y=-0.2), hovermode=hovermode,
                      title=dict(text=title) if title else None)
    if percent:
        (fig.update_yaxes if axis == "y" else fig.update_xaxes)(range=[0, 100], ticksuffix=" %")
    return fig


def _groups(df: pd.DataFrame, y: str | list[str], color: str | None):
    """(name, x-frame, y-column) per line: one per ``color`` value, or one per ``y`` column."""
    if color:
        for name, part in df.groupby(color, sort=True):
            yield str(name), part, y
    else:
        for col in [y] if isinstance(y, str) else y:
            yield col, df, col


def _named_ticks(fig: go.Figure, values: pd.Series, names: Callable[[str], str] | None,
                 axis: str) -> None:
    """Show ``names(value)`` on the category axis while the data keep their ids."""
    if names is None or values.empty:
        return
    ids = list(dict.fromkeys(str(v) for v in values))
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(
        tickmode="array", tickvals=ids, ticktext=[names(v) for v in ids])


def _along(part: pd.DataFrame, x: str, col: str, order: Sequence | None,
           fill: float | None) -> tuple[list, list]:
    """``(xs, ys)`` of one line or bar series (values of one ``x`` are added): ``order``'s
    every category, missing ones at ``fill`` (``None``: a gap), else the data's own, sorted."""
    values = part.groupby(x, sort=True)[col].sum(min_count=1) if len(part) else pd.Series()
    xs = list(order) if order is not None else list(values.index)
    ys = []
    for key in xs:
        value = values.get(key)
        ys.append(fill if value is None or value != value else float(value))
    return xs, ys


def _ordered(fig: go.Figure, order: Sequence | None, axis: str = "x") -> None:
    if order is not None:
        (fig.update_xaxes if axis == "x" else fig.update_yaxes)(
            type="category", categoryorder="array", categoryarray=list(order))


def lines(df: pd.DataFrame, x: str, y: str | list[str], color: str | None = None,
          title: str = "", percent: bool = True,
          legend: Callable[[str], str] | None = None, order: Sequence | None = None,
          fill: float | None = None) -> go.Figure:
    """A line chart over ``x`` (one line per ``color`` value, or per ``y`` column; ``legend``
    names each line for the reader). ``order``: every ``x`` category in order (weeks of the
    range); a missing one is ``fill`` (``0`` for counts) or a gap (``None``, for KPIs)."""
    fig = go.Figure()
    for i, (name, part, col) in enumerate(_groups(df, y, color)):
        xs, ys = _along(part, x, col, order, fill)
        fig.add_trace(go.Scatter(x=xs, y=ys, name=legend(name) if legend else name,
                                 mode="lines+markers", connectgaps=False,
                                 customdata=[name] * len(xs),
                                 line=dict(color=PALETTE[i % len(PALETTE)])))
    _ordered(fig, order)
    # one line per group: a click must pick that line's point, not every line's at that week
    return _tidy(fig, title, percent, hovermode="closest" if color else "x unified")


def bars(df: pd.DataFrame, x: str, y: str, color: str | None = None, title: str = "",
         horizontal: bool = False, percent: bool = False,
         names: Callable[[str], str] | None = None,
         legend: Callable[[str], str] | None = None, order: Sequence | None = None,
         fill: float | None = 0) -> go.Figure:
    """A (stacked) bar chart; ``color="severity"`` gets the severity colours. ``names`` shows
    the ``x`` categories by name (a SKU or brand in the reader's language), ``legend`` the
    ``color`` groups (a severity in the reader's words); the data keep their ids. ``order``:
    every ``x`` category in order (weeks of the range), missing ones at ``fill``."""
    fig = go.Figure()
    for i, (name, part, col) in enumerate(_groups(df, y, color)):
        shade = SEVERITY_COLORS.get(name) if color == "severity" else PALETTE[i % len(PALETTE)]
        shown = legend(name) if legend else name
        if order is not None:
            xs, ys = _along(part, x, col, order, fill)
        else:
            xs, ys = list(part[x]), list(part[col])
        if horizontal:
            fig.add_trace(go.Bar(x=ys, y=xs, name=shown, orientation="h", marker_color=shade,
                                 customdata=[name] * len(xs)))
        else:
            fig.add_trace(go.Bar(x=xs, y=ys, name=shown, marker_color=shade,
                                 customdata=[name] * len(xs)))
    _ordered(fig, order, "y" if horizontal else "x")
    if x in df:
        _named_ticks(fig, df[x], names, "y" if horizontal else "x")
    fig.update_layout(barmode="stack", showlegend=color is not None)
    if horizontal:
        fig.update_yaxes(categoryorder="total ascending")
    return _tidy(fig, title, percent, axis="x" if horizontal else "y", hovermode="closest")


def fitted_range(values: Sequence[float], step: float = 5.0, least: float = 10.0
                 ) -> tuple[float, float]:
    """A colour scale's ends fitted to ``values`` (percent): their lowest and highest, out to
    the next ``step``, at least ``least`` apart and within 0-100 — so 81 % and 98 % look
    different, not alike on a 0-100 scale. ``(0, 100)`` without values."""
    found = [float(v) for v in values if v is not None and v == v]
    if not found:
        return 0.0, 100.0
    low = max(0.0, math.floor(min(found) / step) * step)
    high = min(100.0, math.ceil(max(found) / step) * step)
    if high - low < least:
        high = min(100.0, low + least)
        low = max(0.0, high - least)
    return low, high


def heatmap(df: pd.DataFrame, x: str, y: str, z: str, title: str = "",
            label: str | None = None, order: Sequence | None = None,
            names: Callable[[str], str] | None = None) -> go.Figure:
    """A ``y`` x ``x`` grid of a percentage (red low, green high, the scale fitted to the data:
    :func:`fitted_range`); ``label`` names ``z`` in the hover text, ``order`` gives every
    ``x`` column (weeks without data stay blank), ``names`` shows the ``y`` ids by name."""
    grid = df.pivot_table(index=y, columns=x, values=z, aggfunc="mean")
    if order is not None:
        grid = grid.reindex(columns=list(order))
    low, high = fitted_range(grid.values.ravel().tolist())
    fig = go.Figure(go.Heatmap(z=grid.values, x=list(grid.columns), y=list(grid.index),
                               colorscale="RdYlGn", zmin=low, zmax=high,
                               colorbar=dict(ticksuffix=" %"),
                               hovertemplate=f"%{{y}} · %{{x}}<br>{label or z} "
                                             "%{z:.1f} %<extra></extra>"))
    _named_ticks(fig, pd.Series(list(grid.index)), names, "y")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    height = max(HEIGHT, min(1400, 18 * len(grid.index) + 120))
    return _tidy(fig, title, percent=False, height=height, hovermode="closest")
