"""What-if checks without models: detections JSON + rules -> results (``shelfaudit check``).

Also the basis of the dashboard's rule-edit preview: :func:`rules_from_text` validates an
edited rule set and :func:`check_photos` judges saved detections with it.

Which planogram a photo is judged against, first match wins: the ``planogram`` given by the
caller; a ``planogram`` key carried in the photo's JSON (synthetic ground truth has one); the
planogram of the photo's store/camera in ``stores.yaml``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from pipeline import yamldoc
from pipeline.catalog import Catalog
from pipeline.detections import PhotoDetections, loads
from pipeline.errors import ShelfAuditError
from pipeline.planogram import Planogram
from pipeline.rules.config import RulesConfig, errors_only, merge_rules, rules_in_force
from pipeline.rules.engine import evaluate
from pipeline.rules.loading import RuleSet, load_rule_set, parse_rule_set
from pipeline.rules.registry import Rule
from pipeline.rules.result import ComplianceResult
from pipeline.yamldoc import Problem, YamlFileError

MAX_DETECTIONS_BYTES = 200_000_000


def rules_from_files(paths: Sequence[str | Path]) -> list[Rule]:
    """The rules of the given rule set files, later files replacing earlier rules by id (a
    later ``enabled: false`` switches an earlier rule off).

    Selectors (``applies_to``) are ignored: the files were asked for explicitly.

    Raises:
        YamlFileError: every problem of every file.
    """
    sets: list[RuleSet] = []
    problems: list[Problem] = []
    for path in paths:
        loaded = load_rule_set(path)
        problems += errors_only(loaded.problems)
        if loaded.value is not None:
            sets.append(loaded.value)
    if problems:
        raise YamlFileError(problems)
    return rules_in_force(sets)


def rules_from_text(text: str, name: str = "rule set") -> tuple[list[Rule], list[Problem]]:
    """Validate an edited rule set text: its enabled rules, and its problems (never raises)."""
    try:
        doc = yamldoc.loads(text, name)
    except YamlFileError as exc:
        return [], exc.problems
    rule_set, problems = parse_rule_set(doc, name)
    if rule_set is None or errors_only(problems):
        return [], problems
    return merge_rules([rule_set], use_selectors=False), problems


def photo_planogram(photo: PhotoDetections) -> Planogram | None:
    """The planogram carried in a photo's JSON (``"planogram": {...}``), if any and valid."""
    plan = photo.extra.get("planogram")
    if not isinstance(plan, dict):
        return None
    try:
        return Planogram.model_validate(plan)
    except ValidationError as exc:
        raise ShelfAuditError(f"{photo.path}: the photo's planogram is not valid: "
                              f"{exc.errors()[0]['msg']}") from None


def read_detections(path: str | Path) -> list[PhotoDetections]:
    """Photos from a detections JSON file, or from every ``*.json`` in a folder (truth files).

    Raises:
        ShelfAuditError: unreadable, too large, or not the detections JSON format.
    """
    path = Path(path)
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise ShelfAuditError(f"{path}: no *.json files in this folder")
    photos: list[PhotoDetections] = []
    for file in files:
        try:
            if file.stat().st_size > MAX_DETECTIONS_BYTES:
                raise ShelfAuditError(f"{file}: larger than {MAX_DETECTIONS_BYTES // 10**6} MB")
            photos += loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ShelfAuditError(f"{file}: cannot read ({exc.strerror})") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            kind = "not valid JSON" if isinstance(exc, json.JSONDecodeError) else \
                "not in the detections JSON format"
            raise ShelfAuditError(f"{file}: {kind} ({exc})") from None
    return photos


def check_photos(
    photos: Sequence[PhotoDetections],
    catalog: Catalog,
    rules: Sequence[Rule] | None = None,
    config: RulesConfig | None = None,
    planogram: Planogram | None = None,
    trust_shelf: bool = False,
) -> list[ComplianceResult]:
    """Judge each photo with ``rules`` (or, when ``None``, the rules of its store/camera).

    Args:
        photos: detections of the photos.
        catalog: the product catalog.
        rules: the rules to apply to every photo; ``None`` = by selector from ``config``.
        config: the rules folder (planograms, zones, rule sets by camera).
        planogram: a planogram for every photo (overrides the others).
        trust_shelf: keep ``shelf`` indices given in the input.
    """
    results = []
    for photo in photos:
        store, camera = photo.store, photo.camera
        plan = planogram or photo_planogram(photo)
        if plan is None and config is not None:
            plan = config.planogram_for(store, camera)
        zones = config.zones_for(store, camera) if config is not None else []
        chosen = rules if rules is not None else (config.rules_for(store, camera)
                                                  if config is not None else [])
        results.append(evaluate(photo, chosen, catalog, plan, zones, trust_shelf=trust_shelf))
    return results
