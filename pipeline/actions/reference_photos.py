"""Adding a reference photo of a catalog SKU to the gallery (the intake path's checks and clean copy)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.access.scope import Scope, ScopeError
from pipeline.catalog import Catalog
from pipeline.errors import ShelfAuditError
from pipeline.queries.system import (
    writable_gallery,
)


def add_reference(sku: str, name: str, data: bytes, scope: Scope,
                  recognizer: Any = None, *, catalog: Catalog) -> Path:
    """Keep one photo of ``sku`` (one upright product) in the gallery, and teach ``recognizer``
    (a loaded :class:`~pipeline.vision.recognizer.Recognizer`) right away when given.

    The gallery serves every store's recognizer, so only an admin may add to it; every attempt
    is audited (``reference_add`` / ``reference_refused``, a refused file ``upload_refused``).
    The photo takes the upload intake path (:func:`pipeline.actions.uploads.receive`) and is
    kept as a clean PNG without metadata.

    ``catalog``: the edge's (the dashboard's), which must list ``sku``.

    Raises:
        ScopeError: not an admin.
        ShelfAuditError: unknown SKU, or not a usable photo.
    """
    from pipeline.access.audit import REFERENCE_ADD, REFERENCE_REFUSED, audit
    from pipeline.actions.uploads import receive
    from pipeline.uploads import encode, write_atomic

    if scope.role != "admin" or not scope.all_stores:
        reason = ("reference photos change recognition for every store; only an admin may "
                  "add them")
        audit(scope.user, REFERENCE_REFUSED, name or "", ok=False, sku=sku, reason=reason)
        raise ScopeError(reason)
    if sku not in catalog.by_id:
        raise ShelfAuditError(f"unknown SKU {sku!r}: not in the catalog")
    item = receive(name, data, scope, None)
    if item.photo is None:
        raise ShelfAuditError(item.error or f"{name}: not a usable photo")
    target = writable_gallery() / sku / f"{item.photo.sha256[:12]}.png"
    if not target.exists():
        write_atomic(target, encode(item.photo, "png"))  # upright RGB, no metadata
    audit(scope.user, REFERENCE_ADD, f"{sku}/{target.name}", sku=sku, original=name,
          original_sha256=item.original_sha256, path=str(target))
    if recognizer is not None and hasattr(recognizer, "add_reference"):
        recognizer.add_reference(sku, item.photo.image)
    return target
