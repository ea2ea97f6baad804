"""The scene the rules read: which zone a product is in (half-open zones) and which block a
price tag belongs to."""

from __future__ import annotations

import pytest

from pipeline.planogram import Zone
from pipeline.rules.scene import build_scene
from tests.factories.shelves import CHIPS, layout, without_shelf

# five facings at x 20-80, 84-144, 148-208, 212-272, 276-336 of a 1000 px photo: the third
# one's centre is x 178, exactly on the edge 0.178 the two zones share
LEFT = Zone(id="left", x=(0.0, 0.178))
RIGHT = Zone(id="right", x=(0.178, 0.336))


def _zone_counts(catalog, zones):
    shelf = layout([[CHIPS] * 5], catalog, zones=zones)
    scene = build_scene(without_shelf(shelf.photo), catalog, shelf.planogram)
    return {z.id: len(scene.select(scene.products, z.id, None)) for z in zones}


def test_a_product_centred_on_a_shared_edge_is_in_the_right_hand_zone_only(catalog):
    assert _zone_counts(catalog, [LEFT, RIGHT]) == {"left": 2, "right": 3}


def test_a_zone_reaching_the_photo_s_right_edge_includes_it(catalog):
    assert _zone_counts(catalog, [Zone(id="all", x=(0.0, 1.0))]) == {"all": 5}


@pytest.mark.parametrize(
    ("x", "cx", "inside"),
    [((0.2, 0.5), 0.2, True), ((0.2, 0.5), 0.5, False), ((0.5, 1.0), 0.5, True),
     ((0.5, 1.0), 1.0, True), ((0.0, 1.0), 0.0, True), ((0.2, 0.5), 0.1, False)],
)
def test_zones_are_half_open_except_at_the_shelf_end(x, cx, inside):
    assert Zone(id="z", x=x).contains(cx, 0.5, 1) is inside
