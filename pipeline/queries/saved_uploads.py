"""Saved uploads: which photos people saved from the Upload page, and taking one back out.

A saved upload (``photos.captured_from == "upload"``: the Upload page, or the HTTP API with
``inspect=now``) is an inspection like any other and counts in its week's figures — but it never
moves anyone's default week (:func:`pipeline.queries.pickers.default_week`). A supervisor or
admin of its store may

- **exclude** it (:func:`exclude_upload`): its inspection, detections and violations are kept
  as they were in ``upload_exclusions`` and leave the inspection tables, so no page, report or
  API counts them; the photo file and row stay (state ``excluded``). :func:`include_upload`
  makes it an inspection again (new ids; marks made on Today's fixes are not kept);
- **delete** it (:func:`delete_upload`): the photo row, its inspection or kept exclusion, and
  the clean copy on disk are removed.

Each change is audited (``upload_exclude``, ``upload_include``, ``upload_delete``). Scheduled
photos are never changed here. A weekly report already built for the upload's week is built
again, so its figures follow.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from pipeline.access.scope import Scope
from pipeline.db import tables
from pipeline.db.read import engine_for, frame
from pipeline.db.tables import (
    Inspection,
    Photo,
    Store,
    UploadExclusion,
)
from pipeline.queries.pickers import UPLOADED

COUNTED = "counted"
UPLOAD_COLUMNS = ["photo_id", "inspection_id", "store", "camera", "captured_at", "timezone",
                  "name", "uploaded_by", "status", "compliance", "violations", "excluded_by",
                  "excluded_at"]


def list_uploads(scope: Scope, limit: int = 100, engine: Engine | None = None) -> pd.DataFrame:
    """The newest saved uploads in scope: counted ones and excluded ones (``status``)."""
    stmt = (select(Photo.id.label("photo_id"), Inspection.id.label("inspection_id"),
                   Photo.store_id.label("store"), Photo.camera_id.label("camera"),
                   Photo.captured_at, Store.timezone, Photo.original_name.label("name"),
                   Photo.uploaded_by, Inspection.compliance,
                   Inspection.violation_count.label("violations"),
                   UploadExclusion.excluded_by, UploadExclusion.excluded_at)
            .outerjoin(Inspection, Inspection.photo_id == Photo.id)
            .outerjoin(UploadExclusion, UploadExclusion.photo_id == Photo.id)
            .outerjoin(Store, Store.id == Photo.store_id)
            .where(Photo.captured_from == UPLOADED, scope.where(Photo.store_id))
            .order_by(Photo.captured_at.desc(), Photo.id.desc()).limit(limit))
    df = frame(engine_for(engine), stmt)
    if df.empty:
        return pd.DataFrame(columns=UPLOAD_COLUMNS)
    df["status"] = [tables.EXCLUDED if pd.notna(x) else COUNTED for x in df["excluded_at"]]
    df["timezone"] = df["timezone"].fillna("UTC")
    df["inspection_id"] = df["inspection_id"].astype("Int64")
    df["violations"] = df["violations"].astype("Int64")
    return df[UPLOAD_COLUMNS]























