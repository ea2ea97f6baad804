"""Tune the recognition rule of a freshly trained recognizer on held-out synthetic crops.

Grid searches, each maximising accuracy on the validation crops (unknown products count as a
class of their own): the open-set floor ``min_score`` (text prompts only), the prompt weight of
the orientation rule (ties broken by the orientation log-loss), then the gallery's
``gallery_scale`` and ``gallery_threshold`` (ties keep the starting rule's values). Upright
aspect ratios per SKU are the medians of the validation boxes. The result is written to
``shelfaudit_recognizer.json`` in the model folder and read back by the recognizer.
"""

from __future__ import annotations

from dataclasses import asdict, replace

import numpy as np
import torch

from pipeline.catalog import Catalog
from pipeline.i18n import _
from pipeline.lab.shelf_crops import CropSet
from pipeline.vision.decide import EMPTY_INDEX, Rule, decide, orientation_llr, upright_aspects
from pipeline.vision.gallery import Gallery
from pipeline.vision.reuse import Labels
from pipeline.vision.textbank import TextBank


def accuracy(labels: Labels, crops: CropSet, n_sku: int) -> tuple[float, float]:
    """(SKU accuracy with unknown and empty shelf as classes, orientation accuracy of the
    products)."""
    predicted = np.where(labels.sku_index == EMPTY_INDEX, n_sku + 1, labels.sku_index)
    predicted = np.where(predicted == -1, n_sku, predicted)
    product = crops.sku_index <= n_sku
    return (float(np.mean(predicted == crops.sku_index)),
            float(np.mean(labels.lying[product] == crops.lying[product])))


def orientation_log_loss(rule: Rule, embeddings: torch.Tensor, crops: CropSet, bank: TextBank,
                         aspects: torch.Tensor) -> float:
    """Summed log-loss of P(lying) = sigmoid(orientation log-likelihood ratio) over the crops of
    catalog products (their true SKU's prompts and upright aspect, as :func:`decide` uses)."""
    product = torch.from_numpy(crops.sku_index < len(bank.sku_ids))
    if not product.any():
        return 0.0
    row = torch.from_numpy(crops.sku_index).long()[product]
    llr = orientation_llr(rule, embeddings.float()[product], row, crops.aspect[product.numpy()],
                          bank, aspects)
    target = torch.from_numpy(crops.lying).float()[product]
    return float(torch.nn.functional.binary_cross_entropy_with_logits(llr, target,
                                                                      reduction="sum"))


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

    # Ties (common: the tuning crops hold few unknown products) keep the rule's current value
    # (the defaults, or a re-tuned model's previous tuning) rather than the grid's largest.
    best = max((score(replace(rule, min_score=m), empty)[0], m == rule.min_score, m)
               for m in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7))
    rule.min_score = best[2]
    log(_("tuning: min_score {value} -> text-only sku acc {acc}").format(
        value=rule.min_score, acc=f"{best[0]:.4f}"))
    # Orientation accuracy ties across most weights (few lying crops, all easy at the best
    # weights), and ties used to go to the largest weight: prompts outvoting the box geometry.
    # Ties are now broken by the log-loss of the orientation decision (a proper scoring rule).
    candidates = [replace(rule, orientation_weight=w) for w in (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)]
    best = min((-score(r, empty)[1], orientation_log_loss(r, embeddings, crops, bank, aspects),
                r.orientation_weight) for r in candidates)
    rule.orientation_weight = best[2]
    log(_("tuning: orientation_weight {value} -> orientation acc {acc}, log-loss {loss}")
        .format(value=rule.orientation_weight, acc=f"{-best[0]:.4f}", loss=f"{best[1]:.3f}"))
    if len(gallery):
        grid = [(s * rule.text_scale, t) for s in (0.25, 0.5, 1.0, 2.0, 4.0)
                for t in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)]
        current = (round(rule.gallery_scale / rule.text_scale, 2), rule.gallery_threshold)
        best = max(((score(replace(rule, gallery_scale=s, gallery_threshold=t), gallery)[0],
                     (round(s / rule.text_scale, 2), t) == current, s, t)
                    for s, t in grid))
        rule.gallery_scale, rule.gallery_threshold = round(best[2], 3), best[3]
        log(_("tuning: gallery_scale {scale} threshold {threshold} -> with-gallery sku acc "
              "{acc}").format(scale=rule.gallery_scale, threshold=rule.gallery_threshold,
                              acc=f"{best[0]:.4f}"))
    return rule


def tuning_document(rule: Rule) -> dict:
    """What goes into ``shelfaudit_recognizer.json`` (text_scale comes from the model)."""
    doc = asdict(rule)
    doc.pop("text_scale")
    return doc
