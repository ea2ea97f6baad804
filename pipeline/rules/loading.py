"""Reading rule files into validated objects, with every problem located to file:line:col.

Nothing here raises on a bad file: ``load_*`` return ``(value or None, problems)``. Problems
with ``severity="warning"`` (a selector that matches no camera ...) do not make a file unusable.
:func:`check_references` reports SKUs, brands, categories, zones and planograms that do not
exist, pointing at the line that names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pipeline import yamldoc
from pipeline.i18n import N_, _
from pipeline.planogram import Planogram
from pipeline.rules.registry import Rule
from pipeline.rules.schema import RuleSetHeader, Selector, StoresFile
from pipeline.rules.types import rule_types
from pipeline.yamldoc import Problem, YamlFileError, suggest


@dataclass(frozen=True)
class RuleSet:
    """One rule set file, validated."""

    name: str
    path: str
    applies_to: Selector
    priority: int
    rules: tuple[Rule, ...]
    doc: Any = None  # the parsed YAML (positions for reference problems)
    owner: str | None = None  # the store of a rules/stores/<id>/ file (reaches it alone)

    def rule_index(self, rule_id: str) -> int:
        return next(i for i, r in enumerate(self.rules) if r.id == rule_id)


# Why a rule set without rules is refused (an empty file would silently drop its rules).
NO_RULES = N_("a rule set needs at least one rule under 'rules:' (to switch a rule off, keep "
              "it with enabled: false; to retire the file, delete it)")


@lru_cache(maxsize=128)
def _parse_clean(text: str) -> Any:
    """Parsed YAML of a text that parses without problems (cached: ruamel is slow and the same
    files are read again and again). Callers must not change the returned document."""
    return yamldoc.loads(text, "<cached>")


def read_yaml(path: str | Path) -> tuple[Any, list[Problem]]:
    """A YAML file's parsed document and its problems (located to ``path``); never raises."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
        if len(raw) <= yamldoc.MAX_BYTES:
            try:
                return _parse_clean(raw.decode("utf-8")), []
            except (UnicodeDecodeError, YamlFileError):
                pass  # re-read below for problems that name this file
        return yamldoc.load(path, name), []
    except YamlFileError as exc:
        return None, exc.problems
    except OSError as exc:
        return None, [Problem(name, 0, 0, yamldoc.cannot_read(exc))]


def model_problems(exc: ValidationError, model: type[BaseModel], doc: Any, name: str,
                   prefix: tuple[str | int, ...] = (), label: str = "") -> list[Problem]:
    """Located, plain problems of a pydantic error (with 'did you mean' for unknown fields),
    explained in the reader's language (:func:`pipeline.yamldoc.explain`)."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        line, col = yamldoc.locate(doc, (*prefix, *loc))
        field = ".".join(str(p) for p in loc)
        msg = yamldoc.explain(err)
        if err["type"] == "extra_forbidden":
            msg = yamldoc.unknown_field(loc[-1], list(model.model_fields))
            field = ""
        elif err["type"] == "missing":
            msg = yamldoc.missing_field(loc[-1])
            field = ""
        text = f"{field}: {msg}" if field else msg
        problems.append(Problem(name, line, col, f"{label}{text}"))
    return problems


def parse_rule(entry: Any, doc: Any, name: str, index: int) -> tuple[Rule | None, list[Problem]]:
    """Validate one ``rules:`` entry against its type's class."""
    where = ("rules", index)
    if not isinstance(entry, dict):
        line, col = yamldoc.locate(doc, where)
        return None, [Problem(name, line, col, _("each rule must be a mapping with id and "
                                                 "type"))]
    label = _("rule '{id}': ").format(id=entry["id"]) if isinstance(entry.get("id"), str) else ""
    kind = entry.get("type")
    types = rule_types()
    if kind not in types:
        line, col = yamldoc.locate(doc, (*where, "type"))
        msg = (_("unknown rule type '{type}'").format(type=kind)
               + suggest(str(kind), sorted(types)) if kind else yamldoc.missing_field("type"))
        return None, [Problem(name, line, col, label + msg)]
    cls = types[kind]
    try:
        return cls.model_validate(yamldoc.to_plain(entry)), []
    except ValidationError as exc:
        return None, model_problems(exc, cls, doc, name, where, label)


def _owner_problems(doc: Any, name: str, owner: str) -> list[Problem]:
    """A store's own file (rules/stores/<id>/) reaches that store only: its ``applies_to``
    may narrow the cameras but not name another store (nor a pattern)."""
    where = doc.get("applies_to") if isinstance(doc, dict) else None
    stores = where.get("stores") if isinstance(where, dict) else None
    if stores is None:
        return []
    entries = [(("applies_to", "stores"), stores)] if isinstance(stores, str) else \
        [(("applies_to", "stores", j), s) for j, s in enumerate(stores)]
    problems = []
    for path, pattern in entries:
        if pattern != owner:
            line, col = yamldoc.locate(doc, path)
            problems.append(Problem(name, line, col, _(
                "applies_to stores: '{pattern}' — a file in stores/{owner}/ reaches store "
                "{owner} only; remove 'stores:' (or write [{owner}])").format(
                    pattern=pattern, owner=owner)))
    return problems


def parse_rule_set(doc: Any, name: str, owner: str | None = None
                   ) -> tuple[RuleSet | None, list[Problem]]:
    """Validate a parsed rule set document (``owner``: the store of a rules/stores/<id>/
    file, whose selector may not name another store).

    Returns the rule set (with the rules that are valid) whenever the file's top level is
    valid, plus the problems found; callers refuse to use a set that has problems.
    """
    if doc is None:
        return None, [Problem(name, 1, 1, _("the rule set is empty; {why}").format(
            why=_(NO_RULES)))]
    if not isinstance(doc, dict):
        return None, [Problem(name, 1, 1, _("a rule set must be a mapping with a 'rules' "
                                            "list"))]
    try:
        header = RuleSetHeader.model_validate(yamldoc.to_plain(doc))
    except ValidationError as exc:
        return None, model_problems(exc, RuleSetHeader, doc, name)
    if not header.rules:
        line, col = yamldoc.locate(doc, ("rules",)) if "rules" in doc else (1, 1)
        return None, [Problem(name, line, col, _("the rule set has no rules; {why}").format(
            why=_(NO_RULES)))]
    problems: list[Problem] = _owner_problems(doc, name, owner) if owner else []
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(doc.get("rules") or []):
        rule, found = parse_rule(entry, doc, name, i)
        problems += found
        if rule is None:
            continue
        if rule.id in seen:
            line, col = yamldoc.locate(doc, ("rules", i, "id"))
            problems.append(Problem(name, line, col, _(
                "rule id '{id}' is used twice in this file (first at rule {first})").format(
                    id=rule.id, first=seen[rule.id] + 1)))
            continue
        seen[rule.id] = i
        rules.append(rule)
    stem = Path(name).stem
    rule_set = RuleSet(header.name or stem, name, header.applies_to, header.priority,
                       tuple(rules), doc, owner)
    return rule_set, problems


@dataclass(frozen=True)
class Loaded:
    """A file's validated value (``None`` when unusable), its parsed YAML and its problems."""

    name: str
    value: Any
    doc: Any
    problems: tuple[Problem, ...] = ()


def _load_model(path: str | Path, model: type[BaseModel]) -> Loaded:
    doc, problems = read_yaml(path)
    if problems:
        return Loaded(str(path), None, None, tuple(problems))
    try:
        return Loaded(str(path), model.model_validate(yamldoc.to_plain(doc) or {}), doc)
    except ValidationError as exc:
        return Loaded(str(path), None, doc, tuple(model_problems(exc, model, doc, str(path))))


def load_rule_set(path: str | Path, owner: str | None = None) -> Loaded:
    """A rule set file (``value`` is a :class:`RuleSet`; ``owner``: see :func:`parse_rule_set`)."""
    doc, problems = read_yaml(path)
    if problems:
        return Loaded(str(path), None, None, tuple(problems))
    rule_set, problems = parse_rule_set(doc, str(path), owner)
    return Loaded(str(path), rule_set, doc, tuple(problems))


def load_stores(path: str | Path) -> Loaded:
    """``stores.yaml`` (``value`` is a :class:`~pipeline.rules.schema.StoresFile`)."""
    return _load_model(path, StoresFile)


def load_planogram(path: str | Path) -> Loaded:
    """One planogram file (``value`` is a :class:`~pipeline.planogram.Planogram`)."""
    return _load_model(path, Planogram)


def load_planograms(folder: str | Path) -> list[Loaded]:
    """Every ``*.yaml`` planogram file in ``folder`` (sorted by name)."""
    folder = Path(folder)
    return [load_planogram(p) for p in sorted(folder.glob("*.yaml"))] if folder.is_dir() else []


def references_in(rule: Rule) -> list[tuple[str, tuple[str | int, ...], str]]:
    """(kind, path inside the rule, value) of every catalog reference a rule makes."""
    kinds = {"sku": "sku", "skus": "sku", "brand": "brand", "brands": "brand", "owner": "brand",
             "category": "category", "categories": "category"}
    out = []
    for field, kind in kinds.items():
        value = getattr(rule, field, None)
        if isinstance(value, str):
            out.append((kind, (field,), value))
        elif isinstance(value, list):
            out += [(kind, (field, j), v) for j, v in enumerate(value)]
    return out
