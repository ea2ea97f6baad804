"""Violation messages in the reader's language.

The rules engine writes every violation's ``message`` in English (the contract of
``shelfaudit check --json``, the exports and the API) and, next to it, how to say it again: its
``wording`` (``Violation.to_dict()["wording"]``, stored in the violation's ``evidence`` JSON)::

    {"template": "{name} is lying down on shelf {shelf} — stand it upright",
     "template_zh": "...",                       # the rule file's message_zh, when it has one
     "values": {"name": {"sku": "alps-water-500", "en": "AlpsPure Mineral Water 500ml"},
                "shelf": 2}}

A value is plain text or a number (said as it is), a catalog id said by its name in the reader's
language (``{"sku" | "brand" | "category": id, "en": English words}``), or a fragment said in
the reader's language (``{"say": "over {name} on shelf {shelf}", "values": {...}}``, the
template an English message id of the catalog). In code, rules build values with
:class:`Name` and :class:`Say`; :func:`to_json` turns them into the plain JSON above.

:func:`violation_text` is what every page, report and message to a person shows: the wording
filled in the reader's language with the catalog's names in that language, or the stored
message when there is no wording (rows stored before it existed), no translation (a rule
file's own English message without ``message_zh``), or the reader reads English.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pipeline import i18n
from pipeline.i18n import N_
from pipeline.rules.messages import fill, placeholders

if TYPE_CHECKING:
    from pipeline.catalog import Catalog

KEY = "wording"  # the key in Violation.to_dict() and in the stored evidence JSON
KINDS: tuple[str, ...] = ("sku", "brand", "category")
SEVERITY_WORDS: dict[str, str] = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}


@dataclass(frozen=True)
class Name:
    """A catalog id said by its name in the reader's language; ``en``: the English words."""

    kind: Literal["sku", "brand", "category"]
    id: str
    en: str


@dataclass(frozen=True)
class Say:
    """A fragment said in the reader's language: an English template (a catalog message id,
    marked with ``N_``) with its values (plain, :class:`Name` or :class:`Say`)."""

    template: str
    values: Mapping[str, Any] = field(default_factory=dict)


def to_json(value: Any) -> Any:
    """A value as plain JSON (see the module docstring)."""
    if isinstance(value, Say):
        out: dict[str, Any] = {"say": value.template}
        if value.values:
            out["values"] = {k: to_json(v) for k, v in value.values.items()}
        return out
    if isinstance(value, Name):
        return {value.kind: value.id, "en": value.en}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def wording(template: str, values: Mapping[str, Any], template_zh: str | None = None
            ) -> dict[str, Any]:
    """The JSON wording of a message: only the values its template(s) use."""
    used = set(placeholders(template)) | set(placeholders(template_zh or ""))
    out: dict[str, Any] = {"template": template}
    if template_zh:
        out["template_zh"] = template_zh
    out["values"] = {k: to_json(v) for k, v in values.items() if k in used}
    return out


def say(template: str, values: Mapping[str, Any], lang: str,
        catalog: Catalog | None = None) -> str:
    """``template`` (English, already in ``lang``) filled with JSON ``values`` said in
    ``lang``."""
    return fill(template, {k: said(v, lang, catalog) for k, v in (values or {}).items()})


def said(value: Any, lang: str, catalog: Catalog | None = None) -> str:
    """One JSON value in ``lang`` (``"en"`` gives exactly the words of the stored message)."""
    if isinstance(value, Mapping):
        if "say" in value:
            template = str(value["say"])
            return say(i18n.translations(lang).gettext(template), value.get("values") or {},
                       lang, catalog)
        kind = next((k for k in KINDS if k in value), None)
        if kind is not None:
            return _name(str(value[kind]), str(value.get("en") or value[kind]), lang, catalog)
    return "" if value is None else str(value)


def _name(item: str, english: str, lang: str, catalog: Catalog | None) -> str:
    if lang == "en":
        return english
    from pipeline.catalog import display_name

    found = display_name(item, lang, catalog)
    return english if found == item else found  # not in the catalog (now): the words it had


def _parts(violation: Any) -> tuple[str, Mapping[str, Any] | None]:
    """(stored English message, wording) of a Violation, its ``to_dict()``, a stored row (a
    mapping, a pandas row or a named tuple with ``message`` and ``evidence``)."""
    get = violation.get if hasattr(violation, "get") else \
        (lambda name, default=None: getattr(violation, name, default))
    message = get("message", "")
    found = get(KEY, None)
    if found is None:
        evidence = get("evidence", None)
        found = evidence.get(KEY) if isinstance(evidence, Mapping) else None
    message = "" if message is None or message != message else str(message)  # NaN from pandas
    return message, found if isinstance(found, Mapping) else None


def violation_text(violation: Any, lang: str | None = None,
                   catalog: Catalog | None = None) -> str:
    """A violation's message in the reader's language (``lang``, default the current one).

    ``violation``: a :class:`~pipeline.rules.result.Violation`, its ``to_dict()``, or a stored
    ``violations`` row (a mapping, pandas row or named tuple with ``message`` and ``evidence``).
    Names come from ``catalog`` (default: the catalog in force). Falls back to the stored
    English message; never raises.
    """
    message, found = _parts(violation)
    code = i18n.normalize(lang) or i18n.current()
    try:
        if not found or not found.get("template"):
            return message
        template = str(found["template"])
        if code == "en":
            return message or say(template, found.get("values") or {}, "en", catalog)
        own = found.get(f"template_{code}")
        translated = str(own) if own else i18n.translations(code).gettext(template)
        if translated == template and not own:
            return message or say(template, found.get("values") or {}, "en", catalog)
        return say(translated, found.get("values") or {}, code, catalog)
    except Exception:  # noqa: BLE001 - a stored wording that cannot be said: the stored words
        return message
