"""The naming rule (pipeline.vision.decide) on hand-made embeddings: text, gallery, open set,
empty shelf, orientation from prompts and box geometry."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pipeline.vision.decide import EMPTY_INDEX, Rule, decide
from pipeline.vision.gallery import Gallery
from pipeline.vision.textbank import TextBank

SKUS = ["tall-bottle", "can", "square-box"]
ASPECTS = torch.tensor([0.3, 0.55, 1.0, 0.5])  # upright width/height; last row: unknown
D = 8


def e(*weights: tuple[int, float]) -> torch.Tensor:
    v = torch.zeros(D)
    for axis, w in weights:
        v[axis] = w
    return torch.nn.functional.normalize(v, dim=0)


def bank() -> TextBank:
    """SKU k (and the unknown row 3, the empty-shelf row 4) is axis k; 'upright' adds axis 6,
    'lying' axis 7."""
    rows = range(len(SKUS) + 2)
    return TextBank(
        SKUS,
        sku=torch.stack([e((k, 1.0)) for k in rows]),
        upright=torch.stack([e((k, 1.0), (6, 1.0)) for k in rows]),
        lying=torch.stack([e((k, 1.0), (7, 1.0)) for k in rows]),
        key="test",
    )


def name(x: torch.Tensor, aspect: float = 0.5, gallery: Gallery | None = None, **rule):
    labels = decide(Rule(text_scale=100.0, gallery_scale=100.0, **rule), x.view(1, -1),
                    np.array([aspect]), bank(), gallery or Gallery(), ASPECTS)
    return int(labels.sku_index[0]), float(labels.score[0]), bool(labels.lying[0])


@pytest.mark.parametrize("x, expected", [
    (e((0, 1.0)), 0),
    (e((1, 1.0), (5, 0.3)), 1),
    (e((2, 1.0), (0, 0.2)), 2),
])
def test_text_prompts_name_the_nearest_sku(x, expected):
    sku, score, _ = name(x, aspect=ASPECTS[expected].item())
    assert sku == expected and score > 0.9


def test_a_reference_photo_outweighs_a_slightly_better_text_match():
    x = e((0, 0.50), (2, 0.45), (5, 0.70))
    assert name(x)[0] == 0
    gallery = Gallery()
    gallery.add("square-box", x, 1.0)
    assert name(x, gallery=gallery)[0] == 2


@pytest.mark.parametrize("x, rule, unknown", [
    (e((5, 1.0)), {}, True),  # like no SKU at all: a flat distribution
    (e((5, 1.0)), {"min_score": 0.0}, False),
    (e((3, 1.0)), {"unknown_class": True}, True),  # the "unknown product" caption wins
    (e((0, 1.0)), {"unknown_class": True}, False),
    (e((0, 0.2), (5, 1.0)), {"min_score": 0.0, "text_threshold": 0.5}, True),  # too far
])
def test_open_set(x, rule, unknown):
    assert (name(x, **rule)[0] == -1) == unknown


@pytest.mark.parametrize("x, rule, expected", [
    (e((4, 1.0)), {"empty_class": True, "unknown_class": True}, EMPTY_INDEX),  # a bare shelf
    (e((4, 1.0)), {"empty_class": True}, EMPTY_INDEX),
    (e((0, 1.0), (4, 0.3)), {"empty_class": True}, 0),  # a product before a bare back wall
    (e((3, 1.0), (4, 0.5)), {"empty_class": True, "unknown_class": True}, -1),  # unknown wins
])
def test_empty_shelf_class(x, rule, expected):
    assert name(x, **rule)[0] == expected


def test_without_the_empty_class_nothing_is_called_empty():
    assert name(e((4, 1.0)), unknown_class=True)[0] != EMPTY_INDEX
    assert name(e((4, 1.0)), min_score=0.0)[0] != EMPTY_INDEX


@pytest.mark.parametrize("sku_axis, aspect, prompt_axis, lying", [
    (0, 0.3, None, False),  # tall bottle, tall box: upright
    (0, 1 / 0.3, None, True),  # tall bottle, wide box: lying, whatever the prompts say
    (0, 1 / 0.3, 6, True),
    (1, 0.55, 7, False),  # can-shaped box overrules a lying-ish caption
    (2, 1.0, 7, True),  # square box: geometry says nothing, the prompts decide
    (2, 1.0, 6, False),
])
def test_orientation_combines_prompts_and_geometry(sku_axis, aspect, prompt_axis, lying):
    parts = [(sku_axis, 1.0)] + ([(prompt_axis, 0.05)] if prompt_axis else [])
    sku, _, is_lying = name(e(*parts), aspect=aspect)
    assert sku == sku_axis
    assert is_lying == lying


def test_near_identical_facings_share_a_leader_and_big_groups_get_a_verifier():
    from pipeline.vision.reuse import THUMB, group_facings

    rng = np.random.default_rng(0)
    base = torch.from_numpy(rng.uniform(40, 200, 3 * THUMB * THUMB)).float()
    patched = base.clone()
    patched[:20] = 255 - patched[:20]  # a differently coloured label corner
    thumbs = torch.stack([base, base * 0.9 + 1, base + 2, patched, base, base * 0.2 + 150])
    boxes = np.array([[0, 0, 30, 90], [32, 0, 62, 90], [64, 0, 94, 90], [96, 0, 126, 90],
                      [128, 0, 158, 60], [160, 0, 190, 90]], dtype=np.float32)
    leader, verifier = group_facings(thumbs, boxes, tolerance=6.0)
    # 0-2 look alike (light falls off across the shelf); 3 has a patch, 4 is shorter,
    # 5 is another product.
    assert leader.tolist() == [0, 0, 0, 3, 4, 5]
    assert verifier[0] in (1, 2) and verifier[3:].tolist() == [-1, -1, -1]
    assert group_facings(thumbs, boxes, tolerance=0.0)[0].tolist() == list(range(6))


def _labels(index, score, best):
    from pipeline.vision.reuse import Labels

    return Labels(np.array(index), np.array(score, np.float32), np.zeros(len(index), bool),
                  best=np.array(best))


# three cans side by side on one shelf, a fourth far right, one on the shelf below
SHELF = np.array([[0, 50, 20, 100], [22, 50, 42, 100], [44, 50, 64, 100], [200, 50, 220, 100],
                  [22, 150, 42, 200]], np.float32)


@pytest.mark.parametrize(("who", "score", "named"), [
    (1, 0.4, 1),    # doubtful between "can" and unknown, between two cans: a can
    (1, 0.1, -1),   # hardly like a can at all: a stranger in the block stays unknown
    (3, 0.4, -1),   # no can right beside it (the nearest is 136 px away)
    (4, 0.4, -1),   # the cans above it are on another shelf
])
def test_an_unknown_crop_beside_facings_of_its_best_sku_takes_that_name(who, score, named):
    from pipeline.vision.decide import facing_context

    index, scores, best = [1, 1, 1, 1, 0], [0.99] * 5, [1, 1, 1, 1, 0]
    index[who], scores[who], best[who] = -1, score, 1
    labels = facing_context(Rule(context_min_score=0.25), _labels(index, scores, best), SHELF)
    assert labels.sku_index[who] == named
    others = [i for i in range(5) if i != who]
    assert labels.sku_index[others].tolist() == [index[i] for i in others]


def test_facing_context_can_be_turned_off_and_needs_a_named_neighbour():
    from pipeline.vision.decide import facing_context

    labels = facing_context(Rule(context_min_score=None),
                            _labels([1, -1, 1], [0.9, 0.4, 0.9], [1, 1, 1]), SHELF[:3])
    assert labels.sku_index.tolist() == [1, -1, 1]
    # two doubtful crops side by side do not vouch for each other
    labels = facing_context(Rule(), _labels([-1, -1, 0], [0.4, 0.4, 0.9], [1, 1, 0]),
                            SHELF[:3])
    assert labels.sku_index.tolist() == [-1, -1, 0]
