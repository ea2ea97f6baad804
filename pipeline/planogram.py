"""Planograms and zones: what a camera's shelf should look like (shared by synth, rules, store).

Coordinates are normalised to the photo: ``x`` in [0, 1] left -> right; shelves are numbered
1..N top -> bottom. A planogram is a list of shelves, each a list of SKU blocks with a planned
x-span and facings count. Zones name parts of the view (shelf range + x-range, or a polygon in
normalised coordinates) and may be owned by a brand (for ``forbidden_product``) or category.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeline.i18n import _


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Block(_Model):
    """One SKU's planned place on a shelf."""

    sku: str
    x: tuple[float, float] = Field(description="normalised x-span [x0, x1] of the block")
    facings: int = Field(ge=1)
    promo: str | None = Field(default=None, description="promo sign text expected above/below")

    @model_validator(mode="after")
    def _span(self) -> Block:
        x0, x1 = self.x
        if not 0.0 <= x0 < x1 <= 1.0:
            raise ValueError(_("x-span must satisfy 0 <= x0 < x1 <= 1, got {x}").format(
                x=list(self.x)))
        return self


class Shelf(_Model):
    index: int = Field(ge=1, description="1 = top shelf")
    blocks: list[Block] = Field(default_factory=list)


class Zone(_Model):
    """A named region of a camera's view."""

    id: str
    brand: str | None = Field(default=None, description="brand that owns the zone")
    category: str | None = None
    shelves: tuple[int, int] | None = Field(default=None, description="[first, last], 1 = top")
    x: tuple[float, float] = (0.0, 1.0)
    polygon: list[tuple[float, float]] | None = Field(
        default=None, description="normalised polygon; overrides shelves/x when given"
    )

    def contains(self, cx: float, cy: float, shelf: int | None) -> bool:
        """Whether a point (normalised) on ``shelf`` lies in the zone.

        ``x`` is half-open, ``[start, end)``, so a point on an edge two zones share is in the
        right-hand one only; a zone ending at 1.0 (the photo's right edge) includes it.
        """
        if self.polygon:
            return _point_in_polygon(cx, cy, self.polygon)
        if self.shelves is not None and (shelf is None or not
                                          self.shelves[0] <= shelf <= self.shelves[1]):
            return False
        return self.x[0] <= cx < self.x[1] or cx == self.x[1] >= 1.0


class Planogram(_Model):
    id: str
    shelves: list[Shelf]
    zones: list[Zone] = Field(default_factory=list)

    def blocks_of(self, sku: str) -> list[tuple[int, Block]]:
        return [(s.index, b) for s in self.shelves for b in s.blocks if b.sku == sku]

    @property
    def skus(self) -> list[str]:
        return sorted({b.sku for s in self.shelves for b in s.blocks})


def _point_in_polygon(x: float, y: float, poly: list[tuple[float, float]]) -> bool:
    inside = False
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1 + 1e-12) + x1:
            inside = not inside
    return inside
