"""The words the recognizer reads: catalog prompts, orientation captions, the unknown product
and the empty shelf.

Shared by recognition (text embeddings of the catalog) and by the starter recognizer's training
(captions of synthetic crops), so the words the model learned are the words it is asked.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline import keys
from pipeline.catalog import Sku

LANGUAGES: tuple[str, ...] = ("en", "zh")

# One template per orientation and language is used at recognition time (the first); training
# draws from all of them.
ORIENTATION_TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    keys.UPRIGHT: {
        "en": ("{p}, standing upright", "an upright {p}", "{p} standing on the shelf"),
        "zh": ("直立的{p}", "{p}，正放", "立在货架上的{p}"),
    },
    keys.LYING: {
        "en": ("{p}, lying on its side", "a fallen {p}", "{p} knocked over on the shelf"),
        "zh": ("倒下的{p}", "{p}，横躺", "倒在货架上的{p}"),
    },
}
UNKNOWN_PROMPTS: dict[str, tuple[str, ...]] = {
    "en": ("an unknown product", "a product that is not in the catalog"),
    "zh": ("未知商品", "不在目录里的商品"),
}
# A box the detector drew where no product stands (an empty slot, a strip of shelf edge).
EMPTY_PROMPTS: dict[str, tuple[str, ...]] = {
    "en": ("an empty shelf space", "an empty slot on the shelf, no product"),
    "zh": ("空货架", "货架上的空位，没有商品"),
}


def sku_prompts(sku: Sku, languages: Sequence[str] = LANGUAGES) -> list[str]:
    """The catalog's recognition prompts of a SKU in the chosen languages."""
    out: list[str] = []
    for lang in languages:
        out += list(getattr(sku.prompts, lang, []))
    return out


def unknown_prompts(languages: Sequence[str] = LANGUAGES) -> list[str]:
    return [p for lang in languages for p in UNKNOWN_PROMPTS.get(lang, ())]


def orientation_prompts(prompts_by_lang: dict[str, Sequence[str]], orientation: str,
                        all_templates: bool = False) -> list[str]:
    """Prompts wrapped in orientation captions (``"a fallen <prompt>"``)."""
    out = []
    for lang, prompts in prompts_by_lang.items():
        templates = ORIENTATION_TEMPLATES[orientation].get(lang, ())
        for template in templates if all_templates else templates[:1]:
            out += [template.format(p=p) for p in prompts]
    return out


def prompts_by_language(sku: Sku | str | None, languages: Sequence[str] = LANGUAGES
                        ) -> dict[str, list[str]]:
    """``{"en": [...], "zh": [...]}`` for a SKU, the unknown-product prompts for ``None`` or
    ``keys.UNKNOWN``, the empty-shelf prompts for ``keys.EMPTY``."""
    if sku is None or sku == keys.UNKNOWN:
        return {lang: list(UNKNOWN_PROMPTS.get(lang, ())) for lang in languages}
    if sku == keys.EMPTY:
        return {lang: list(EMPTY_PROMPTS.get(lang, ())) for lang in languages}
    return {lang: list(getattr(sku.prompts, lang, [])) for lang in languages}


def template_fingerprint() -> str:
    """Changes whenever a template changes (part of the text-embedding cache key)."""
    import hashlib
    import json

    blob = json.dumps([ORIENTATION_TEMPLATES, UNKNOWN_PROMPTS, EMPTY_PROMPTS], ensure_ascii=False,
                      sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:8]
