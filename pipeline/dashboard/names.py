"""Names beside ids: ``s001 · Riverside``, ``c03 · Dairy fridge`` (from ``stores.yaml``, as the
database has them), for pickers, headings and tables. The data keep their ids; only what a
person reads gains the name. An id without a name (or whose name is the id) stays as it is.
"""

from __future__ import annotations

import pandas as pd

from pipeline.dashboard import frame, loaders
from pipeline.queries import pickers


def _both(ident: str, name: str | None) -> str:
    return f"{ident} · {name}" if name and name != ident else ident


def store(store_id: str | None) -> str:
    """``s001 · Riverside``."""
    if not store_id:
        return ""
    return _both(store_id, dict(loaders.stores(frame.scope())).get(store_id))


def camera_name(store_id: str | None, camera_id: str | None) -> str:
    """``Dairy fridge`` (``""`` when the camera has no name of its own)."""
    names = loaders.load(pickers.camera_names, frame.scope())
    found = names.get((store_id or "", camera_id or ""), "")
    return "" if found == camera_id else found


def camera(store_id: str | None, camera_id: str | None) -> str:
    """``c03 · Dairy fridge`` (the camera's name in its store)."""
    if not camera_id:
        return ""
    return _both(camera_id, camera_name(store_id, camera_id))


def with_camera_names(table: pd.DataFrame, store_id: str, column: str = "camera"
                      ) -> pd.DataFrame:
    """A copy of a one-store ``table`` with ``camera_name`` after its camera column."""
    out = table.copy()
    if column in out and "camera_name" not in out:
        out.insert(out.columns.get_loc(column) + 1, "camera_name",
                   [camera_name(store_id, c) for c in out[column]])
    return out


def store_camera(key: str) -> str:
    """``s001/c03 · Dairy fridge`` for a ``store/camera`` key."""
    store_id, _, camera_id = key.partition("/")
    return f"{store_id}/{camera(store_id, camera_id)}" if camera_id else key


def named(table: pd.DataFrame, store_column: str = "store",
          camera_column: str = "camera") -> pd.DataFrame:
    """A copy of ``table`` with the names beside the ids: ``store_name`` after the store
    column (unless the table has a ``name`` column already) and ``camera_name`` after the
    camera column (headings: :data:`~pipeline.dashboard.formatting.COLUMN_LABELS`)."""
    out = table.copy()
    if camera_column in out and store_column in out and "camera_name" not in out:
        out.insert(out.columns.get_loc(camera_column) + 1, "camera_name",
                   [camera_name(s, c) for s, c in
                    zip(out[store_column], out[camera_column], strict=True)])
    if store_column in out and "name" not in out and "store_name" not in out:
        stores = dict(loaders.stores(frame.scope()))
        out.insert(out.columns.get_loc(store_column) + 1, "store_name",
                   [stores.get(s, "") if stores.get(s) != s else "" for s in out[store_column]])
    return out
