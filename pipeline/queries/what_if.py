"""What-if preview of a rule edit: re-judge last week's stored detections, old rules vs new.

No models run: the detections saved with each inspection are evaluated twice by the pure rules
engine — with the rules folder as saved and with the edited text in its place — and the
violations that would appear or disappear are counted per rule. Only the cameras the file can
reach (both before and after the edit) inside the asker's scope are looked at, newest photos
first, at most ``limit`` of them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select

from pipeline.detections import PhotoDetections
from pipeline.errors import ShelfAuditError
from pipeline.queries import rule_files as rf
from pipeline.queries.db import engine_for, rows
from pipeline.queries.scope import Scope
from pipeline.store.tables import Inspection, InspectionDetections

LIMIT = 300


@dataclass
class WhatIf:
    """How an edit would change last week's verdicts."""

    week: str | None
    photos: int
    cameras: list[str]
    sampled: bool
    by_rule: pd.DataFrame  # rule, before, after, appear, disappear
    appear: int
    disappear: int
    compliance_before: float | None
    compliance_after: float | None


def _config(got) -> Any:
    """A :class:`~pipeline.rules.config.RulesConfig` of gathered files (must be error-free)."""
    from pipeline.rules.config import RulesConfig, check, errors_only, ordered
    from pipeline.rules.schema import StoresFile
    from pipeline.yamldoc import YamlFileError

    problems = errors_only(check(got))
    if problems:
        raise YamlFileError(problems)
    return RulesConfig(folder=Path("."), catalog=got.catalog.value,
                       stores=got.stores.value if got.stores else StoresFile(),
                       planograms={p.value.id: p.value for p in got.planograms if p.value},
                       rule_sets=ordered(r.value for r in got.rule_sets))


def _reach(name: str, before: Any, after: Any) -> list[tuple[str, str]]:
    cams = {(s, c.id) for cfg in (before, after) for s, c in cfg.stores.cameras()}
    if rf.kind_of(name) != rf.RULE_SET:
        return sorted(cams)
    sets = [r for cfg in (before, after) for r in cfg.rule_sets if Path(r.path).name == name]
    return sorted((s, c) for s, c in cams if any(r.applies_to.matches(s, c) for r in sets))


def _photos(engine: Engine, scope: Scope, pairs: list[tuple[str, str]], week: str | None,
            limit: int) -> tuple[str | None, list[tuple[str, str, dict]], bool]:
    stores = sorted({s for s, _ in pairs})
    base = [scope.where(Inspection.store_id), Inspection.store_id.in_(stores)]
    if week is None:
        week = rows(engine, select(func.max(Inspection.iso_week)).where(*base))[0][0]
    if week is None:
        return None, [], False
    wanted = set(pairs)
    found = [r for r in rows(engine, select(Inspection.id, Inspection.store_id,
                                            Inspection.camera_id)
                             .where(*base, Inspection.iso_week == week)
                             .order_by(Inspection.captured_at.desc()))
             if (r.store_id, r.camera_id) in wanted]
    chosen = {r.id: r for r in found[:limit]}
    payloads = rows(engine, select(InspectionDetections.inspection_id,
                                   InspectionDetections.payload)
                    .where(InspectionDetections.inspection_id.in_(list(chosen))))
    out = [(chosen[i].store_id, chosen[i].camera_id, p) for i, p in payloads]
    return week, out, len(found) > limit


def same_violation(v: Any) -> tuple:
    """What makes two verdicts the same violation: the rule, where (shelf, boxes) and what
    (SKU, brand ids) — not its words, so a reworded message (or one read in another language)
    is neither gone nor new."""
    return (v.rule, v.shelf, v.sku, v.brand,
            tuple(tuple(round(x) for x in b) for b in v.boxes))


def _judge(config: Any, photos: list[PhotoDetections]) -> tuple[Counter, list[float]]:
    found: Counter = Counter()
    scores = []
    for photo in photos:
        result = config.evaluate(photo)
        for v in result.violations:
            found[same_violation(v)] += 1
        if result.kpis.compliance is not None:
            scores.append(result.kpis.compliance)
    return found, scores


def _table(before: Counter, after: Counter) -> pd.DataFrame:
    rules = sorted({k[0] for k in before} | {k[0] for k in after})
    data = []
    for rule in rules:
        b = Counter({k: n for k, n in before.items() if k[0] == rule})
        a = Counter({k: n for k, n in after.items() if k[0] == rule})
        data.append((rule, sum(b.values()), sum(a.values()), sum((a - b).values()),
                     sum((b - a).values())))
    return pd.DataFrame(data, columns=["rule", "before", "after", "appear", "disappear"])


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def what_if(name: str, text: str, scope: Scope, week: str | None = None, limit: int = LIMIT,
            engine: Engine | None = None, folder: Path | None = None) -> WhatIf:
    """Re-judge the newest week's stored detections with the saved rules and with ``text``.

    Raises:
        ShelfAuditError: the edited text (or the saved folder) has errors.
    """
    from pipeline.yamldoc import YamlFileError

    folder = folder or rf.rules_folder()
    try:
        before = _config(rf.gathered(folder))
        after = _config(rf.gathered_with(name, text, folder))
    except YamlFileError as exc:
        raise ShelfAuditError(f"fix the errors first: {exc.problems[0]}") from None
    pairs = [p for p in _reach(name, before, after) if scope.allows(p[0])]
    week, found, sampled = _photos(engine_for(engine), scope, pairs, week, limit)
    photos = []
    for store, camera, payload in found:
        photo = PhotoDetections.from_dict(payload or {})
        photo.store, photo.camera = store, camera
        photos.append(photo)
    old, old_scores = _judge(before, photos)
    new, new_scores = _judge(after, photos)
    table = _table(old, new)
    return WhatIf(week=week, photos=len(photos), cameras=[f"{s}/{c}" for s, c in pairs],
                  sampled=sampled, by_rule=table, appear=int(table["appear"].sum()),
                  disappear=int(table["disappear"].sum()),
                  compliance_before=_mean(old_scores), compliance_after=_mean(new_scores))
