"""Shared parameter group: which products a rule is about (one SKU, a brand or a category)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field, model_validator

from pipeline.catalog import Catalog
from pipeline.i18n import N_, _
from pipeline.rules.registry import Rule
from pipeline.rules.wording import Name, Say

if TYPE_CHECKING:  # the scene pulls in numpy and supervision; validating rules needs neither
    from pipeline.rules.scene import Item


class TargetRule(Rule):
    """A rule about one SKU, one brand or one category (or all products where allowed)."""

    sku: str | None = Field(default=None, description="a SKU id from the catalog")
    brand: str | None = Field(default=None, description="a brand id from the catalog")
    category: str | None = Field(default=None, description="a category id from the catalog")

    needs_target: ClassVar[bool] = True

    @model_validator(mode="after")
    def _one_target(self) -> TargetRule:
        given = [n for n in ("sku", "brand", "category") if getattr(self, n)]
        if len(given) > 1:
            raise ValueError(_("give only one of sku, brand, category (got {given})").format(
                given=", ".join(given)))
        if not given and self.needs_target:
            raise ValueError(_("say which products: give sku, brand or category"))
        return self

    def matches(self, item: Item) -> bool:
        if self.sku:
            return item.sku == self.sku
        if self.brand:
            return item.brand == self.brand
        if self.category:
            return item.category == self.category
        return True

    def target_name(self, catalog: Catalog) -> Name | Say:
        """The target in plain words (catalog names where known, in the reader's language)."""
        if self.sku:
            return sku_name(catalog, self.sku)
        if self.brand:
            return brand_name(catalog, self.brand)
        if self.category:
            cat = catalog.category_by_id.get(self.category)
            return Name("category", self.category, cat.name if cat else self.category)
        return Say(N_("products"))


def sku_name(catalog: Catalog, sku: str | None) -> Name | Say:
    """A product by its catalog name (its id when not in the catalog)."""
    if not sku:
        return Say(N_("an unrecognised product"))
    product = catalog.by_id.get(sku)
    return Name("sku", sku, product.name.en if product else sku)


def brand_name(catalog: Catalog, brand: str | None) -> Name | Say:
    """A brand by its catalog name (its id when not in the catalog)."""
    if not brand:
        return Say(N_("an unknown brand"))
    known = catalog.brand_by_id.get(brand)
    return Name("brand", brand, known.name if known else brand)


def brand_category(catalog: Catalog, brand: str | None) -> str | None:
    """A brand's category (its own field, else that of its first SKU)."""
    known = catalog.brand_by_id.get(brand or "")
    if known is None:
        return None
    if known.category:
        return known.category
    skus = catalog.skus_of_brand(known.id)
    return skus[0].category if skus else None
