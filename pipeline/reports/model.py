"""The weekly report as one typed object: built by :func:`pipeline.reports.build.build_report`,
drawn by the Weekly report page and written by the CSV, Excel and PDF writers.

Nothing here computes a figure; see the builder for the definitions. The object dumps to the
JSON document stored in ``reports.kpis`` (:meth:`WeeklyReport.document`) and loads back from it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, computed_field

from pipeline.i18n import _
from pipeline.kpis import NAMES
from pipeline.rules.wording import violation_text

SEVERITIES: tuple[str, ...] = ("high", "medium", "low")


def _check_kpis(values: dict[str, float | None]) -> dict[str, float | None]:
    if tuple(values) != NAMES:
        raise ValueError(f"KPIs must be exactly {', '.join(NAMES)} in that order")
    return values


KpiValues = Annotated[dict[str, float | None], AfterValidator(_check_kpis)]
"""KPI name (:data:`pipeline.kpis.NAMES`) -> mean % of the inspections (``None``: none measured)."""


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True)


class RuleCount(_Part):
    """One rule's violations of the week."""

    rule: str
    type: str
    severity: str
    count: int
    cameras: list[str]
    days: int


class ViolationSummary(_Part):
    total: int
    by_severity: dict[str, int]
    by_rule: list[RuleCount]


class Problem(_Part):
    """A (rule, camera) pair and how often it came back: ``days`` seen, ``count`` violations."""

    rule: str
    camera: str
    type: str
    severity: str
    days: int
    count: int
    example: str  # the latest message (English, as stored)
    # how to say it in the reader's language (pipeline.rules.wording; None: stored before)
    example_wording: dict[str, Any] | None = None

    def example_text(self, lang: str | None = None) -> str:
        """The latest message in the reader's language."""
        return violation_text({"message": self.example, "wording": self.example_wording}, lang)


class Group(_Part):
    """The week's figures for one day (``key`` = ISO date) or one camera (``key`` = its id)."""

    key: str
    inspections: int
    kpis: KpiValues
    violations: int

    def flat(self, key_name: str) -> dict[str, Any]:
        """``{key_name: key, inspections, <kpi>..., violations}`` (one table row)."""
        return {key_name: self.key, "inspections": self.inspections, **self.kpis,
                "violations": self.violations}


class Mark(_Part):
    """Where a violation is on a photo (pixel boxes), for the annotated copies."""

    rule: str
    severity: str
    boxes: list[list[float]]


class WorstPhoto(_Part):
    """One of the week's lowest-compliance inspections."""

    inspection: int
    camera: str
    captured_at: datetime  # UTC, naive
    captured_local: datetime  # the store's wall clock, naive
    timezone: str
    compliance: float | None
    violations: int
    photo: str
    problems: list[str]  # distinct violation messages (English, as stored), at most six
    marks: list[Mark]
    # how to say each of ``problems`` in the reader's language (same order; None: stored
    # before wordings were kept, or a document saved before this field)
    problem_wordings: list[dict[str, Any] | None] = Field(default_factory=list)

    def problem_texts(self, lang: str | None = None) -> list[str]:
        """``problems`` in the reader's language."""
        said = list(self.problem_wordings) + [None] * len(self.problems)
        return [violation_text({"message": m, "wording": w}, lang)
                for m, w in zip(self.problems, said, strict=False)]


class WeeklyReport(_Part):
    """One store's ISO week, with last week's figures for comparison (see the builder)."""

    store: str
    store_name: str
    week: str
    week_start: date
    week_end: date
    previous_week: str
    inspections: int
    previous_inspections: int
    kpis: KpiValues
    previous_kpis: KpiValues
    share_of_shelf: dict[str, float]  # brand -> %, largest first
    previous_share_of_shelf: dict[str, float]
    violations: ViolationSummary
    top_problems: list[Problem]
    daily: list[Group]
    cameras: list[Group]
    worst_photos: list[WorstPhoto]
    # photos whose products the models could not name (out of their domain): their
    # product-name rules were not judged
    not_judged: int = 0

    @property
    def not_judged_note(self) -> str | None:
        """Plain words for the supervisor when some photos could not be judged (in the
        current language)."""
        if not self.not_judged:
            return None
        return _("{n} of {total} photos were unlike the photos the models were trained on: "
                 "their products were not named and rules that need product names (planogram, "
                 "competitors, orientation, prices, facings) were not judged on them. Configure "
                 "real model weights (`shelfaudit models pull`) and add reference photos of "
                 "your products.").format(n=self.not_judged, total=self.inspections)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def change(self) -> dict[str, float | None]:
        """KPI -> this week minus last week, in points (``None`` when either is missing)."""
        return {k: None if self.kpis[k] is None or self.previous_kpis[k] is None
                else round(self.kpis[k] - self.previous_kpis[k], 1) for k in NAMES}

    def document(self) -> dict[str, Any]:
        """The JSON document stored in ``reports.kpis`` and printed by ``report --json``."""
        return self.model_dump(mode="json")

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> WeeklyReport:
        return cls.model_validate({k: v for k, v in doc.items() if k != "change"})
