"""Where products stand: forbidden_product (e.g. competitors in a brand's space) and
planogram_position (each SKU on its planned shelf and span)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, model_validator

from pipeline.i18n import N_, _
from pipeline.rules.registry import Rule, register
from pipeline.rules.result import RuleOutcome
from pipeline.rules.types.targets import brand_category, brand_name, sku_name
from pipeline.rules.wording import Say

if TYPE_CHECKING:  # the scene pulls in numpy and supervision; validating rules needs neither
    from pipeline.rules.scene import Item, Scene


def owner_of(scene: Scene, item: Item, zone: str | None = None) -> str | None:
    """The brand that owns the spot where ``item`` stands.

    The named zone's brand; else the first brand-owned zone holding the item; else the brand
    of the SKU block (planned or observed) the item stands in. An item standing in a block of
    its own SKU is at home.
    """
    if zone is not None:
        area = scene.zones.get(zone)
        return area.brand if area else None
    for area in scene.zones.values():
        if area.brand and area.contains(item.cx / scene.width, item.cy / scene.height, item.shelf):
            return area.brand
    blocks = [b for b in scene.blocks if b.shelf == item.shelf and b.covers(item.cx)]
    if any(item in b.products for b in blocks):
        return item.brand
    return scene.brand_of(blocks[0].sku) if blocks else None


def is_competitor(scene: Scene, item: Item, owner: str | None, any_brand: bool = False) -> bool:
    """A product of another brand in ``owner``'s space (same category unless ``any_brand``)."""
    if not owner or not item.brand or item.brand == owner:
        return False
    return any_brand or brand_category(scene.catalog, item.brand) == brand_category(
        scene.catalog, owner)


@register
class ForbiddenProduct(Rule):
    type: Literal["forbidden_product"] = "forbidden_product"
    forbid: Literal["competitors"] | None = Field(
        default=None, description="'competitors': products of another brand of the same "
        "category inside a brand's space (its zones; without brand zones, its planogram blocks)")
    brands: list[str] = Field(default_factory=list, description="brands not allowed here")
    skus: list[str] = Field(default_factory=list, description="SKUs not allowed here")
    categories: list[str] = Field(default_factory=list, description="categories not allowed here")
    owner: str | None = Field(default=None, description="the brand owning `zone` when the zone "
                              "itself names none")
    any_brand: bool = Field(default=False, description="with forbid: competitors, count every "
                            "other brand, not only those of the owner's category")

    summary: ClassVar[str] = (
        "Products that must not stand here: competitors inside a brand's space "
        "(`forbid: competitors`) and/or listed brands, SKUs or categories. One check per "
        "product looked at; one violation per forbidden product.")
    default_message: ClassVar[str] = N_(
        "{name} does not belong in {owner} space on shelf {shelf} — take it out")
    placeholders: ClassVar[tuple[str, ...]] = ("sku", "brand", "name", "owner")
    example: ClassVar[dict[str, Any]] = {
        "id": "no-competitors-in-colaco", "type": "forbidden_product", "forbid": "competitors",
        "zone": "s1-colaco", "severity": "high"}

    @model_validator(mode="after")
    def _something_forbidden(self) -> ForbiddenProduct:
        if not (self.forbid or self.brands or self.skus or self.categories):
            raise ValueError(_("say what is forbidden: forbid: competitors, or brands/skus/"
                               "categories lists"))
        return self

    def _listed(self, item: Item) -> bool:
        return (item.brand in self.brands or item.sku in self.skus
                or item.category in self.categories)

    def check(self, scene: Scene) -> RuleOutcome:
        lists = bool(self.brands or self.skus or self.categories)
        checked, violations = 0, []
        for item in self.scoped(scene, scene.products):
            owner = self.owner or owner_of(scene, item, self.zone)
            if not lists and not owner:
                continue
            checked += 1
            if self._listed(item) or (self.forbid is not None
                                      and is_competitor(scene, item, owner, self.any_brand)):
                violations.append(self.violation(
                    [item.box], shelf=item.shelf, sku=item.sku, brand=item.brand,
                    name=sku_name(scene.catalog, item.sku),
                    owner=Say(N_("{brand}'s"), {"brand": brand_name(scene.catalog, owner)})
                    if owner else Say(N_("this"))))
        return self.outcome(checked, violations)


@register
class PlanogramPosition(Rule):
    type: Literal["planogram_position"] = "planogram_position"
    tolerance: float = Field(default=0.5, ge=0.0, description="how far (in product widths) a "
                             "facing may stand outside its planned span")
    unplanned: Literal["ignore", "flag"] = Field(
        default="ignore", description="SKUs the planogram does not list: ignore them (other "
        "rules catch competitors and unknown products) or flag them")
    skip_competitors: bool = Field(
        default=True, description="leave products of a competitor brand standing in another "
        "brand's block to forbidden_product, so one wrong product is reported once")
    include_lying: bool = Field(
        default=False, description="also judge products lying down (the orientation rule "
        "reports them; their name, read from a sideways view, is less sure)")
    min_sku_score: float = Field(
        default=0.8, ge=0.0, le=1.0, description="judge only products recognised with at "
        "least this SKU score: a misplacement claims the product is that very SKU (products "
        "without a score, such as hand-made detections, are always judged)")

    summary: ClassVar[str] = (
        "Every facing of a planned SKU stands on its planned shelf, inside its planned span. "
        "Needs the camera's planogram (not applicable without one). Products lying down are "
        "left to the orientation rule unless `include_lying` is set, and products named with "
        "a SKU score under `min_sku_score` are not judged. One check per product; one "
        "violation per misplaced product.")
    default_message: ClassVar[str] = N_(
        "{name} is on shelf {shelf} at the wrong place; planned on shelf {planned_shelf}")
    placeholders: ClassVar[tuple[str, ...]] = ("sku", "brand", "name", "planned_shelf")
    example: ClassVar[dict[str, Any]] = {
        "id": "on-planogram", "type": "planogram_position", "severity": "medium"}

    def check(self, scene: Scene) -> RuleOutcome:
        if scene.planogram is None:
            return self.outcome(0, [])
        checked, violations = 0, []
        for item in self.scoped(scene, scene.products):
            if (item.lying and not self.include_lying) or item.named_below(self.min_sku_score):
                continue
            planned = scene.planogram.blocks_of(item.sku or "") if item.known else []
            if not planned and self.unplanned == "ignore":
                continue
            if self.skip_competitors and is_competitor(scene, item, owner_of(scene, item)):
                continue
            checked += 1
            slack = self.tolerance * item.width
            ok = any(shelf == item.shelf and block.x[0] * scene.width - slack <= item.cx
                     <= block.x[1] * scene.width + slack for shelf, block in planned)
            if not ok:
                shelves = sorted({s for s, _ in planned})
                violations.append(self.violation(
                    [item.box], shelf=item.shelf, sku=item.sku, brand=item.brand,
                    name=sku_name(scene.catalog, item.sku),
                    planned_shelf=", ".join(map(str, shelves)) or Say(N_("none"))))
        return self.outcome(checked, violations)
