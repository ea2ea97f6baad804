"""Numbers and times as supervisors read them."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from pipeline.kpis import SHORT_LABELS

# Markdown badges (Streamlit colours, no emoji: not every browser has an emoji font).
SEVERITY_BADGE = {"high": ":red-badge[high]", "medium": ":orange-badge[medium]",
                  "low": ":blue-badge[low]"}


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def points(now: float | None, before: float | None) -> str | None:
    """Change in percentage points for ``st.metric`` (``None`` when not comparable)."""
    if now is None or before is None:
        return None
    return f"{now - before:+.1f} pts"


def when(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M")


def percent_column(label: str) -> st.column_config.ProgressColumn:
    return st.column_config.ProgressColumn(label, format="%.1f %%", min_value=0, max_value=100)


def change_column(label: str = "Δ vs last week") -> st.column_config.NumberColumn:
    return st.column_config.NumberColumn(label, format="%+.1f")


KPI_COLUMN_CONFIG = {
    **{name: percent_column(label) for name, label in SHORT_LABELS.items()},
    "change": change_column(),
    "trend": st.column_config.LineChartColumn("Last 8 weeks", y_min=0, y_max=100),
}


def relative(value: datetime | None, now: datetime | None = None) -> str:
    """``12 min ago`` / ``in 9 h`` for a naive UTC time (``—`` when unknown)."""
    if value is None:
        return "—"
    from datetime import UTC

    now = now or datetime.now(UTC).replace(tzinfo=None)
    seconds = (value - now).total_seconds()
    span = abs(seconds)
    if span < 60:
        text = "now" if span < 5 else f"{span:.0f} s"
    elif span < 3600:
        text = f"{span / 60:.0f} min"
    elif span < 86400 * 2:
        text = f"{span / 3600:.0f} h"
    else:
        text = f"{span / 86400:.0f} days"
    if text == "now":
        return text
    return f"in {text}" if seconds > 0 else f"{text} ago"

