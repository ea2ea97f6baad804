"""Shelf structure from detections alone: shelf rows, shelf index per box, empty spans (gaps).

Products stand on a shelf, so their bottoms line up; price tags hang from the shelf edge, so
their tops line up just below it (tags help, but product bottoms alone are enough: a
product-only detector finds no tags). :func:`infer_rows` clusters these y values (1-D, split
where consecutive values are further apart than half a product height) and numbers the rows
1 = top -> N = bottom. :func:`assign_shelves` returns new detections with a ``shelf`` per box;
:func:`infer_gaps` finds empty spans on each row wider than ``k`` x the row's median product
width. Pure functions; inputs are never changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import supervision as sv

from pipeline import keys
from pipeline.detections import field_values, make_detections


@dataclass(frozen=True)
class ShelfRow:
    """One shelf: ``line`` is the y (px) products stand on; ``top`` the upper limit of its space."""

    index: int
    line: float
    top: float
    x0: float
    x1: float
    product_height: float
    product_width: float
    rail: float = 0.0  # depth (px) of the price-tag strip under the line

    @property
    def width(self) -> float:
        return max(0.0, self.x1 - self.x0)


def _median(values: list[float] | np.ndarray, default: float) -> float:
    return float(np.median(values)) if len(values) else default


def _clusters(values: list[tuple[float, int]], gap: float) -> list[list[tuple[float, int]]]:
    """Split sorted (value, source) pairs wherever consecutive values are more than ``gap`` apart."""
    groups: list[list[tuple[float, int]]] = []
    for value in sorted(values):
        if groups and value[0] - groups[-1][-1][0] <= gap:
            groups[-1].append(value)
        else:
            groups.append([value])
    return groups


def infer_rows(detections: sv.Detections) -> list[ShelfRow]:
    """Shelf rows from product bottoms and price-tag tops, numbered top -> bottom."""
    kinds = field_values(detections, keys.KIND)
    xyxy = detections.xyxy if len(detections) else np.zeros((0, 4))
    product = (kinds == keys.PRODUCT) | (kinds == keys.GAP)
    tag = kinds == keys.PRICE_TAG
    heights = xyxy[kinds == keys.PRODUCT, 3] - xyxy[kinds == keys.PRODUCT, 1]
    tag_heights = xyxy[tag, 3] - xyxy[tag, 1]
    product_h = _median(heights, 2.0 * _median(tag_heights, 20.0))
    points = [(float(y), 0) for y in xyxy[product, 3]] + [(float(y), 1) for y in xyxy[tag, 1]]
    if not points:
        return []
    bottoms = {float(y): float(h) for y, h in zip(xyxy[product, 3], xyxy[product, 3] - xyxy[product, 1],
                                                     strict=True)}
    first_tag = float(xyxy[tag, 1].min()) if tag.any() else None
    groups = [g for g in _clusters(points, 0.5 * product_h)
              if _is_row(g, bottoms, product_h, first_tag)]
    lines = [_line(group) for group in groups]
    rows: list[ShelfRow] = []
    for number, line in enumerate(lines, start=1):
        in_row = _members(xyxy, kinds, line, product_h)
        row_heights = [xyxy[i, 3] - xyxy[i, 1] for i in in_row if kinds[i] == keys.PRODUCT]
        row_widths = [xyxy[i, 2] - xyxy[i, 0] for i in in_row if kinds[i] == keys.PRODUCT]
        tag_bottoms = [xyxy[i, 3] - line for i in in_row if kinds[i] == keys.PRICE_TAG]
        height = _median(row_heights, product_h)
        if number > 1:
            top = lines[number - 2]
        else:  # the top shelf's space: assume the pitch of the shelf below it
            top = line - (lines[1] - line if len(lines) > 1 else 1.5 * height)
        rows.append(ShelfRow(
            index=number,
            line=line,
            top=max(0.0, top),
            x0=float(min((xyxy[i, 0] for i in in_row), default=0.0)),
            x1=float(max((xyxy[i, 2] for i in in_row), default=0.0)),
            product_height=height,
            product_width=_median(row_widths, _median(xyxy[product, 2] - xyxy[product, 0], 1.0)),
            rail=_median(tag_bottoms, 0.2 * product_h),
        ))
    return rows


MIN_UNTAGGED_ROW = 3  # products a shelf row needs when no price tag hangs under it


def _is_row(group: list[tuple[float, int]], heights: dict[float, float], product_h: float,
            first_tag: float | None = None) -> bool:
    """Whether a cluster is a real shelf row, not a stray detection (e.g. on the header board).

    A row has a price tag under it or products of about normal height; short boxes with no tag
    under them (header-board text) are noise and start no row. Above the highest price tag
    (``first_tag``, the top of the shelving), one or two boxes with no tag under them are noise
    too (a stray detection at the photo's top edge). Lower down a tagless row stays a row: the
    bottom shelf's tags are often out of the frame.

    With no price tag in the photo at all (a product-only detector, before tags are found in
    the photo's text), short boxes cannot be told from small products by a tag under them:
    :data:`MIN_UNTAGGED_ROW` products side by side make a row whatever their height (a shelf
    of small cans under shelves of tall bottles), fewer of normal height too.
    """
    if any(src == 1 for _, src in group):
        return True
    if first_tag is None and sum(src == 0 for _, src in group) >= MIN_UNTAGGED_ROW:
        return True
    above = first_tag is not None and max(v for v, _ in group) < first_tag
    if above and sum(src == 0 for _, src in group) < MIN_UNTAGGED_ROW:
        return False
    return _median([heights.get(v, 0.0) for v, _ in group], 0.0) >= 0.6 * product_h


def _line(group: list[tuple[float, int]]) -> float:
    """A cluster's shelf line: the median product bottom, else the highest tag top."""
    bottoms = [v for v, src in group if src == 0]
    return _median(bottoms, 0.0) if bottoms else min(v for v, _ in group)


def _members(xyxy: np.ndarray, kinds: np.ndarray, line: float, product_h: float) -> list[int]:
    """Indices of products/gaps standing on ``line`` and tags hanging just under it."""
    out = []
    for i, kind in enumerate(kinds):
        if kind in (keys.PRODUCT, keys.GAP):
            near = abs(xyxy[i, 3] - line) <= 0.5 * product_h
        else:
            near = kind == keys.PRICE_TAG and -0.1 * product_h <= xyxy[i, 1] - line \
                <= 0.5 * product_h
        if near:
            out.append(i)
    return out


STRIP_HANG = 0.5  # a sign whose top is at most this far down the tag strip (share of its depth) hangs from it


def shelf_of_box(box: np.ndarray | list[float], kind: str, rows: list[ShelfRow]) -> int | None:
    """The shelf a box belongs to.

    Products and gaps: the row whose line is nearest their bottom. Price tags: the lowest row
    whose line is at or above the tag's top (a tag hangs under its shelf's edge). Promo signs:
    one hanging from a shelf edge (its top in the upper half of the price-tag strip) belongs
    to that shelf; otherwise the row whose product space (``top`` to ``line``) holds its
    centre — a sign in the headroom above a block belongs to that block's shelf, even when
    its top is close to the strip above (the headroom starts right under the strip).
    """
    if not rows:
        return None
    x1, y1, x2, y2 = (float(v) for v in box)
    if kind in (keys.PRODUCT, keys.GAP):
        return min(rows, key=lambda r: abs(r.line - y2)).index
    slack = 0.1 * rows[0].product_height
    if kind == keys.PROMO:
        cy = (y1 + y2) / 2
        for row in rows:
            if row.line - slack <= y1 <= row.line + STRIP_HANG * row.rail:
                return row.index
        for row in rows:
            if row.top <= cy <= row.line:
                return row.index
        return min(rows, key=lambda r: abs(r.line - cy)).index
    above = [r for r in rows if r.line <= y1 + slack]
    return above[-1].index if above else rows[0].index


def assign_shelves(
    detections: sv.Detections, rows: list[ShelfRow], trust_input: bool = False
) -> sv.Detections:
    """A copy of ``detections`` with a ``shelf`` index (1 = top) for every box.

    Args:
        trust_input: keep a ``shelf`` value already present on a box (ground truth).
    """
    out = detections[np.arange(len(detections))] if len(detections) else detections
    if not len(detections):
        return out
    kinds = field_values(detections, keys.KIND)
    given = field_values(detections, keys.SHELF)
    shelves = []
    for i in range(len(detections)):
        if trust_input and given[i] is not None:
            shelves.append(int(given[i]))
        else:
            shelves.append(shelf_of_box(detections.xyxy[i], str(kinds[i]), rows))
    out.data[keys.SHELF] = np.array(shelves, dtype=object)
    return out


PlannedSpan = tuple[float, float, float]  # x0, x1 (px) and the width of one planned facing


def infer_gaps(
    detections: sv.Detections,
    rows: list[ShelfRow],
    k: float = 0.8,
    planned: dict[int, list[PlannedSpan]] | None = None,
) -> sv.Detections:
    """Empty spans on each shelf, as ``gap`` detections.

    With a planogram (``planned``: per shelf, each block's px span and facing width) the shelf
    is used from its first to its last block and a span counts when it is wider than ``k``
    planned facings of its block; an empty span across a block boundary is one gap per block
    whose piece is that wide (two SKUs out of stock), or, when no piece is, one gap if the
    whole span is wider than ``k`` facings of the block holding most of it (see
    :func:`_empty_gaps`). Without one, a span counts when wider than ``k`` x the narrower
    neighbouring product (so a missing can is found even between wide bags). A lying product
    covers as much shelf as its SKU's upright facings in the photo stand tall (see
    :func:`_span`).

    Args:
        detections: boxes with a ``shelf`` index (see :func:`assign_shelves`).
        rows: the shelf rows.
        k: how many product widths an empty span must exceed to count as a gap.
        planned: the planogram's blocks per shelf (see above).
    """
    kinds = field_values(detections, keys.KIND)
    shelves = field_values(detections, keys.SHELF)
    skus = field_values(detections, keys.SKU)
    orientations = field_values(detections, keys.ORIENTATION)
    lengths = _upright_heights(detections, kinds, skus, orientations)
    boxes, shelf_ids = [], []
    for row in rows:
        blocks = (planned or {}).get(row.index, [])
        x0 = min([row.x0, *(b[0] for b in blocks)])
        x1 = max([row.x1, *(b[1] for b in blocks)])
        spans = sorted(
            _span(detections.xyxy[i], lengths.get(skus[i]) if orientations[i] == keys.LYING
                  else None)
            for i in range(len(detections))
            if kinds[i] == keys.PRODUCT and shelves[i] == row.index
        )
        cursor, left_w = x0, None
        for start, end in [*spans, (x1, x1)]:
            right_w = end - start if end > start else None
            neighbours = [w for w in (left_w, right_w) if w] or [row.product_width]
            for a, b in _empty_gaps(cursor, start, blocks, k, min(neighbours)):
                boxes.append([a, row.line - row.product_height, b, row.line])
                shelf_ids.append(row.index)
            if end > cursor:
                cursor, left_w = end, end - start
    return make_detections(boxes, kind=keys.GAP, shelf=shelf_ids)


def _upright_heights(detections: sv.Detections, kinds: np.ndarray, skus: np.ndarray,
                     orientations: np.ndarray) -> dict[str, float]:
    """Median box height of each SKU's upright facings in the photo: how long it is lying."""
    heights: dict[str, list[float]] = {}
    for i in range(len(detections)):
        if kinds[i] == keys.PRODUCT and skus[i] and orientations[i] == keys.UPRIGHT:
            x1, y1, x2, y2 = detections.xyxy[i]
            heights.setdefault(str(skus[i]), []).append(float(y2 - y1))
    return {sku: float(np.median(h)) for sku, h in heights.items()}


def _span(box: np.ndarray, length: float | None) -> tuple[float, float]:
    """The shelf span a product covers: its box, or for a lying product whose box is shorter
    than the SKU stands tall (the detector often boxes only the label of a lying bottle, not
    its neck and cap), that length reaching out either way from the box — which end the box
    missed is unknown, and the empty-looking stretch by the neck is not a gap.

    Measured on the starter detector's boxes (seed 95): a lying product's box covers a median
    0.95 of its length but only 0.56-0.72 in a tenth of cases, mostly off-centre (its body, not
    its neck). Centred on the box, the span left the neck's side as a gap; reaching either way,
    8 of the 15 false gaps of seed 95 went and 1 of its 169 true gaps was missed."""
    x1, x2 = float(box[0]), float(box[2])
    if length is None or x2 - x1 >= length:
        return x1, x2
    return x2 - length, x1 + length


def _empty_gaps(a: float, b: float, blocks: list[PlannedSpan], k: float,
                neighbour: float) -> list[tuple[float, float]]:
    """The gaps of the empty span ``a``-``b``: each piece of it in one planned block that is
    wider than ``k`` facings of that block (``neighbour`` px outside every block); when no
    piece is, the whole span, if wider than ``k`` facings of the block holding most of it
    (one empty facing across a block boundary, its neighbours shifted, is one gap)."""

    def facing(piece: tuple[float, float]) -> float:
        mid = (piece[0] + piece[1]) / 2
        return next((f for b0, b1, f in blocks if b0 <= mid <= b1), None) or neighbour

    pieces = _pieces(a, b, blocks)
    gaps = [p for p in pieces if p[1] - p[0] > k * facing(p)]
    if gaps or len(pieces) < 2:
        return gaps
    widest = max(pieces, key=lambda p: p[1] - p[0])
    return [(a, b)] if b - a > k * facing(widest) else []


def _pieces(a: float, b: float, blocks: list[PlannedSpan]) -> list[tuple[float, float]]:
    """The empty span ``a``-``b`` cut at the planned block boundaries inside it."""
    if b <= a:
        return []
    cuts = sorted({c for b0, b1, _ in blocks for c in (b0, b1) if a < c < b})
    edges = [a, *cuts, b]
    return list(zip(edges, edges[1:], strict=False))
