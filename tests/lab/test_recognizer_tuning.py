"""Tuning the recognition rule of a freshly trained recognizer (pipeline.lab.recognizer_tuning)."""

from __future__ import annotations

import numpy as np
import torch

from pipeline.lab.recognizer_tuning import orientation_log_loss, tune_rule
from pipeline.lab.shelf_crops import CropSet
from pipeline.vision.decide import Rule
from pipeline.vision.gallery import Gallery
from tests.vision.test_recognizer_rule import ASPECTS, SKUS, bank, e


def test_orientation_weight_ties_go_to_the_lowest_log_loss():
    """Weights 0.25-2 all get both crops right; 1.0 does so with the most room (a square box
    whose weak 'lying' prompt must count, a tall bottle standing in a tall box whose 'lying'
    prompt must not outvote the geometry)."""
    from types import SimpleNamespace

    catalog = SimpleNamespace(skus=[SimpleNamespace(id=s, package="box") for s in SKUS])
    x = torch.stack([e((2, 1.0), (7, 0.02)), e((0, 1.0), (7, 0.07))])
    crops = CropSet(torch.zeros(2, 3, 1, 1, dtype=torch.uint8), np.array([2, 0]),
                    np.array([True, False]), np.array([1.0, 0.3]))
    rule = Rule(text_scale=100.0, gallery_scale=100.0, aspects={"tall-bottle": 0.3,
                                                                 "square-box": 1.0})
    tuned = tune_rule(rule, catalog, x, crops, bank(), Gallery(), log=lambda _: None)
    assert tuned.orientation_weight == 1.0
    loss = {w: orientation_log_loss(Rule(**{**rule.__dict__, "orientation_weight": w}), x, crops,
                                    bank(), ASPECTS) for w in (0.25, 1.0, 2.0)}
    assert loss[1.0] < min(loss[0.25], loss[2.0])
