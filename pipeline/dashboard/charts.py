"""Plotly figures in one look for every page (percent axes 0-100, severity colours).

Built with ``plotly.graph_objects`` directly: plotly express costs ~0.1 s per figure in
argument handling, which the page-time budget cannot afford for five charts.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

SEVERITY_COLORS = {"high": "#e03131", "medium": "#f08c00", "low": "#fcc419"}
PALETTE = qualitative.Plotly + qualitative.D3
HEIGHT = 320


def _tidy(fig: go.Figure, title: str = "", percent: bool = True, height: int = HEIGHT,
          axis: str = "y") -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=36 if title else 10, b=10),
                      legend=dict(orientation="h", y=-0.2), hovermode="x unified",
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


def lines(df: pd.DataFrame, x: str, y: str | list[str], color: str | None = None,
          title: str = "", percent: bool = True,
          legend: Callable[[str], str] | None = None) -> go.Figure:
    """A line chart over ``x`` (one line per ``color`` value, or per ``y`` column; ``legend``
    names each line for the reader)."""
    fig = go.Figure()
    for i, (name, part, col) in enumerate(_groups(df, y, color)):
        part = part.sort_values(x)
        fig.add_trace(go.Scatter(x=part[x], y=part[col], name=legend(name) if legend else name,
                                 mode="lines+markers",
                                 line=dict(color=PALETTE[i % len(PALETTE)])))
    return _tidy(fig, title, percent)


def bars(df: pd.DataFrame, x: str, y: str, color: str | None = None, title: str = "",
         horizontal: bool = False, percent: bool = False,
         names: Callable[[str], str] | None = None,
         legend: Callable[[str], str] | None = None) -> go.Figure:
    """A (stacked) bar chart; ``color="severity"`` gets the severity colours. ``names`` shows
    the ``x`` categories by name (a SKU or brand in the reader's language), ``legend`` the
    ``color`` groups (a severity in the reader's words); the data keep their ids."""
    fig = go.Figure()
    for i, (name, part, col) in enumerate(_groups(df, y, color)):
        shade = SEVERITY_COLORS.get(name) if color == "severity" else PALETTE[i % len(PALETTE)]
        shown = legend(name) if legend else name
        if horizontal:
            fig.add_trace(go.Bar(x=part[col], y=part[x], name=shown, orientation="h",
                                 marker_color=shade))
        else:
            fig.add_trace(go.Bar(x=part[x], y=part[col], name=shown, marker_color=shade))
    if x in df:
        _named_ticks(fig, df[x], names, "y" if horizontal else "x")
    fig.update_layout(barmode="stack", showlegend=color is not None)
    if horizontal:
        fig.update_yaxes(categoryorder="total ascending")
    return _tidy(fig, title, percent, axis="x" if horizontal else "y")


def heatmap(df: pd.DataFrame, x: str, y: str, z: str, title: str = "",
            label: str | None = None) -> go.Figure:
    """A ``y`` x ``x`` grid of a percentage (red low, green high); ``label`` names ``z`` in
    the hover text."""
    grid = df.pivot_table(index=y, columns=x, values=z, aggfunc="mean")
    fig = go.Figure(go.Heatmap(z=grid.values, x=list(grid.columns), y=list(grid.index),
                               colorscale="RdYlGn", zmin=0, zmax=100,
                               colorbar=dict(ticksuffix=" %"),
                               hovertemplate=f"%{{y}} · %{{x}}<br>{label or z} "
                                             "%{z:.1f} %<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    height = max(HEIGHT, min(1400, 18 * len(grid.index) + 120))
    return _tidy(fig, title, percent=False, height=height)
