"""Plotly figures in one look for every page (percent axes 0-100, severity colours)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

SEVERITY_COLORS = {"high": "#e03131", "medium": "#f08c00", "low": "#fcc419"}
HEIGHT = 320


def _tidy(fig: go.Figure, percent: bool = True, height: int = HEIGHT) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=-0.2), hovermode="x unified")
    if percent:
        fig.update_yaxes(range=[0, 100], ticksuffix=" %")
    return fig


def lines(df: pd.DataFrame, x: str, y: str | list[str], color: str | None = None,
          title: str = "", percent: bool = True) -> go.Figure:
    """A line chart over time (one line per ``color`` value, or per ``y`` column)."""
    fig = px.line(df, x=x, y=y, color=color, markers=True, title=title)
    return _tidy(fig, percent)


def bars(df: pd.DataFrame, x: str, y: str, color: str | None = None, title: str = "",
         horizontal: bool = False, percent: bool = False) -> go.Figure:
    """A bar chart; severity columns get the severity colours."""
    colors = SEVERITY_COLORS if color == "severity" else None
    if horizontal:
        fig = px.bar(df, x=y, y=x, color=color, orientation="h", title=title,
                     color_discrete_map=colors)
        fig.update_yaxes(categoryorder="total ascending")
        fig = _tidy(fig, percent=False)
        if percent:
            fig.update_xaxes(range=[0, 100], ticksuffix=" %")
        return fig
    fig = px.bar(df, x=x, y=y, color=color, title=title, color_discrete_map=colors)
    return _tidy(fig, percent)


def heatmap(df: pd.DataFrame, x: str, y: str, z: str, title: str = "") -> go.Figure:
    """A store x week grid of a percentage (red low, green high)."""
    grid = df.pivot_table(index=y, columns=x, values=z, aggfunc="mean")
    fig = px.imshow(grid, color_continuous_scale="RdYlGn", zmin=0, zmax=100, aspect="auto",
                    title=title, labels=dict(color=z))
    height = max(HEIGHT, min(1400, 22 * len(grid.index) + 120))
    return _tidy(fig, percent=False, height=height)
