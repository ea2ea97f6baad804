"""An upload's verdict grouped by rule and shelf, with counts (issue #19 item 5).

The rules engine lists every violation of a photo (a messy shelf gives hundreds of lines); people
read it as "which rules are broken, how often, on which shelf". :func:`group_violations` turns
the flat list into rules — most severe first, then the most frequent — each with its shelves
(1 = top; ``None``: not tied to one shelf) and how many violations are on each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.queries.fixes import SEVERITY_ORDER, shelf_of

EXAMPLES = 3  # messages kept per shelf


@dataclass(frozen=True)
class ShelfCount:
    shelf: int | None
    count: int
    messages: tuple[str, ...]  # the first few distinct ones


@dataclass(frozen=True)
class RuleCount:
    rule: str
    type: str
    severity: str  # the most severe of its violations
    count: int
    shelves: tuple[ShelfCount, ...]


def _rank(severity: str) -> int:
    return SEVERITY_ORDER.get(severity, len(SEVERITY_ORDER))


def _message(violation: Mapping[str, Any]) -> str:
    return str(violation.get("message") or "")


def group_violations(violations: Iterable[Mapping[str, Any]],
                     detections: Mapping[str, Any] | None = None,
                     text: Callable[[Mapping[str, Any]], str] = _message) -> list[RuleCount]:
    """The violations by rule and shelf with counts; a violation without a ``shelf`` is put
    on the shelf of the detection its first box is (from ``detections``, the photo object of
    the detections JSON), else on none. ``text`` says a violation (default: its stored
    message; pages pass :func:`pipeline.rules.wording.violation_text`)."""
    by_rule: dict[str, list[Mapping[str, Any]]] = {}
    for v in violations:
        by_rule.setdefault(str(v.get("rule") or ""), []).append(v)
    out = []
    for rule, items in by_rule.items():
        shelves: dict[int | None, list[str]] = {}
        for v in items:
            shelf = v.get("shelf")
            if not isinstance(shelf, int):
                shelf = shelf_of([b for b in v.get("boxes") or [] if len(b) == 4],
                                 dict(detections or {}))
            shelves.setdefault(shelf, []).append(text(v))
        counted = tuple(ShelfCount(s, len(m), tuple(dict.fromkeys(m))[:EXAMPLES])
                        for s, m in sorted(shelves.items(), key=lambda kv: (kv[0] is None,
                                                                            kv[0] or 0)))
        severity = min((str(v.get("severity") or "") for v in items), key=_rank)
        out.append(RuleCount(rule, str(items[0].get("type") or ""), severity, len(items),
                             counted))
    return sorted(out, key=lambda r: (_rank(r.severity), -r.count, r.rule))
