"""What the rules engine returns: violations, per-rule outcomes, KPIs (JSON-serialisable).

``ComplianceResult.to_dict()`` is what the store persists and ``shelfaudit check --json``
prints; its ``structure`` is the shelf structure the rules used
(:class:`pipeline.rules.structure.ShelfStructure`). Boxes are pixel ``[x1, y1, x2, y2]`` in the
photo's upright frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # not at run time: checking rule files needs no detections library
    from pipeline.rules.structure import ShelfStructure

Box = tuple[float, float, float, float]

SEVERITY_WEIGHT: dict[str, int] = {"low": 1, "medium": 2, "high": 3}


def _box(box: Box) -> list[float]:
    return [round(float(v), 1) for v in box]


@dataclass(frozen=True)
class Violation:
    """One thing wrong on the shelf, in plain words (English), with the boxes that show it.

    Show it to a person with :func:`pipeline.rules.wording.violation_text` (their language).
    """

    rule: str
    type: str
    severity: str
    message: str
    boxes: tuple[Box, ...] = ()
    shelf: int | None = None
    sku: str | None = None
    brand: str | None = None
    # how to say the message again in another language (pipeline.rules.wording): the
    # template, the rule file's message_zh and the values as plain JSON
    wording: dict[str, Any] | None = field(default=None, hash=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "type": self.type,
            "severity": self.severity,
            "message": self.message,
            "boxes": [_box(b) for b in self.boxes],
        }
        for name in ("shelf", "sku", "brand", "wording"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out


@dataclass(frozen=True)
class RuleOutcome:
    """How one rule fared: ``checks`` things looked at, ``passed`` of them fine.

    A rule with no checks (nothing in its zone to look at) is *not applicable* and does not
    count towards the compliance score.
    """

    rule: str
    type: str
    severity: str
    checks: int
    passed: int
    violations: tuple[Violation, ...] = ()
    not_judged: str | None = None  # why the rule was not judged (e.g. an out-of-domain photo)

    @property
    def applicable(self) -> bool:
        return self.checks > 0 and self.not_judged is None

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "type": self.type,
            "severity": self.severity,
            "passed": self.ok,
            "applicable": self.applicable,
            "checks": self.checks,
            "checks_passed": self.passed,
            "violations": len(self.violations),
            **({"not_judged": self.not_judged} if self.not_judged else {}),
        }


@dataclass(frozen=True)
class Kpis:
    """Shelf KPIs of one photo (percentages 0-100; ``None`` where nothing to measure).

    - ``compliance``: severity-weighted share of passed checks (see :func:`compliance_score`).
    - ``osa``: on-shelf availability. With a planogram: filled facings / planned facings
      (each planned block counts at most its planned facings). Without one:
      1 - total gap width / shelf width in use.
    - ``share_of_shelf``: brand -> % of all recognised product facings.
    - ``facings``: SKU -> facings counted (``unknown`` for unrecognised products).
    - ``price``: tags whose read price matches the planned price / tags with a readable price
      under a known SKU.
    - ``promo``: planned promo signs present / planned promo signs.
    """

    compliance: float | None
    osa: float | None
    share_of_shelf: dict[str, float] = field(default_factory=dict)
    facings: dict[str, int] = field(default_factory=dict)
    price: float | None = None
    promo: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "compliance": self.compliance,
            "osa": self.osa,
            "share_of_shelf": dict(self.share_of_shelf),
            "facings": dict(self.facings),
            "price": self.price,
            "promo": self.promo,
        }


@dataclass(frozen=True)
class ComplianceResult:
    """The verdict for one photo."""

    path: str
    store: str | None
    camera: str | None
    shelves: int
    outcomes: tuple[RuleOutcome, ...]
    kpis: Kpis
    # the shelf rows, shelf per box and inferred gaps the rules used (kept with the inspection:
    # pipeline.rules.structure.with_structure)
    structure: ShelfStructure | None = None

    @property
    def violations(self) -> list[Violation]:
        return [v for o in self.outcomes for v in o.violations]

    @property
    def passed(self) -> bool:
        return not self.violations

    @property
    def not_judged(self) -> list[RuleOutcome]:
        """Rules that were not judged on this photo (each says why)."""
        return [o for o in self.outcomes if o.not_judged]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "store": self.store,
            "camera": self.camera,
            "shelves": self.shelves,
            "passed": self.passed,
            "kpis": self.kpis.to_dict(),
            "rules": [o.to_dict() for o in self.outcomes],
            "violations": [v.to_dict() for v in self.violations],
            "not_judged": [{"rule": o.rule, "type": o.type, "reason": o.not_judged}
                           for o in self.not_judged],
            **({"structure": self.structure.to_dict()} if self.structure is not None else {}),
        }


def compliance_score(outcomes: tuple[RuleOutcome, ...] | list[RuleOutcome]) -> float | None:
    """Severity-weighted compliance in %.

    Each applicable rule contributes ``weight x passed / checks`` with weight low 1, medium 2,
    high 3; the score is the sum divided by the sum of weights. A rule that checks 20 price tags
    and finds one wrong therefore loses 5 % of its weight, not all of it.
    """
    num = den = 0.0
    for outcome in outcomes:
        if not outcome.applicable:
            continue
        weight = SEVERITY_WEIGHT.get(outcome.severity, 2)
        num += weight * outcome.passed / outcome.checks
        den += weight
    return round(100.0 * num / den, 1) if den else None
