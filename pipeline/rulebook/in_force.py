"""The rule book of one store as its runs and uploads use it: read from disk, versions recorded.

:func:`load_store_rules` reads the rule files that may reach the store (the shared ones and the store's own
``rules/stores/<id>/*.yaml``), records their texts as versions, lets the last good version stand
in for a broken file, and builds the book with :func:`pipeline.rules.book.build` — the one
builder every path uses. A broken file with no valid version on record that may reach the store
stops it (its photos wait in the inbox); other stores are not affected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from pipeline import yamldoc
from pipeline.catalog import Catalog
from pipeline.detections import PhotoDetections
from pipeline.errors import ShelfAuditError
from pipeline.rulebook.versions import resolve_rule_texts, rule_files
from pipeline.rules import book as rule_book
from pipeline.rules.book import check_text
from pipeline.rules.schema import Store


class StoreRules(Protocol):
    """What the runner needs from the rules: a verdict per photo and what versions were used."""

    hash: str  # one hash over every rule text in force
    versions: dict[str, int]  # rule file name -> rule_set_versions.id
    problems: list[str]  # broken files and which saved version stands in

    def evaluate(self, detections: PhotoDetections, camera: str) -> dict[str, Any]:
        """``ComplianceResult.to_dict()`` of the photo."""
        ...



def _selector_of_broken(text: str, name: str) -> Any:
    """Best effort: the ``applies_to`` of a file that does not validate (``None`` = unknown)."""
    from pipeline.rules.schema import Selector

    try:
        doc = yamldoc.to_plain(yamldoc.loads(text, name))
        return Selector.model_validate((doc or {}).get("applies_to") or {})
    except Exception:  # noqa: BLE001 - unknown reach: assume it applies everywhere
        return None


def _may_reach(name: str, text: str, store: Store | None) -> bool:
    """Whether a broken file might reach ``store`` (``None``: an ad-hoc photo)."""
    owner = rule_book.owner_of(name)
    if owner is not None:
        return store is not None and store.id == owner
    selector = _selector_of_broken(text, name)
    if selector is None:
        return True
    if store is None:
        return selector.matches(None, None)
    return any(selector.matches(store.id, c) for c in (list(store.cameras) or ["*"]))


def _check_en(text: str, name: str) -> list[str]:
    """A file's errors in English: the versions and a run's texts keep them as stored text."""
    return check_text(text, name, lang="en")


def load_store_rules(store: Store | None, rules_dir: Path, url: str | None = None, *,
                     catalog: Catalog) -> rule_book.StoreRules:
    """The rule book of ``store`` (``None``: an ad-hoc photo) from the rule files in
    ``rules_dir`` (broken ones -> last good version), with ``catalog``: the rules folder and
    catalog of the caller's edge context (the catalog read once for the edge).

    Raises:
        ShelfAuditError: a broken rule file that may apply to this store has no valid version
            on record (the store's photos wait in the inbox until it is fixed).
    """
    folder = rules_dir
    resolved = resolve_rule_texts(rule_files(folder, store.id if store else None), _check_en,
                                  url, folder)
    for name in resolved.unusable:
        text = (folder / name).read_text(encoding="utf-8", errors="replace")
        if _may_reach(name, text, store):
            detail = next(p for p in resolved.problems if p.startswith(f"rule file {name} "))
            who = f"store {store.id}" if store else "an ad-hoc photo"
            raise ShelfAuditError(f"{detail}; {who} is not inspected until it is fixed (its "
                                  f"photos wait in the inbox)")
    notes = {t.name: next(p for p in resolved.problems if p.startswith(f"rule file {t.name} "))
             for t in resolved.texts if t.from_saved}
    book = rule_book.build(resolved.texts, [store] if store else [], catalog, notes=notes)
    return book.for_store(store.id if store else None)
