"""Tags and signs: price_tag_present, price_match, promo_present (and the helpers the KPIs use)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from pipeline.i18n import N_
from pipeline.rules.registry import Rule, register
from pipeline.rules.result import Box, RuleOutcome
from pipeline.rules.types.targets import sku_name
from pipeline.rules.wording import Say

if TYPE_CHECKING:  # the scene pulls in numpy and supervision; validating rules needs neither
    from pipeline.rules.scene import Item, Scene, SkuBlock

_DECIMAL = re.compile(r"(\d+)[.,](\d{1,2})(?!\d)")
_INTEGER = re.compile(r"\d+")


def read_price(item: Item) -> float | None:
    """The tag's price: the ``price`` field, else the first amount in its text (``¥3.50``)."""
    if item.price is not None:
        return item.price
    if not item.text:
        return None
    match = _DECIMAL.search(item.text)
    if match:
        return float(f"{match.group(1)}.{match.group(2)}")
    match = _INTEGER.search(item.text)
    return float(match.group(0)) if match else None


def planned_price(scene: Scene, sku: str | None) -> float | None:
    product = scene.catalog.by_id.get(sku or "")
    return product.price if product else None


def blocks_in_scope(rule: Rule, scene: Scene) -> list[SkuBlock]:
    return [b for b in scene.blocks if scene.block_in_scope(b, rule.zone, rule.shelves)]


def tag_box(scene: Scene, block: SkuBlock) -> Box:
    """Where the block's price tag should hang: under the shelf edge, across the block."""
    row = scene.row(block.shelf)
    if row is None:
        return (block.x0, 0.0, block.x1, scene.height)
    heights = [t.box[3] - t.box[1] for t in scene.tags]
    tall = sorted(heights)[len(heights) // 2] if heights else 0.25 * row.product_height
    return (block.x0, row.line, block.x1, min(scene.height, row.line + 1.5 * tall))


def has_tag(scene: Scene, block: SkuBlock) -> bool:
    return any(t.shelf == block.shelf and block.covers(t.cx) for t in scene.tags)


CLOSE_TEXT = 0.6  # similarity (difflib ratio) at which a reading counts as the wanted text
NEAREST_TEXT = 0.4  # ... or at least this, when no other sign text of the planogram is as near


def _squeeze(text: str) -> str:
    return "".join(text.lower().split())


def same_text(wanted: str, seen: str | None, known: Iterable[str] = ()) -> bool:
    """Whether a sign's (OCR) text carries the wanted text.

    Yes when it contains it. Otherwise, with ``known`` (the planogram's promo texts: what the
    sign could also be), when it is nearer to the wanted text than to every other known text
    and still similar (difflib ratio >= :data:`NEAREST_TEXT`) — small signs are misread
    (``买送`` for ``买一送一``, ``随助折扣`` for ``限时折扣``), and ``SALE 2 for`` is nearer to
    ``SALE 2 for 1`` than to ``SALE -20%``. Without other known texts: when close
    (>= :data:`CLOSE_TEXT`).
    """
    if not seen:
        return False
    want, got = _squeeze(wanted), _squeeze(seen)
    if want in got:
        return True
    similarity = difflib.SequenceMatcher(None, want, got).ratio()
    others = {_squeeze(k) for k in known} - {want}
    if not others:
        return similarity >= CLOSE_TEXT
    return similarity >= NEAREST_TEXT and all(
        difflib.SequenceMatcher(None, other, got).ratio() < similarity for other in others)


def tag_prices(scene: Scene, tag: Item) -> tuple[str | None, float | None, float | None]:
    """The SKU of the block over a price tag, its planned price and the tag's price (each
    ``None`` when not known: no block, as over unrecognised products, or unreadable)."""
    block = scene.block_under(tag)
    sku = block.sku if block else None
    return sku, planned_price(scene, sku), read_price(tag)


def _same_price(found: float, planned: float, tolerance: float) -> bool:
    return abs(found - planned) <= tolerance + 1e-9


def price_ok(scene: Scene, tag: Item, tolerance: float) -> bool | None:
    """Whether the tag shows the planned price of the SKU above it (``None``: cannot tell)."""
    _, planned, found = tag_prices(scene, tag)
    if planned is None or found is None:
        return None
    return _same_price(found, planned, tolerance)


@register
class PriceTagPresent(Rule):
    type: Literal["price_tag_present"] = "price_tag_present"

    summary: ClassVar[str] = (
        "Every SKU block (planned block of the planogram, else each run of one SKU on a shelf) "
        "has a price tag on the shelf edge under it. One check per block.")
    default_message: ClassVar[str] = N_("No price tag under {name} on shelf {shelf}")
    placeholders: ClassVar[tuple[str, ...]] = ("sku", "name")
    example: ClassVar[dict[str, Any]] = {
        "id": "tags-present", "type": "price_tag_present", "severity": "medium"}

    def check(self, scene: Scene) -> RuleOutcome:
        blocks = blocks_in_scope(self, scene)
        violations = [
            self.violation([tag_box(scene, b)], shelf=b.shelf, sku=b.sku,
                           name=sku_name(scene.catalog, b.sku))
            for b in blocks if not has_tag(scene, b)
        ]
        return self.outcome(len(blocks), violations)


@register
class PriceMatch(Rule):
    type: Literal["price_match"] = "price_match"
    tolerance: float = Field(default=0.0, ge=0.0, description="largest difference allowed "
                             "between the tag's price and the planned price (currency units)")
    unreadable: Literal["ignore", "flag"] = Field(
        default="ignore", description="a tag whose price cannot be read: ignore it, or flag it")

    summary: ClassVar[str] = (
        "Each price tag shows the planned (catalog) price of the SKU block above it, within "
        "`tolerance`. One check per tag; one violation per wrong (or, with `unreadable: flag`, "
        "unreadable) tag. A tag with no known SKU over it (under products that were not "
        "recognised) is not checked.")
    default_message: ClassVar[str] = N_(
        "Price tag for {name} on shelf {shelf} shows {found}; planned price is {planned}")
    placeholders: ClassVar[tuple[str, ...]] = ("sku", "name", "found", "planned")
    example: ClassVar[dict[str, Any]] = {
        "id": "prices-right", "type": "price_match", "tolerance": 0.01, "severity": "high"}

    def check(self, scene: Scene) -> RuleOutcome:
        checked, violations = 0, []
        for tag in self.scoped(scene, scene.tags):
            sku, planned, found = tag_prices(scene, tag)
            if planned is None or (found is None and self.unreadable == "ignore"):
                continue  # no known SKU over the tag: nothing to compare with
            checked += 1
            if found is None or not _same_price(found, planned, self.tolerance):
                violations.append(self.violation(
                    [tag.box], shelf=tag.shelf, sku=sku, name=sku_name(scene.catalog, sku),
                    found=f"{found:.2f}" if found is not None else Say(N_("an unreadable price")),
                    planned=f"{planned:.2f}"))
        return self.outcome(checked, violations)


def planned_promos(scene: Scene) -> list[SkuBlock]:
    return [b for b in scene.blocks if b.planned is not None and b.planned.promo]


def promo_for(scene: Scene, block: SkuBlock, text: str | None) -> Item | None:
    """The promo sign of a planned promo: same shelf, over the block, with the wanted text."""
    for sign in scene.promos:
        if sign.shelf != block.shelf or not block.covers(sign.cx):
            continue
        wanted = text or (block.planned.promo if block.planned else None)
        if wanted is None or (sign.text is None and text is None) or same_text(
                wanted, sign.text, scene.promo_texts):
            return sign
    return None


@register
class PromoPresent(Rule):
    type: Literal["promo_present"] = "promo_present"
    text: str | None = Field(default=None, description="text the sign must carry, e.g. 特价 "
                             "(default: the planogram's planned promo text)")
    planned: bool = Field(default=True, description="check each promo the planogram plans; "
                          "false: just require one sign in the zone / shelf range")

    summary: ClassVar[str] = (
        "Promo signs are up: each promo planned in the planogram (a sign over its SKU block, "
        "with the planned text), or, without planned promos or with `planned: false`, at least "
        "one sign in the zone / shelf range (with `text`, if given). One check per planned "
        "promo (or one).")
    default_message: ClassVar[str] = N_("Promo sign \"{text}\" missing {place}")
    placeholders: ClassVar[tuple[str, ...]] = ("sku", "name", "text", "place")
    example: ClassVar[dict[str, Any]] = {
        "id": "water-offer", "type": "promo_present", "text": "特价", "planned": False,
        "zone": "water",
        "severity": "medium"}

    def check(self, scene: Scene) -> RuleOutcome:
        blocks = [b for b in blocks_in_scope(self, scene) if b.planned and b.planned.promo]
        if self.planned and blocks:
            violations = [
                self.violation([scene.block_box(b)], shelf=b.shelf, sku=b.sku,
                               name=sku_name(scene.catalog, b.sku),
                               text=self.text or (b.planned.promo if b.planned else ""),
                               place=Say(N_("over {name} on shelf {shelf}"),
                                         {"name": sku_name(scene.catalog, b.sku),
                                          "shelf": b.shelf}))
                for b in blocks if promo_for(scene, b, self.text) is None
            ]
            return self.outcome(len(blocks), violations)
        if self.planned and self.text is None:
            return self.outcome(0, [])
        signs = [s for s in self.scoped(scene, scene.promos)
                 if self.text is None or same_text(self.text, s.text, scene.promo_texts)]
        if signs:
            return self.outcome(1, [])
        shelf = self.shelves[0] if self.shelves else None
        where = Say(N_("in {zone}"), {"zone": self.zone}) if self.zone else \
            Say(N_("on the shelf"))
        return self.outcome(1, [self.violation([scene.zone_box(self.zone, self.shelves)],
                                               shelf=shelf, text=self.text or Say(N_("any")),
                                               place=where)])
