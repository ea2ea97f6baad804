"""How a crop gets its name and orientation: the combination rule of the recognizer.

**SKU.** For a crop embedding ``x`` (L2-normalised) and catalog SKUs ``k``:

1. *Text*: ``t_k = cos(x, T_k)`` with ``T_k`` the mean embedding of the SKU's prompts (en + zh).
2. *Gallery*: ``g_k = max cos(x, r)`` over the SKU's reference photos ``r``. A SKU without
   references gets ``g_k = gallery_threshold`` — "as similar as a product we do not know".
3. Log-linear fusion (a product of experts): ``z_k = text_scale * t_k + gallery_scale * g_k``
   (the gallery term only when the gallery has any photo); ``p = softmax(z)``. If the model was
   trained with an "unknown product" caption (the starter is), that caption is one more class;
   likewise the "empty shelf" caption (``empty_class``).
4. ``sku = argmax p``, ``sku_score = p[sku]``.
5. Open set — the crop is ``unknown`` (brand and category ``None``) when ``sku_score <
   min_score``, or the unknown caption wins, or (if ``text_threshold`` is set) nothing matches in
   absolute terms: ``max t < text_threshold`` and no reference has ``g >= gallery_threshold``.
6. Empty — with ``empty_class``, a crop whose "empty shelf" probability beats both the best
   SKU's and the unknown caption's is no product at all (:data:`EMPTY_INDEX`): a box the detector
   drew on an empty slot. The recognizer drops it, so the rules see the gap.
7. Facing context — an unknown crop whose best SKU still scores ``context_min_score`` or more
   and names a facing right beside it is that SKU (:func:`facing_context`).

**Orientation.** Two log-likelihood ratios (positive = lying), added:

* *prompts*: ``orientation_weight * text_scale * (cos(x, L_k) - cos(x, U_k))`` where ``L_k`` /
  ``U_k`` are the SKU's prompts wrapped in "lying on its side" / "standing upright" captions
  (for an unknown crop, the unknown-product captions);
* *geometry*: the box aspect ``a = w / h`` against the SKU's upright aspect ``r``: upright boxes
  have ``log a ~ N(log r, s^2)``, lying ones ``log a ~ N(-log r, s^2)``, so the ratio is
  ``-2 log(a) log(r) / s^2`` (clipped to +-10). A square-ish product (``r ~ 1``) gives ~0 and
  the prompts decide; a tall bottle lying on its side is unmistakable.

``r`` comes from the model's tuning file (measured on its training data), else the median
aspect of the SKU's gallery photos, else a default per package type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from pipeline.catalog import Catalog
from pipeline.vision.gallery import Gallery
from pipeline.vision.reuse import Labels
from pipeline.vision.textbank import TextBank

EMPTY_INDEX = -2  # Labels.sku_index of a crop that shows an empty shelf (-1: unknown product)
PACKAGE_ASPECT = {"can": 0.54, "bottle": 0.32, "carton": 0.45, "box": 0.8, "bag": 0.7}


@dataclass
class Rule:
    """Numbers of the combination rule (tuned per model; see the module docstring)."""

    text_scale: float = 100.0
    gallery_scale: float = 100.0
    gallery_threshold: float = 0.8
    text_threshold: float | None = None
    min_score: float = 0.5
    unknown_class: bool = False
    empty_class: bool = False
    orientation_weight: float = 1.0
    context_min_score: float | None = 0.25  # step 7 (None: off)
    geometry_sigma: float = 0.25
    aspects: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_tuning(cls, tuning: dict[str, Any], text_scale: float) -> Rule:
        rule = cls(text_scale=text_scale, gallery_scale=text_scale)
        for name, value in tuning.items():
            if hasattr(rule, name) and value is not None:
                setattr(rule, name, value)
        return rule


def upright_aspects(rule: Rule, catalog: Catalog, gallery: Gallery) -> torch.Tensor:
    """Upright width/height per catalog SKU, plus the median for the unknown row."""
    from_gallery = gallery.upright_aspects()
    values = []
    for sku in catalog.skus:
        value = rule.aspects.get(sku.id) or from_gallery.get(sku.id)
        values.append(float(value or PACKAGE_ASPECT.get(sku.package, 0.6)))
    values.append(float(rule.aspects.get("unknown") or np.median(values)))
    return torch.tensor(values)


def fused_logits(rule: Rule, x: torch.Tensor, bank: TextBank, gallery: Gallery,
                 gx: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Steps 1-3 and the absolute open-set test of step 5: the logits ``z`` (N x (K+2): SKUs,
    the unknown caption, the empty shelf) and whether nothing matches in absolute terms.

    ``gx``: the crops' embeddings in the gallery's space when the gallery was embedded by a
    separate image embedder (:mod:`pipeline.vision.embedder`); ``x`` otherwise."""
    n_sku = len(bank.sku_ids)
    x = x.float()
    text = x @ bank.sku.T
    z = rule.text_scale * text
    open_set = torch.zeros(len(x), dtype=torch.bool, device=x.device)
    if rule.text_threshold is not None:
        open_set = text[:, :n_sku].max(1).values < rule.text_threshold
    if len(gallery):
        sims, has = gallery.nearest(x if gx is None else gx.float(), bank.sku_ids)
        g = torch.where(has, sims, torch.full_like(sims, rule.gallery_threshold))
        neutral = torch.full((len(x), z.shape[1] - n_sku), rule.gallery_threshold,
                             device=x.device)
        z = z + rule.gallery_scale * torch.cat([g, neutral], 1)
        open_set &= sims.max(1).values < rule.gallery_threshold
    return z, open_set


def orientation_llr(rule: Rule, x: torch.Tensor, row: torch.Tensor, box_aspects: np.ndarray,
                    bank: TextBank, aspects: torch.Tensor) -> torch.Tensor:
    """Log-likelihood ratio lying : upright of each crop, named as catalog row ``row`` (the
    unknown row for unknown crops): weighted prompts plus box geometry (module docstring)."""
    prompt_llr = rule.text_scale * ((x * bank.lying[row]).sum(1) - (x * bank.upright[row]).sum(1))
    log_a = torch.from_numpy(np.log(np.maximum(box_aspects, 1e-3))).float().to(x.device)
    log_r = torch.log(aspects.to(x.device)[row])
    geometry = (-2.0 * log_a * log_r / rule.geometry_sigma ** 2).clamp(-10.0, 10.0)
    return rule.orientation_weight * prompt_llr + geometry


def decide(rule: Rule, x: torch.Tensor, box_aspects: np.ndarray, bank: TextBank,
           gallery: Gallery, aspects: torch.Tensor, gx: torch.Tensor | None = None) -> Labels:
    """Name and orientation of each crop embedding ``x`` (N x D) — see the module docstring;
    ``gx`` as in :func:`fused_logits`."""
    n_sku = len(bank.sku_ids)
    if len(x) == 0:
        return Labels.empty(0)
    x = x.float()
    z, open_set = fused_logits(rule, x, bank, gallery, gx)
    use_empty = rule.empty_class and z.shape[1] > n_sku + 1
    columns = [*range(n_sku)] + [n_sku] * rule.unknown_class + [n_sku + 1] * use_empty
    p = torch.softmax(z[:, columns], dim=1)
    score, best = p[:, :n_sku].max(1)
    top2 = z[:, :n_sku].topk(min(2, n_sku), dim=1).values
    margin = (top2[:, 0] - top2[:, -1]) if n_sku > 1 else torch.full_like(score, np.inf)
    p_unknown = p[:, n_sku] if rule.unknown_class else torch.zeros_like(score)
    unknown = (score < rule.min_score) | open_set | (p_unknown > score)
    empty = p[:, -1] > torch.maximum(score, p_unknown) if use_empty else torch.zeros_like(unknown)
    row = torch.where(unknown, torch.full_like(best, n_sku), best)
    lying = orientation_llr(rule, x, row, box_aspects, bank, aspects) > 0
    index = np.where(unknown.cpu().numpy(), -1, best.cpu().numpy())
    return Labels(
        np.where(empty.cpu().numpy(), EMPTY_INDEX, index),
        score.cpu().numpy().astype(np.float32),
        lying.cpu().numpy(),
        margin=margin.cpu().numpy().astype(np.float32),
        best=best.cpu().numpy().astype(int),
    )


def facing_context(rule: Rule, labels: Labels, boxes: np.ndarray) -> Labels:
    """Step 7: an unknown crop of one photo whose best SKU scores at least
    ``rule.context_min_score`` and is the name of a facing right beside it (same shelf: bottoms
    within a quarter of its height; at most half its width apart) is that SKU.

    Products stand in blocks of facings. A facing of SKU *k* that the crop alone leaves in doubt
    between *k* and the unknown-product caption (odd light, a label seen at an angle) is far
    more likely *k* than a stranger that happens to look like *k*; a real stranger in a block of
    *k* rarely scores that high for *k* (its look differs), and stays unknown. Returns
    ``labels`` (changed in place).
    """
    if rule.context_min_score is None or len(boxes) < 2:
        return labels
    doubtful = np.flatnonzero((labels.sku_index == -1) & (labels.best >= 0)
                              & (labels.score >= rule.context_min_score))
    named = labels.sku_index.copy()  # decide from the crops' own names, not from relabels
    for i in doubtful:
        if beside_a_facing_of(boxes, i, labels.best[i], named):
            labels.sku_index[i] = labels.best[i]
    return labels


def beside_a_facing_of(boxes: np.ndarray, i: int, sku_index: int | str, named: np.ndarray,
                       among: np.ndarray | None = None) -> bool:
    """Whether a box named ``sku_index`` (in ``named``: catalog indices, or SKU ids as
    :mod:`pipeline.vision.faint` passes them; only boxes where ``among`` is true) stands right
    beside box ``i``: on its shelf (bottoms within a quarter of its height) and at most half
    its width apart."""
    boxes = np.asarray(boxes, dtype=np.float32)
    w = max(float(boxes[i, 2] - boxes[i, 0]), 1e-3)
    h = max(float(boxes[i, 3] - boxes[i, 1]), 1e-3)
    same_shelf = np.abs(boxes[:, 3] - boxes[i, 3]) <= 0.25 * h
    apart = np.maximum(boxes[:, 0] - boxes[i, 2], boxes[i, 0] - boxes[:, 2])
    beside = same_shelf & (apart <= 0.5 * w) & (named == sku_index)
    if among is not None:
        beside &= among
    beside[i] = False
    return bool(beside.any())
