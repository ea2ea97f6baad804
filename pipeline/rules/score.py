"""How well violations find the faults injected into synthetic scenes (precision / recall).

Each fault type of the synthetic world maps to the rule type that should report it
(:data:`FAULT_RULES`). Within one photo, violations of that rule type are matched one-to-one to
faults of that type by evidence-box overlap (intersection over the smaller box >= 0.5, best
overlaps first). Precision = matched violations / violations; recall = matched faults / faults.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.catalog import Catalog
from pipeline.detections import PhotoDetections
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.planogram import Planogram
from pipeline.rules.engine import evaluate
from pipeline.rules.registry import Rule
from pipeline.rules.result import Box, ComplianceResult

FAULT_RULES: dict[str, str] = {
    "gap": "max_gaps",
    "lying": "orientation",
    "competitor": "forbidden_product",
    "misplaced": "planogram_position",
    "missing_tag": "price_tag_present",
    "wrong_price": "price_match",
    "missing_promo": "promo_present",
    "unknown": "unknown_product",
}
MIN_OVERLAP = 0.5


@dataclass
class TypeScore:
    """Counts for one rule type: true positives, false positives, false negatives."""

    rule_type: str
    fault_type: str
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def precision_interval(self) -> tuple[float, float] | None:
        return wilson(self.tp, self.tp + self.fp)

    @property
    def recall_interval(self) -> tuple[float, float] | None:
        return wilson(self.tp, self.tp + self.fn)

    def to_dict(self) -> dict[str, Any]:
        return {"rule_type": self.rule_type, "fault_type": self.fault_type,
                "faults": self.tp + self.fn, "violations": self.tp + self.fp,
                "tp": self.tp, "fp": self.fp, "fn": self.fn,
                "precision": _round(self.precision), "recall": _round(self.recall),
                "precision_95": _round_pair(self.precision_interval),
                "recall_95": _round_pair(self.recall_interval)}


def wilson(hits: int, total: int) -> tuple[float, float] | None:
    """95 % Wilson score interval of the share ``hits / total`` (scipy): with 7 faults of a
    type one miss moves recall by 0.14, and the interval says how little such a figure pins
    down."""
    if total <= 0:
        return None
    from scipy.stats import binomtest

    ci = binomtest(hits, total).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


def _round_pair(pair: tuple[float, float] | None) -> list[float] | None:
    return None if pair is None else [round(pair[0], 3), round(pair[1], 3)]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass
class ScoreTable:
    photos: int = 0
    rows: dict[str, TypeScore] = field(default_factory=lambda: {
        f: TypeScore(r, f) for f, r in FAULT_RULES.items()})

    def to_dict(self) -> dict[str, Any]:
        return {"photos": self.photos, "rules": [r.to_dict() for r in self.rows.values()]}

    def render(self) -> str:
        """A Markdown table (what the README shows)."""
        def num(v: float | None) -> str:
            return "—" if v is None else f"{v:.3f}"

        def ci(pair: tuple[float, float] | None) -> str:
            return "—" if pair is None else f"{pair[0]:.2f}–{pair[1]:.2f}"

        lines = ["| rule type | fault | faults | violations | precision | recall "
                 "| precision 95 % CI | recall 95 % CI |",
                 "|---|---|---:|---:|---:|---:|---|---|"]
        for r in self.rows.values():
            lines.append(f"| {r.rule_type} | {r.fault_type} | {r.tp + r.fn} | {r.tp + r.fp} "
                         f"| {num(r.precision)} | {num(r.recall)} "
                         f"| {ci(r.precision_interval)} | {ci(r.recall_interval)} |")
        return "\n".join(lines)


def overlap(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection area over the smaller box's area (0 when either box is empty)."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return iw * ih / smaller if smaller > 0 else 0.0


def match(found: Sequence[Box], truth: Sequence[Sequence[float]]) -> tuple[int, int, int]:
    """(tp, fp, fn) of a one-to-one greedy match of evidence boxes to fault boxes."""
    pairs = sorted(((overlap(f, t), i, j) for i, f in enumerate(found)
                    for j, t in enumerate(truth)), reverse=True)
    used_f: set[int] = set()
    used_t: set[int] = set()
    for score, i, j in pairs:
        if score < MIN_OVERLAP:
            break
        if i not in used_f and j not in used_t:
            used_f.add(i)
            used_t.add(j)
    tp = len(used_f)
    return tp, len(found) - tp, len(truth) - tp


def score_photo(result: ComplianceResult, faults: Iterable[dict[str, Any]],
                table: ScoreTable) -> None:
    """Add one photo's matches to ``table``."""
    faults = list(faults)
    table.photos += 1
    for fault_type, row in table.rows.items():
        boxes: list[Box] = []
        for v in result.violations:
            if v.type == row.rule_type and v.boxes and v.boxes[0] not in boxes:
                boxes.append(v.boxes[0])
        truth = [f["box"] for f in faults if f.get("type") == fault_type and f.get("box")]
        tp, fp, fn = match(boxes, truth)
        row.tp, row.fp, row.fn = row.tp + tp, row.fp + fp, row.fn + fn


def read_truth(path: Path) -> tuple[PhotoDetections, list[dict[str, Any]], Planogram | None]:
    """One ``truth/*.json`` of ``shelfaudit synth``: detections, faults, planogram."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        faults = list(doc.pop("faults", []))
        plan = doc.pop("planogram", None)
        planogram = Planogram.model_validate(plan) if plan else None
        return PhotoDetections.from_dict(doc), faults, planogram
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ShelfAuditError(_("{file}: not a synthetic truth file ({reason})").format(
            file=path, reason=exc)) from None


def score_dataset(
    data_dir: str | Path,
    rules: Sequence[Rule],
    catalog: Catalog,
    predictions: Sequence[PhotoDetections] | None = None,
) -> ScoreTable:
    """Precision/recall per rule type over a ``shelfaudit synth`` folder.

    Args:
        data_dir: the folder with ``truth/*.json``.
        rules: the rules to evaluate (e.g. ``rules/synthetic.yaml``).
        catalog: the catalog the scenes were made from.
        predictions: detections to evaluate instead of the ground truth (matched to truth by
            photo path); default: the ground-truth detections ("is the engine exact?").
    """
    files = sorted(Path(data_dir, "truth").glob("*.json"))
    if not files:
        raise ShelfAuditError(_("{folder}: no truth/*.json (make some with shelfaudit synth)"
                                ).format(folder=data_dir))
    by_path = {p.path: p for p in predictions or []}
    by_path.update({Path(p.path).name: p for p in predictions or [] if Path(p.path).name
                    not in by_path})
    table = ScoreTable()
    for path in files:
        truth, faults, planogram = read_truth(path)
        photo = truth
        if predictions is not None:
            photo = (by_path.get(truth.path) or by_path.get(Path(truth.path).name)
                     or PhotoDetections(truth.path, truth.width, truth.height))
        result = evaluate(photo, rules, catalog, planogram)
        score_photo(result, faults, table)
    return table
