"""Is the shelf full and tidy: max_gaps (out-of-stock spans) and orientation (upright)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from pipeline.i18n import N_
from pipeline.rules.registry import Rule, register
from pipeline.rules.result import RuleOutcome
from pipeline.rules.types.targets import TargetRule, sku_name

if TYPE_CHECKING:  # the scene pulls in numpy and supervision; validating rules needs neither
    from pipeline.rules.scene import Scene


@register
class MaxGaps(Rule):
    type: Literal["max_gaps"] = "max_gaps"
    max: int = Field(default=0, ge=0, description="most gaps allowed in the zone / shelf range")
    min_width: float = Field(
        default=0.0, ge=0.0, description="ignore gaps narrower than this many product widths")

    summary: ClassVar[str] = (
        "Out of stock: empty spans on the shelf (detected `gap` boxes, or, when the input "
        "has none, spans wider than 0.8 facings — see Shelves above). One check; when there "
        "are more than `max` gaps, one violation per gap.")
    default_message: ClassVar[str] = N_(
        "Empty space on shelf {shelf}, about {widths} product widths — refill it")
    placeholders: ClassVar[tuple[str, ...]] = ("widths", "count", "max")
    example: ClassVar[dict[str, Any]] = {
        "id": "no-gaps", "type": "max_gaps", "max": 0, "severity": "high"}

    def check(self, scene: Scene) -> RuleOutcome:
        gaps = []
        for gap in self.scoped(scene, scene.gaps):
            row = scene.row(gap.shelf)
            widths = gap.width / row.product_width if row and row.product_width else 1.0
            if widths >= self.min_width:
                gaps.append((gap, widths))
        if len(gaps) <= self.max:
            return self.outcome(1, [])
        violations = [self.violation([gap.box], shelf=gap.shelf, widths=f"{widths:.1f}",
                                     count=len(gaps), max=self.max) for gap, widths in gaps]
        return self.outcome(1, violations, passed=0)


@register
class Orientation(TargetRule):
    type: Literal["orientation"] = "orientation"
    must_be: Literal["upright"] = Field(default="upright", description="how products must stand")
    include_unknown: bool = Field(
        default=False, description="also judge unrecognised products (their upright shape is "
        "not known, so lying or not is a guess; unknown_product reports them anyway)")

    needs_target: ClassVar[bool] = False
    summary: ClassVar[str] = (
        "Products (all, or one SKU / brand / category) must stand upright (bottled water, say). "
        "One check per product; one violation per product lying down. Products whose "
        "orientation is not known pass; unrecognised products are not judged unless "
        "`include_unknown` is set.")
    default_message: ClassVar[str] = N_(
        "{name} is lying down on shelf {shelf} — stand it upright")
    placeholders: ClassVar[tuple[str, ...]] = ("sku", "brand", "category", "name")
    example: ClassVar[dict[str, Any]] = {
        "id": "water-upright", "type": "orientation", "category": "bottled-water",
        "severity": "high"}

    def check(self, scene: Scene) -> RuleOutcome:
        products = [p for p in self.scoped(scene, scene.products) if self.matches(p)
                    and (self.include_unknown or p.known)]
        violations = [
            self.violation([p.box], shelf=p.shelf, sku=p.sku, brand=p.brand,
                           category=p.category, name=sku_name(scene.catalog, p.sku))
            for p in products if p.lying
        ]
        return self.outcome(len(products), violations)
