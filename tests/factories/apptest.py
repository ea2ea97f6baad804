"""Small readers for AppTest pages."""

from __future__ import annotations


def table_with(at, column: str):
    """The first table on the page that has ``column`` (st.dataframe keys are not queryable)."""
    for element in at.dataframe:
        if column in element.value.columns:
            return element.value
    raise AssertionError(f"no table with a {column!r} column on the page")
