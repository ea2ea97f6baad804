"""Numbers and times as supervisors read them."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

SEVERITY_ICON = {"high": "🔴", "medium": "🟠", "low": "🟡"}


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
    "compliance": percent_column("Compliance"),
    "osa": percent_column("OSA"),
    "price_compliance": percent_column("Price"),
    "promo_compliance": percent_column("Promo"),
    "change": change_column(),
}
