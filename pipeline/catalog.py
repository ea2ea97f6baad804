"""The product catalog (``rules/catalog.yaml``): SKUs, brands, categories, prompts and looks.

Loaded with :mod:`pipeline.yamldoc` and validated with pydantic; every problem names the file,
line and column. :attr:`Catalog.fingerprint` changes whenever anything recognition depends on
changes (used to cache text embeddings).
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline import yamldoc
from pipeline.i18n import N_, _
from pipeline.yamldoc import Problem, YamlFileError

PackageType = Literal["bottle", "can", "carton", "box", "bag"]
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ID = r"^[a-z0-9][a-z0-9_.-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Category(_Strict):
    id: str = Field(pattern=_ID)
    name: str
    name_zh: str


class Brand(_Strict):
    id: str = Field(pattern=_ID)
    name: str
    name_zh: str
    category: str | None = None
    aliases: list[str] = Field(default_factory=list)  # other spellings printed on packs


class Names(_Strict):
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)


class Prompts(_Strict):
    en: list[str] = Field(min_length=1)
    zh: list[str] = Field(min_length=1)


class Look(_Strict):
    """Colours used by the synthetic renderer (``#rrggbb``)."""

    body: str
    label: str
    text: str
    cap: str

    @field_validator("body", "label", "text", "cap")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not _COLOR.match(value):
            raise ValueError(_("colour must look like #a1b2c3, got {value}").format(
                value=repr(value)))
        return value.lower()


class Sku(_Strict):
    id: str = Field(pattern=_ID)
    brand: str
    category: str
    package: PackageType
    size: str
    name: Names
    price: float = Field(gt=0, lt=100000)
    prompts: Prompts
    look: Look
    aliases: list[str] = Field(default_factory=list)  # other names printed on the pack

    @property
    def all_prompts(self) -> list[str]:
        return [*self.prompts.en, *self.prompts.zh]


class Catalog(_Strict):
    version: int = 1
    currency: str = "CNY"
    categories: list[Category] = Field(min_length=1)
    brands: list[Brand] = Field(min_length=1)
    skus: list[Sku] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Catalog:
        problems = []
        for kind, items in (("category", self.categories), ("brand", self.brands),
                            ("sku", self.skus)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    problems.append(f"duplicate {kind} id '{item.id}'")
                seen.add(item.id)
        brand_ids = {b.id for b in self.brands}
        cat_ids = {c.id for c in self.categories}
        for sku in self.skus:
            if sku.brand not in brand_ids:
                problems.append(f"sku '{sku.id}': unknown brand '{sku.brand}'"
                                + yamldoc.suggest(sku.brand, sorted(brand_ids)))
            if sku.category not in cat_ids:
                problems.append(f"sku '{sku.id}': unknown category '{sku.category}'"
                                + yamldoc.suggest(sku.category, sorted(cat_ids)))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # --- lookups ---
    @cached_property
    def by_id(self) -> dict[str, Sku]:
        return {s.id: s for s in self.skus}

    @cached_property
    def brand_by_id(self) -> dict[str, Brand]:
        return {b.id: b for b in self.brands}

    @cached_property
    def category_by_id(self) -> dict[str, Category]:
        return {c.id: c for c in self.categories}

    def sku(self, sku_id: str) -> Sku:
        return self.by_id[sku_id]

    @property
    def sku_ids(self) -> list[str]:
        return [s.id for s in self.skus]

    def skus_of_brand(self, brand: str) -> list[Sku]:
        return [s for s in self.skus if s.brand == brand]

    def skus_of_category(self, category: str) -> list[Sku]:
        return [s for s in self.skus if s.category == category]

    @cached_property
    def fingerprint(self) -> str:
        """Stable hash of the catalog content (changes when any SKU, prompt or price changes)."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


# The catalog's own checks (Catalog._references, in English) -> how to say them
REFERENCE_WORDS = [(re.compile(pattern), words) for pattern, words in [
    (r"duplicate (?P<kind>category|brand|sku) id '(?P<id>.*)'",
     {"category": N_("duplicate category id '{id}'"), "brand": N_("duplicate brand id '{id}'"),
      "sku": N_("duplicate sku id '{id}'")}),
    (r"sku '(?P<sku>[^']*)': unknown (?P<kind>brand|category) '(?P<id>[^']*)'"
     r"(?: — did you mean '(?P<choice>.*)'\?)?",
     {"brand": N_("sku '{sku}': unknown brand '{id}'"),
      "category": N_("sku '{sku}': unknown category '{id}'")}),
]]


def _reference_words(part: str) -> str:
    """One of the catalog's reference problems in the reader's language."""
    for pattern, words in REFERENCE_WORDS:
        match = pattern.fullmatch(part)
        if match:
            found = match.groupdict()
            text = _(words[found.pop("kind")]).format(**found)
            if found.get("choice"):
                text += _(" — did you mean '{choice}'?").format(choice=found["choice"])
            return text
    return part


def _locate_model_error(message: str, doc: object, name: str) -> list[Problem]:
    """Point reference errors (``sku 'x': unknown brand 'y'``) at the SKU's line."""
    problems = []
    skus = doc.get("skus") if isinstance(doc, dict) else None
    for part in message.split("; "):
        line, col = 0, 0
        m = re.match(r"sku '([^']+)'", part)
        if m and isinstance(skus, list):
            for i, entry in enumerate(skus):
                if isinstance(entry, dict) and entry.get("id") == m.group(1):
                    field = "brand" if "brand" in part else "category"
                    line, col = yamldoc.locate(doc, ["skus", i, field])
                    break
        problems.append(Problem(name, line, col, _reference_words(part)))
    return problems


def parse_catalog(doc: object, name: str) -> Catalog:
    """Validate a parsed catalog document; raise :class:`YamlFileError` with located problems."""
    try:
        return Catalog.model_validate(yamldoc.to_plain(doc))
    except ValidationError as exc:
        problems: list[Problem] = []
        for err in exc.errors(include_url=False):
            if not err["loc"] and err["type"] == "value_error":
                problems += _locate_model_error(err["msg"].removeprefix("Value error, "), doc, name)
        located = [e for e in exc.errors(include_url=False) if e["loc"]]
        if located:
            sub = ValidationError.from_exception_data(exc.title, located)  # type: ignore[arg-type]
            problems += yamldoc.problems_from_validation(sub, doc, name)
        raise YamlFileError(problems) from None


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate ``catalog.yaml`` (default: ``$SHELFAUDIT_RULES/catalog.yaml``).

    Raises:
        YamlFileError: with every problem located to file:line:col.
    """
    if path is None:
        from pipeline.settings import get_settings

        path = get_settings().rules_dir / "catalog.yaml"
    doc = yamldoc.load(path)
    return parse_catalog(doc, str(path))


# --- names in the reader's language -----------------------------------------------------------
def names_in(catalog: Catalog, lang: str) -> dict[str, str]:
    """SKU, brand and category id -> its name in ``lang`` (``zh``: the Chinese names;
    otherwise English). SKU ids win over a brand or category of the same id."""
    zh = lang == "zh"
    out = {c.id: c.name_zh if zh else c.name for c in catalog.categories}
    out.update({b.id: b.name_zh if zh else b.name for b in catalog.brands})
    out.update({s.id: s.name.zh if zh else s.name.en for s in catalog.skus})
    return out


_NAMES: dict[tuple[str, float, str], dict[str, str]] = {}


def _default_names(lang: str) -> dict[str, str]:
    """:func:`names_in` of the catalog in force, re-read when the file changes."""
    from pipeline.settings import get_settings

    path = get_settings().rules_dir / "catalog.yaml"
    try:
        key = (str(path), path.stat().st_mtime, lang)
    except OSError:
        return {}
    if key not in _NAMES:
        try:
            catalog = load_catalog(path)
        except YamlFileError:
            return {}
        _NAMES.clear()
        _NAMES.update({(key[0], key[1], code): names_in(catalog, code) for code in ("en", "zh")})
    return _NAMES.get(key, {})


def display_name(item: str | None, lang: str | None = None,
                 catalog: Catalog | None = None) -> str:
    """A SKU's (or brand's, or category's) name in the reader's language: ``colaco-cola-330``
    -> ``"ColaCo Cola 330ml can"`` / ``"可乐可 可乐 330毫升 罐装"``. Unknown ids (``unknown``, a
    product not in the catalog) come back as they are; ``lang`` defaults to the current one."""
    from pipeline import i18n

    if not item:
        return ""
    code = i18n.normalize(lang) or i18n.current()
    names = names_in(catalog, code) if catalog is not None else _default_names(code)
    return names.get(item, item)
