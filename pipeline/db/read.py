"""Running read-only statements for the queries: the engine in force and DataFrame results."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.sql import Executable


def engine_for(engine: Engine | None = None) -> Engine:
    """The given engine, or the store's engine for the current settings."""
    if engine is not None:
        return engine
    from pipeline.db import get_engine

    return get_engine()


def frame(engine: Engine, stmt: Executable, columns: list[str] | None = None) -> pd.DataFrame:
    """Run a SELECT and return its rows as a DataFrame (column names from the statement)."""
    with engine.connect() as conn:
        result = conn.execute(stmt)
        names = list(result.keys())
        rows = [tuple(r) for r in result.fetchall()]  # plain tuples: pandas probes each Row
    df = pd.DataFrame(rows, columns=names)  # object's attributes (10x slower for 4,000 rows)
    return df[columns] if columns else df


def scalar(engine: Engine, stmt: Executable) -> Any:
    """Run a SELECT returning one value."""
    with engine.connect() as conn:
        return conn.execute(stmt).scalar()


def rows(engine: Engine, stmt: Executable) -> list[Any]:
    """Run a SELECT and return its rows (named tuples)."""
    with engine.connect() as conn:
        return list(conn.execute(stmt).fetchall())
