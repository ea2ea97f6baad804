"""The shelf KPIs by name: one list, one label each, one mapping from the rules engine's keys.

The rules engine (:class:`pipeline.rules.result.Kpis`) calls two of them ``price`` and ``promo``;
the database columns, the weekly report, the pages and the exports call them
``price_compliance`` and ``promo_compliance``. :data:`FROM_VERDICT` is the only place that
translates one into the other; everything else speaks the column names of :data:`NAMES`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.i18n import N_


@dataclass(frozen=True)
class Kpi:
    """One KPI: its name (database column and report key), the engine's key and its labels
    (English message ids: show them through ``pipeline.i18n._``)."""

    name: str
    verdict_key: str
    label: str
    short: str


KPIS: tuple[Kpi, ...] = (
    Kpi("compliance", "compliance", N_("Compliance score"), N_("Compliance")),
    Kpi("osa", "osa", N_("On-shelf availability"), N_("OSA")),
    Kpi("price_compliance", "price", N_("Price compliance"), N_("Price")),
    Kpi("promo_compliance", "promo", N_("Promo compliance"), N_("Promo")),
)
NAMES: tuple[str, ...] = tuple(k.name for k in KPIS)
LABELS: dict[str, str] = {k.name: k.label for k in KPIS}
SHORT_LABELS: dict[str, str] = {k.name: k.short for k in KPIS}
FROM_VERDICT: dict[str, str] = {k.verdict_key: k.name for k in KPIS}
"""Rules-engine KPI key (``ComplianceResult.to_dict()["kpis"]``) -> column name."""

# Thresholds every page colours a KPI by (percent): green from GOOD_FROM, amber from WATCH_FROM,
# red below — one place, so a card, a table cell and a chart agree.
GOOD_FROM = 90.0
WATCH_FROM = 75.0
LEVELS: tuple[str, ...] = ("good", "watch", "act")


def level(value: float | None) -> str | None:
    """``good`` (at least :data:`GOOD_FROM` %), ``watch`` (at least :data:`WATCH_FROM` %) or
    ``act`` (below); ``None`` when there is no value."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if number != number:  # NaN: no inspections
        return None
    return "good" if number >= GOOD_FROM else "watch" if number >= WATCH_FROM else "act"
