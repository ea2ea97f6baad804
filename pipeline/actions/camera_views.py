"""Uploads judged only against the shelf they show (issue #19 item 5).

Before the chosen camera's planogram and rules judge an uploaded photo, the photo is compared
with that camera's recent scheduled photos and with the store's other cameras
(:mod:`pipeline.vision.camera_view`). A photo that does not look like the camera's shelf is not
judged at all: the page says "this photo does not look like camera c01's shelf" (and which
camera it looks like) instead of a verdict full of self-contradicting messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from pipeline import i18n
from pipeline.access.scope import Scope
from pipeline.actions.uploads import Uploaded, inspect_uploads, store_spec
from pipeline.context import EdgeContext
from pipeline.db.read import engine_for, rows
from pipeline.db.tables import Inspection, Photo
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.queries import pickers
from pipeline.vision.camera_view import (
    MATCH,
    NO_EMBEDDER,
    OTHER_CAMERA,
    REFERENCE_PHOTOS,
    UNCHECKED,
    ViewVerdict,
    view_check,
)


def recent_photos(store: str, scope: Scope, per_camera: int = REFERENCE_PHOTOS,
                  engine: Engine | None = None) -> dict[str, list[str]]:
    """Camera -> the files of its newest scheduled photos (saved uploads never count) that are
    still on disk, for every camera of ``store`` in scope."""
    eng = engine_for(engine)
    out: dict[str, list[str]] = {}
    for _store, camera in pickers.cameras(scope, store, engine=eng):
        stmt = (select(Photo.path).join(Inspection, Inspection.photo_id == Photo.id)
                .where(Inspection.store_id == store, Inspection.camera_id == camera,
                       Photo.captured_from != pickers.UPLOADED)
                .order_by(Inspection.captured_at.desc()).limit(per_camera * 3))
        found = [r.path for r in rows(eng, stmt) if r.path and Path(r.path).is_file()]
        out[camera] = list(dict.fromkeys(found))[:per_camera]
    return out


def check_views(items: Sequence[Uploaded], store: str, camera: str, scope: Scope,
                engine: Engine | None = None) -> list[ViewVerdict | None]:
    """Whether each decoded upload shows ``camera``'s usual view (``None`` for a refused
    file)."""
    todo = [i for i, item in enumerate(items) if item.photo is not None]
    out: list[ViewVerdict | None] = [None] * len(items)
    if not todo:
        return out
    check = view_check()
    if check is None:
        for i in todo:
            out[i] = ViewVerdict(UNCHECKED, camera, why=NO_EMBEDDER)
        return out
    images = [np.asarray(items[i].photo.image.convert("RGB")) for i in todo]
    verdicts = check.check(images, camera, recent_photos(store, scope, engine=engine))
    for i, verdict in zip(todo, verdicts, strict=True):
        out[i] = verdict
    return out


def judge_uploads(items: Sequence[Uploaded], store: str | None, camera: str | None,
                  scope: Scope, inspector: Any, rules: Any,
                  progress: Callable[[int, int, str], None] | None = None,
                  engine: Engine | None = None, *,
                  context: EdgeContext) -> list[ViewVerdict | None]:
    """Check each decoded upload against the camera's usual view, then inspect and judge
    those that show it (:func:`pipeline.actions.uploads.inspect_uploads`); the others stay
    uninspected (nothing to save). An ad-hoc photo (``store=None``) is judged unchecked.
    Returns the view verdict of each item (``None``: not checked). ``context``: the edge's,
    whose sites are used.

    Raises:
        ShelfAuditError: a store without a camera, or a camera that is not the store's.
    """
    if store is None:
        inspect_uploads(list(items), None, None, inspector, rules, progress, context=context)
        return [None] * len(items)
    if not camera:
        raise ShelfAuditError(_("Pick the camera whose shelf the photo shows: its planogram "
                                "and rules judge the photo."))
    if camera not in store_spec(store, context).cameras:
        raise ShelfAuditError(_("camera {camera} is not a camera of store {store}").format(
            camera=repr(camera), store=store))
    views = check_views(items, store, camera, scope, engine)
    judged = [item for item, view in zip(items, views, strict=True)
              if view is not None and view.judge]
    inspect_uploads(judged, store, camera, inspector, rules, progress, context=context)
    return views


def _camera_name(store: str, camera: str | None, context: EdgeContext) -> str:
    try:
        found = store_spec(store, context).cameras.get(camera)
    except ShelfAuditError:
        found = None
    name = getattr(found, "name", "") or ""
    return f"{camera} · {name}" if name and name != camera else str(camera)


def view_message(verdict: ViewVerdict, store: str, context: EdgeContext) -> str:
    """The verdict in the reader's words (camera ids with their names from stores.yaml, as
    the edge's ``context`` has them)."""
    camera = _camera_name(store, verdict.camera, context)
    figures = {"distance": i18n.number(verdict.distance, 2),
               "limit": i18n.number(verdict.limit, 2)}
    if verdict.code == MATCH:
        return _("Looks like camera {camera}'s usual view (distance {distance} ≤ {limit}).") \
            .format(camera=camera, **figures)
    if verdict.code == OTHER_CAMERA:
        return _("This photo does not look like camera {camera}'s shelf; it looks more like "
                 "camera {other}'s. It was not judged against camera {camera}'s planogram: pick "
                 "the camera whose shelf it shows.").format(
            camera=camera, other=_camera_name(store, verdict.nearest, context))
    if verdict.code == UNCHECKED and verdict.why == NO_EMBEDDER:
        return _("Not compared with camera {camera}'s usual view: no image embedder could be "
                 "loaded.").format(camera=camera)
    if verdict.code == UNCHECKED:
        return _("Not compared with camera {camera}'s usual view: it has no scheduled photos "
                 "yet.").format(camera=camera)
    return _("This photo does not look like camera {camera}'s shelf, nor like another camera "
             "of store {store} (distance {distance} > {limit}). It was not judged: upload a "
             "photo of that shelf, taken from about where the camera looks.").format(
        camera=camera, store=store, **figures)
