"""The rules in force for one store, built from rule-set texts, and judging photos with them.

Rule sets apply in order of ``priority`` then file name; a later set's rule replaces an earlier
one with the same id, and ``enabled: false`` switches it off. Each camera gets the rules of the
sets whose ``applies_to`` selector matches the store and camera, and is judged against its own
planogram and zones (from ``stores.yaml``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline import yamldoc
from pipeline.catalog import Catalog, load_catalog
from pipeline.detections import PhotoDetections
from pipeline.errors import ShelfAuditError
from pipeline.settings import get_settings
from pipeline.store.compliance import (
    RuleText,
    combined_hash,
    resolve_rule_texts,
    rule_files,
)
from pipeline.store.sites import StoreSpec
from pipeline.yamldoc import YamlFileError


@lru_cache(maxsize=256)
def parse_text(text: str, name: str) -> tuple[Any, tuple[str, ...]]:
    """``(RuleSet or None, error messages)`` of one rule-set text (cached by content)."""
    from pipeline.rules.loading import parse_rule_set

    try:
        doc = yamldoc.loads(text, name)
    except YamlFileError as exc:
        return None, tuple(str(p) for p in exc.problems)
    rule_set, problems = parse_rule_set(doc, name)
    errors = tuple(str(p) for p in problems if getattr(p, "severity", "error") == "error")
    return (None if errors else rule_set), errors


def check_text(text: str, name: str) -> list[str]:
    return list(parse_text(text, name)[1])


def _selector_of_broken(text: str, name: str) -> Any:
    """Best effort: the ``applies_to`` of a file that does not validate (``None`` = unknown)."""
    from pipeline.rules.schema import Selector

    try:
        doc = yamldoc.to_plain(yamldoc.loads(text, name))
        return Selector.model_validate((doc or {}).get("applies_to") or {})
    except Exception:  # noqa: BLE001 - unknown reach: assume it applies everywhere
        return None


def _applies_to_store(rule_set: Any, store: StoreSpec) -> bool:
    cameras = list(store.cameras) or ["*"]
    return any(rule_set.applies_to.matches(store.id, c) for c in cameras)


class RuleBook:
    """The rules of one store with the versions they came from (see ``StoreRules``)."""

    def __init__(self, store: StoreSpec, rule_sets: list[Any], texts: list[RuleText],
                 catalog: Catalog, problems: list[str]) -> None:
        self.store = store
        self.rule_sets = rule_sets
        self.catalog = catalog
        self.problems = problems
        self.hash = combined_hash(texts)
        self.versions = {t.name: t.version_id for t in texts}
        self._per_camera: dict[str, list[Any]] = {}

    def rules_for(self, camera: str) -> list[Any]:
        from pipeline.rules.config import merge_rules

        if camera not in self._per_camera:
            self._per_camera[camera] = merge_rules(self.rule_sets, self.store.id, camera)
        return self._per_camera[camera]

    def evaluate(self, detections: PhotoDetections, camera: str) -> dict[str, Any]:
        from pipeline.rules.engine import evaluate

        spec = self.store.cameras.get(camera)
        result = evaluate(detections, self.rules_for(camera), self.catalog,
                          planogram=spec.planogram if spec else None,
                          zones=spec.zones if spec else ())
        return result.to_dict()


def build(store: StoreSpec, rules_dir: Path | None = None, url: str | None = None) -> RuleBook:
    """The rule book of ``store`` from the rule files on disk (broken ones -> last good version).

    Raises:
        ShelfAuditError: a broken rule file that may apply to this store has no valid version
            on record (the store's photos wait in the inbox until it is fixed).
    """
    folder = rules_dir or get_settings().rules_dir
    resolved = resolve_rule_texts(rule_files(folder), check_text, url)
    sets, texts, problems = [], [], []
    for text in resolved.texts:
        rule_set, _ = parse_text(text.text, text.name)
        if rule_set is None or not _applies_to_store(rule_set, store):
            continue
        sets.append(rule_set)
        texts.append(text)
        if text.from_saved:
            problems.extend(p for p in resolved.problems if p.startswith(f"rule file {text.name} "))
    for name in resolved.unusable:
        path = folder / name
        selector = _selector_of_broken(path.read_text(encoding="utf-8", errors="replace"), name)
        cameras = list(store.cameras) or ["*"]
        if selector is None or any(selector.matches(store.id, c) for c in cameras):
            detail = next(p for p in resolved.problems if p.startswith(f"rule file {name} "))
            raise ShelfAuditError(f"{detail}; store {store.id} is not inspected until it is "
                                  f"fixed (its photos wait in the inbox)")
    catalog = load_catalog(folder / "catalog.yaml")
    return RuleBook(store, sets, texts, catalog, problems)
