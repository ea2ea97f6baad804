"""What is on the shelf: required_product, min_facings, share_of_shelf, unknown_product."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from pipeline.i18n import N_
from pipeline.rules.registry import Rule, fmt_pct, register
from pipeline.rules.result import RuleOutcome
from pipeline.rules.types.targets import TargetRule, brand_category, brand_name

if TYPE_CHECKING:  # the scene pulls in numpy and supervision; validating rules needs neither
    from pipeline.rules.scene import Scene

_TARGET = ("sku", "brand", "category", "name")


@register
class RequiredProduct(TargetRule):
    type: Literal["required_product"] = "required_product"

    summary: ClassVar[str] = (
        "A SKU, brand or category must be on the shelf (inside the zone / shelf range). "
        "One check; it fails when not a single facing is found.")
    default_message: ClassVar[str] = N_("{name} is missing from {zone}")
    placeholders: ClassVar[tuple[str, ...]] = _TARGET
    example: ClassVar[dict[str, Any]] = {
        "id": "cola-present", "type": "required_product", "sku": "colaco-cola-330",
        "zone": "drinks", "severity": "high"}

    def check(self, scene: Scene) -> RuleOutcome:
        found = [p for p in self.scoped(scene, scene.products) if self.matches(p)]
        if found:
            return self.outcome(1, [])
        box = scene.zone_box(self.zone, self.shelves)
        return self.outcome(1, [self.violation(
            [box], sku=self.sku, brand=self.brand, category=self.category,
            name=self.target_name(scene.catalog))])


@register
class MinFacings(TargetRule):
    type: Literal["min_facings"] = "min_facings"
    min: int = Field(ge=1, description="fewest facings allowed")

    summary: ClassVar[str] = (
        "At least `min` facings (product fronts) of a SKU, brand or category inside the zone / "
        "shelf range. One check.")
    default_message: ClassVar[str] = N_(
        "{name}: {found} facings in {zone}, at least {min} needed")
    placeholders: ClassVar[tuple[str, ...]] = (*_TARGET, "found", "min")
    example: ClassVar[dict[str, Any]] = {
        "id": "chips-facings", "type": "min_facings", "brand": "crunchy", "min": 6,
        "shelf": [2, 3], "severity": "medium"}

    def check(self, scene: Scene) -> RuleOutcome:
        found = [p for p in self.scoped(scene, scene.products) if self.matches(p)]
        if len(found) >= self.min:
            return self.outcome(1, [])
        boxes = [p.box for p in found] or [scene.zone_box(self.zone, self.shelves)]
        return self.outcome(1, [self.violation(
            boxes, sku=self.sku, brand=self.brand, category=self.category,
            name=self.target_name(scene.catalog), found=len(found), min=self.min)])


@register
class ShareOfShelf(Rule):
    type: Literal["share_of_shelf"] = "share_of_shelf"
    brand: str = Field(description="the brand whose share is measured")
    category: str | None = Field(
        default=None, description="share of this category's facings (default: the brand's "
        "category)")
    min: float = Field(ge=0.0, le=1.0, description="smallest share allowed, 0-1 (0.4 = 40 %)")

    summary: ClassVar[str] = (
        "A brand's facings divided by all facings of its category inside the zone / shelf "
        "range must be at least `min`. One check; not applicable when the category has no "
        "facings there.")
    default_message: ClassVar[str] = N_(
        "{name} has {share} of {category} facings in {zone}, below the {min} target")
    placeholders: ClassVar[tuple[str, ...]] = ("brand", "category", "name", "share", "min",
                                               "found", "total")
    example: ClassVar[dict[str, Any]] = {
        "id": "crunchy-share", "type": "share_of_shelf", "brand": "crunchy", "min": 0.4,
        "severity": "medium"}

    def check(self, scene: Scene) -> RuleOutcome:
        category = self.category or brand_category(scene.catalog, self.brand)
        pool = [p for p in self.scoped(scene, scene.products)
                if p.known and p.category == category]
        if not pool:
            return self.outcome(0, [])
        mine = [p for p in pool if p.brand == self.brand]
        share = len(mine) / len(pool)
        if share >= self.min:
            return self.outcome(1, [])
        boxes = [p.box for p in mine] or [scene.zone_box(self.zone, self.shelves)]
        return self.outcome(1, [self.violation(
            boxes, brand=self.brand, category=category,
            name=brand_name(scene.catalog, self.brand), share=fmt_pct(share),
            min=fmt_pct(self.min), found=len(mine), total=len(pool))])


@register
class UnknownProduct(Rule):
    type: Literal["unknown_product"] = "unknown_product"
    min_sku_score: float = Field(
        default=0.0, ge=0.0, le=1.0, description="a product recognised with a lower SKU score "
        "than this also counts as unknown")
    at_photo_edge: Literal["skip", "check"] = Field(
        default="skip", description="a product cut by the photo's border (only part of the "
        "pack in view, so its name is a guess): skip it, or check it like the others")

    summary: ClassVar[str] = (
        "Every product inside the zone / shelf range must be recognised as a catalog SKU. "
        "Products cut by the photo's border are skipped by default (`at_photo_edge`). "
        "One check per product; one violation per unrecognised product.")
    default_message: ClassVar[str] = N_(
        "Unrecognised product on shelf {shelf} — not in the catalog")
    placeholders: ClassVar[tuple[str, ...]] = ("sku",)
    example: ClassVar[dict[str, Any]] = {
        "id": "no-unknown", "type": "unknown_product", "severity": "low"}

    def check(self, scene: Scene) -> RuleOutcome:
        products = [item for item in self.scoped(scene, scene.products)
                    if self.at_photo_edge == "check" or not scene.cut_by_edge(item)]
        violations = []
        for item in products:
            if (not item.known or item.sku not in scene.catalog.by_id
                    or item.named_below(self.min_sku_score)):
                violations.append(self.violation([item.box], shelf=item.shelf,
                                                 sku=item.sku or "unknown"))
        return self.outcome(len(products), violations)
