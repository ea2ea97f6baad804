"""The rules engine: ``evaluate(photo, rules, catalog, planogram) -> ComplianceResult``.

Pure and deterministic: no I/O, no clock, no randomness; the same inputs give the same result.
KPI definitions are documented on :class:`~pipeline.rules.result.Kpis` and
:func:`~pipeline.rules.result.compliance_score`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from pipeline import keys
from pipeline.catalog import Catalog
from pipeline.detections import PhotoDetections
from pipeline.i18n import N_
from pipeline.planogram import Planogram, Zone
from pipeline.rules.registry import Rule
from pipeline.rules.result import ComplianceResult, Kpis, RuleOutcome, compliance_score
from pipeline.rules.scene import Scene, build_scene
from pipeline.rules.types.pricing import planned_promos, price_ok, promo_for


def evaluate(
    photo: PhotoDetections,
    rules: Iterable[Rule],
    catalog: Catalog,
    planogram: Planogram | None = None,
    zones: Sequence[Zone] = (),
    trust_shelf: bool = False,
) -> ComplianceResult:
    """Check one photo's detections against rules.

    Args:
        photo: the photo's detections (the detections JSON contract).
        rules: validated rules (disabled ones are skipped), checked in order.
        catalog: the product catalog (brands, categories, planned prices).
        planogram: the camera's planogram, if any (its zones are used too).
        zones: more zones for this camera (override planogram zones of the same id).
        trust_shelf: keep ``shelf`` indices given in the input instead of inferring them.
    """
    scene = build_scene(photo, catalog, planogram, zones, trust_shelf=trust_shelf)
    active = [r for r in rules if r.enabled]
    unnamed = _names_untrusted(photo)
    outcomes = tuple(
        RuleOutcome(rule.id, rule.type, rule.severity, 0, 0, (), unnamed)
        if unnamed and rule.type in NEEDS_PRODUCT_NAMES else _check(rule, scene)
        for rule in active)
    tolerance = next((getattr(r, "tolerance", 0.0) for r in active if r.type == "price_match"),
                     0.0)
    return ComplianceResult(
        path=photo.path,
        store=photo.store,
        camera=photo.camera,
        shelves=len(scene.rows),
        outcomes=outcomes,
        kpis=measure(scene, outcomes, tolerance),
        structure=scene.structure,
    )


# Rule types whose verdict rests on which product a box is: on a photo whose products could
# not be named (out of the models' domain) they are reported as not judged, not as violations.
NEEDS_PRODUCT_NAMES = frozenset({
    "forbidden_product", "min_facings", "orientation", "planogram_position", "price_match",
    "required_product", "share_of_shelf", "unknown_product"})


# Stored in English with the outcome; shown with ``_(reason)`` in the reader's language.
NOT_JUDGED_OUT_OF_DOMAIN = N_("not judged: the photo is unlike the photos the models were "
                              "trained on, so its products could not be named")


def _names_untrusted(photo: PhotoDetections) -> str | None:
    """Why this photo's product names cannot be trusted (``None``: they can)."""
    if not photo.extra.get("out_of_domain"):
        return None
    return NOT_JUDGED_OUT_OF_DOMAIN


def _check(rule: Rule, scene: Scene) -> RuleOutcome:
    """A rule's outcome; a rule naming a zone this camera does not have is not applicable."""
    if rule.zone is not None and rule.zone not in scene.zones:
        return rule.outcome(0, [])
    return rule.check(scene)


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole > 0 else None


def osa(scene: Scene) -> float | None:
    """On-shelf availability in % (see :class:`~pipeline.rules.result.Kpis`)."""
    if scene.planogram is not None:
        planned = [b for b in scene.blocks if b.planned is not None]
        want = sum(b.planned.facings for b in planned if b.planned)
        have = sum(min(len(b.products), b.planned.facings) for b in planned if b.planned)
        return _pct(have, want)
    used = sum(r.width for r in scene.rows)
    empty = sum(g.width for g in scene.gaps)
    return _pct(max(0.0, used - empty), used)


def measure(scene: Scene, outcomes: Sequence[RuleOutcome], tolerance: float = 0.0) -> Kpis:
    """The photo's KPIs."""
    facings = Counter(p.sku if p.known else keys.UNKNOWN for p in scene.products)
    brands = Counter(p.brand for p in scene.products if p.known and p.brand)
    total = sum(brands.values())
    prices = [ok for ok in (price_ok(scene, t, tolerance) for t in scene.tags) if ok is not None]
    promos = planned_promos(scene)
    return Kpis(
        compliance=compliance_score(outcomes),
        osa=osa(scene),
        share_of_shelf={b: round(100.0 * n / total, 1) for b, n in sorted(brands.items())},
        facings=dict(sorted(facings.items())),
        price=_pct(sum(prices), len(prices)),
        promo=_pct(sum(promo_for(scene, b, None) is not None for b in promos), len(promos)),
    )
