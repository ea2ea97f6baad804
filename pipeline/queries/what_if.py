"""What-if preview of a rule edit: re-judge the last complete week's stored detections, old
rules vs new.

No models run: the detections saved with each inspection are judged twice by the pure rules
engine through the rule book (:mod:`pipeline.rules.book`, the builder runs and uploads use) —
with the rules folder as saved and with the edited text in its place — and the violations that
would appear or disappear are counted per rule. Only the cameras the file can reach (before or
after the edit) inside the asker's scope are looked at, newest photos first, at most ``limit``
of them, from the last complete week (:func:`pipeline.queries.pickers.default_week` of the
stores reached — never a week of uploads alone).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from pipeline.access.scope import Scope
from pipeline.db.read import engine_for, rows
from pipeline.db.tables import Inspection, InspectionDetections
from pipeline.detections import PhotoDetections
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.queries import rule_files as rf

LIMIT = 300


@dataclass
class WhatIf:
    """How an edit would change the last complete week's verdicts."""

    week: str | None
    photos: int
    cameras: list[str]
    sampled: bool
    by_rule: pd.DataFrame  # rule, before, after, appear, disappear
    appear: int
    disappear: int
    compliance_before: float | None
    compliance_after: float | None
    verdicts: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)
    # inspection id -> the verdict with the edited text (ComplianceResult.to_dict())


def _book(got: Any, texts: list) -> Any:
    """The rule book of gathered files (which must be error-free) and their texts."""
    from pipeline.rules.config import book_of, check, errors_only
    from pipeline.yamldoc import YamlFileError

    problems = errors_only(check(got))
    if problems:
        raise YamlFileError(problems)
    return book_of(got, texts)


def _reach(name: str, before: Any, after: Any) -> list[tuple[str, str]]:
    cams = {pair for book in (before, after) for pair in
            ((s.id, c) for s in book.stores.values() for c in s.cameras)}
    if rf.kind_of(name) != rf.RULE_SET:
        return sorted(cams)
    return sorted(set(before.reach(name)) | set(after.reach(name)))


def _photos(engine: Engine, scope: Scope, pairs: list[tuple[str, str]], week: str | None,
            limit: int) -> tuple[str | None, list[tuple[int, str, str, dict]], bool]:
    from pipeline.queries.pickers import default_week

    stores = sorted({s for s, _ in pairs})
    if not stores:
        return week, [], False
    base = [scope.where(Inspection.store_id), Inspection.store_id.in_(stores)]
    if week is None:
        week = default_week(Scope(frozenset(stores), scope.role, scope.user), engine=engine)
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
    out = [(int(i), chosen[i].store_id, chosen[i].camera_id, p) for i, p in payloads]
    return week, out, len(found) > limit


def same_violation(v: Any) -> tuple:
    """What makes two verdicts the same violation: the rule, where (shelf, boxes) and what
    (SKU, brand ids) — not its words, so a reworded message (or one read in another language)
    is neither gone nor new."""
    return (v.rule, v.shelf, v.sku, v.brand,
            tuple(tuple(round(x) for x in b) for b in v.boxes))


def _judge(book: Any, photos: dict[int, PhotoDetections]
           ) -> tuple[Counter, list[float], dict[int, Any]]:
    found: Counter = Counter()
    scores, results = [], {}
    for inspection, photo in photos.items():
        result = results[inspection] = book.judge(photo)
        for v in result.violations:
            found[same_violation(v)] += 1
        if result.kpis.compliance is not None:
            scores.append(result.kpis.compliance)
    return found, scores, results


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
    """Re-judge a week's stored detections (default: the last complete week) with the saved
    rules and with ``text`` as file ``name``.

    Raises:
        ShelfAuditError: the edited text (or the saved folder) has errors.
    """
    from pipeline.rules.book import RuleText
    from pipeline.rules.config import rule_texts
    from pipeline.yamldoc import YamlFileError

    folder = folder or rf.rules_folder()
    saved = edited = rule_texts(folder)
    if rf.kind_of(name) == rf.RULE_SET:
        edited = [t for t in saved if t.name != name] + [RuleText(name, text)]
    try:
        before = _book(rf.gathered(folder), saved)
        after = _book(rf.gathered_with(name, text, folder), edited)
    except YamlFileError as exc:
        raise ShelfAuditError(_("fix the errors first: {problem}").format(
            problem=exc.problems[0])) from None
    pairs = [p for p in _reach(name, before, after) if scope.allows(p[0])]
    week, found, sampled = _photos(engine_for(engine), scope, pairs, week, limit)
    photos = {}
    for inspection, store, camera, payload in found:
        photos[inspection] = replace(PhotoDetections.from_dict(payload or {}), store=store,
                                     camera=camera)
    old, old_scores, _unused = _judge(before, photos)
    new, new_scores, results = _judge(after, photos)
    table = _table(old, new)
    return WhatIf(week=week, photos=len(photos), cameras=[f"{s}/{c}" for s, c in pairs],
                  sampled=sampled, by_rule=table, appear=int(table["appear"].sum()),
                  disappear=int(table["disappear"].sum()),
                  compliance_before=_mean(old_scores), compliance_after=_mean(new_scores),
                  verdicts={i: r.to_dict() for i, r in results.items()})
