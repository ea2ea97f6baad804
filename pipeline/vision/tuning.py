"""Tune the recognition rule of a freshly trained recognizer on held-out synthetic crops.

Grid searches, each maximising accuracy on the validation crops (unknown products count as a
class of their own): the open-set floor ``min_score`` (text prompts only), the prompt weight of
the orientation rule, then the gallery's ``gallery_scale`` and ``gallery_threshold``. Upright
aspect ratios per SKU are the medians of the validation boxes. The result is written to
``shelfaudit_recognizer.json`` in the model folder and read back by the recognizer.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import torch

from pipeline.catalog import Catalog
from pipeline.vision.decide import EMPTY_INDEX, Rule, decide, upright_aspects
from pipeline.vision.gallery import Gallery
from pipeline.vision.reuse import Labels
from pipeline.vision.shelf_crops import CropSet
from pipeline.vision.textbank import TextBank


def accuracy(labels: Labels, crops: CropSet, n_sku: int) -> tuple[float, float]:
    """(SKU accuracy with unknown and empty shelf as classes, orientation accuracy of the
    products)."""
    predicted = np.where(labels.sku_index == EMPTY_INDEX, n_sku + 1, labels.sku_index)
    predicted = np.where(predicted == -1, n_sku, predicted)
    product = crops.sku_index <= n_sku
    return (float(np.mean(predicted == crops.sku_index)),
            float(np.mean(labels.lying[product] == crops.lying[product])))


def measured_aspects(catalog: Catalog, crops: CropSet) -> dict[str, float]:
    out = {}
    for k, sku in enumerate(catalog.skus):
        upright = (crops.sku_index == k) & ~crops.lying
        if upright.any():
            out[sku.id] = round(float(np.median(crops.aspect[upright])), 4)
    return out


def tune_rule(rule: Rule, catalog: Catalog, embeddings: torch.Tensor, crops: CropSet,
              bank: TextBank, gallery: Gallery, log=print) -> Rule:  # noqa: ANN001
    """The best rule for these validation embeddings (a new :class:`Rule`)."""
    n_sku = len(catalog.skus)
    rule = Rule(**asdict(rule))
    rule.aspects = measured_aspects(catalog, crops)
    aspects = upright_aspects(rule, catalog, Gallery())
    empty = Gallery()

    def score(r: Rule, g: Gallery) -> tuple[float, float]:
        return accuracy(decide(r, embeddings, crops.aspect, bank, g, aspects), crops, n_sku)

    best = max((score(Rule(**{**asdict(rule), "min_score": m}), empty)[0], m)
                for m in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7))
    rule.min_score = best[1]
    log(f"tuning: min_score {rule.min_score} -> text-only sku acc {best[0]:.4f}")
    best = max((score(Rule(**{**asdict(rule), "orientation_weight": w}), empty)[1], w)
                for w in (0.0, 0.25, 0.5, 1.0, 2.0, 4.0))
    rule.orientation_weight = best[1]
    log(f"tuning: orientation_weight {rule.orientation_weight} -> orientation acc {best[0]:.4f}")
    if len(gallery):
        grid = [(s * rule.text_scale, t) for s in (0.25, 0.5, 1.0, 2.0, 4.0)
                for t in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)]
        best = max(((score(Rule(**{**asdict(rule), "gallery_scale": s,
                                   "gallery_threshold": t}), gallery)[0], s, t)
                    for s, t in grid))
        rule.gallery_scale, rule.gallery_threshold = round(best[1], 3), best[2]
        log(f"tuning: gallery_scale {rule.gallery_scale} threshold {rule.gallery_threshold} "
            f"-> with-gallery sku acc {best[0]:.4f}")
    return rule


def tuning_document(rule: Rule) -> dict:
    """What goes into ``shelfaudit_recognizer.json`` (text_scale comes from the model)."""
    doc = asdict(rule)
    doc.pop("text_scale")
    return doc
