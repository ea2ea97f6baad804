"""The rule book: the rules in force for each store and camera, built in one place.

Every path that judges a photo — scheduled runs, uploads, the Rules page's what-if, ``shelfaudit
check`` and the API's rules check — builds a :class:`RuleBook` with :func:`build` from the same
things and asks it for a camera's rules, planogram and zones:

- the rule texts (:class:`RuleText`): the rule files as on disk, the saved versions a run uses in
  place of broken files, or an edited text being previewed;
- the stores (``stores.yaml`` as :class:`~pipeline.rules.schema.Store`) and the planograms;
- the catalog.

:func:`build` reads nothing and writes nothing; the edges read the files
(:mod:`pipeline.rulebook.in_force` for runs and uploads, :func:`pipeline.rules.config.load_config`
for ``check``, :mod:`pipeline.queries.what_if` for the preview).

Which files reach a camera, in the order they apply:

1. the shared rule sets (``rules/*.yaml``) whose ``applies_to`` matches the store and camera, by
   ``priority``, then file name;
2. then the store's own files (``rules/stores/<store id>/*.yaml``), which reach that store only
   (their ``applies_to`` may narrow the cameras, never name another store), by ``priority``,
   then file name.

A later file's rule replaces an earlier rule with the same id, and ``enabled: false`` switches
it off — so a store's own file may replace or switch off a shared rule for that store alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from pipeline import i18n, yamldoc
from pipeline.yamldoc import Problem, YamlFileError

if TYPE_CHECKING:  # the engine pulls in numpy and supervision; building a book needs neither
    from pipeline.catalog import Catalog
    from pipeline.detections import PhotoDetections
    from pipeline.planogram import Planogram, Zone
    from pipeline.rules.loading import RuleSet
    from pipeline.rules.registry import Rule
    from pipeline.rules.result import ComplianceResult
    from pipeline.rules.schema import Camera, Store

STORE_FOLDER = "stores"  # rules/stores/<store id>/*.yaml: a store's own rule files


def owner_of(name: str) -> str | None:
    """The store whose own folder holds rule file ``name`` (relative to the rules folder:
    ``stores/s001/late.yaml`` -> ``s001``), ``None`` for a shared file."""
    parts = PurePosixPath(name).parts
    return parts[1] if len(parts) == 3 and parts[0] == STORE_FOLDER else None


def store_file(store: str, file_name: str) -> str:
    """The name of a store's own rule file: ``stores/<store>/<file_name>``."""
    return f"{STORE_FOLDER}/{store}/{file_name}"


@dataclass(frozen=True)
class RuleText:
    """One rule file's text as a book uses it.

    ``name`` is relative to the rules folder (``general.yaml``, ``stores/s001/late.yaml``);
    ``version_id`` is its ``rule_set_versions`` row when known; ``from_saved`` says a saved
    version stands in for a broken file.
    """

    name: str
    text: str
    version_id: int | None = None
    from_saved: bool = False


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def combined_hash(texts: Iterable[RuleText]) -> str:
    """One hash over the names and contents of ``texts`` (what a verdict was judged with)."""
    digest = hashlib.sha256()
    for t in texts:
        digest.update(t.name.encode() + b"\0" + content_hash(t.text).encode() + b"\0")
    return digest.hexdigest()


def parse_text(text: str, name: str, lang: str | None = None
               ) -> tuple[RuleSet | None, tuple[Problem, ...]]:
    """``(rule set, problems)`` of one rule-set text; the set is ``None`` when any problem is
    an error (cached by content: runs and pages read the same texts again and again). The
    problems are worded in ``lang`` (default: the reader's language)."""
    return _parse_text(text, name, i18n.normalize(lang) or i18n.current())


@lru_cache(maxsize=256)
def _parse_text(text: str, name: str, lang: str) -> tuple[RuleSet | None, tuple[Problem, ...]]:
    from pipeline.rules.loading import parse_rule_set

    with i18n.using(lang):
        try:
            doc = yamldoc.loads(text, name)
        except YamlFileError as exc:
            return None, tuple(exc.problems)
        rule_set, problems = parse_rule_set(doc, name, owner=owner_of(name))
    errors = [p for p in problems if p.severity == "error"]
    return (None if errors else rule_set), tuple(problems)


def check_text(text: str, name: str, lang: str | None = None) -> list[str]:
    """The errors of one rule-set text, as ``file:line:col: message`` lines (empty = valid),
    worded in ``lang`` (default: the reader's language)."""
    return [str(p) for p in parse_text(text, name, lang)[1] if p.severity == "error"]


@dataclass(frozen=True)
class Entry:
    """One valid rule file in a book."""

    text: RuleText
    rule_set: RuleSet
    owner: str | None  # the store of a rules/stores/<id>/ file

    def reaches(self, store: str | None, camera: str | None) -> bool:
        if self.owner is not None and store != self.owner:
            return False
        return self.rule_set.applies_to.matches(store, camera)


def order_key(rule_set: RuleSet) -> tuple[bool, int, str]:
    """Rule sets apply in this order: the shared ones, then a store's own; each by
    ``priority``, then file name."""
    return rule_set.owner is not None, rule_set.priority, PurePosixPath(rule_set.path).name


def rules_in_force(rule_sets: Iterable[RuleSet]) -> list[Rule]:
    """The enabled rules of ``rule_sets`` taken in the order given: a later set's rule
    replaces an earlier rule of the same id, so ``enabled: false`` switches that one off."""
    merged: dict[str, Rule] = {}
    for rule_set in rule_sets:
        for rule in rule_set.rules:
            merged[rule.id] = rule
    return [r for r in merged.values() if r.enabled]


@dataclass
class RuleBook:
    """The rules in force, by store and camera (build it with :func:`build`).

    Picklable: a run may judge its photos in other processes.
    """

    entries: tuple[Entry, ...]  # valid files in the order they apply (shared, then own)
    stores: dict[str, Store]  # planograms resolved
    catalog: Catalog | None
    invalid: dict[str, tuple[Problem, ...]]  # files left out: name -> their problems
    selectors: bool = True  # False: every file reaches every photo, in the order given
    notes: dict[str, str] = field(default_factory=dict)  # file name -> why a saved version
    _rules: dict[tuple[str | None, str | None], list[Rule]] = field(default_factory=dict,
                                                                      repr=False)

    # -- what is in force -------------------------------------------------------------------
    def entries_for(self, store: str | None, camera: str | None) -> list[Entry]:
        """The files that reach ``store``/``camera``, in the order they apply."""
        if not self.selectors:
            return list(self.entries)
        return [e for e in self.entries if e.reaches(store, camera)]

    def rules_for(self, store: str | None, camera: str | None) -> list[Rule]:
        """The enabled rules in force for a camera (later files replace rules by id)."""
        key = (store, camera)
        if key not in self._rules:
            self._rules[key] = rules_in_force(e.rule_set for e in self.entries_for(store, camera))
        return self._rules[key]

    def camera(self, store: str | None, camera: str | None) -> Camera | None:
        found = self.stores.get(store or "")
        return found.cameras.get(camera or "") if found else None

    def planogram_for(self, store: str | None, camera: str | None) -> Planogram | None:
        from pipeline.planogram import Planogram

        cam = self.camera(store, camera)
        return cam.planogram if cam is not None and isinstance(cam.planogram, Planogram) \
            else None

    def zones_for(self, store: str | None, camera: str | None) -> list[Zone]:
        """The camera's zones: its planogram's, then its own (which win by id)."""
        cam = self.camera(store, camera)
        if cam is None:
            return []
        plan = self.planogram_for(store, camera)
        zones = {z.id: z for z in (plan.zones if plan else [])}
        zones.update({z.id: z for z in cam.zones})
        return list(zones.values())

    def reach(self, name: str) -> list[tuple[str, str]]:
        """The (store, camera) pairs of ``stores.yaml`` that file ``name`` reaches."""
        return [(s.id, c) for s in self.stores.values() for c in s.cameras
                if any(e.text.name == name for e in self.entries_for(s.id, c))]

    # -- judging ----------------------------------------------------------------------------
    def judge(self, photo: PhotoDetections, store: str | None = None, camera: str | None = None,
              *, planogram: Planogram | None = None, trust_shelf: bool = False
              ) -> ComplianceResult:
        """Judge a photo with the rules, planogram and zones of ``store``/``camera`` (default:
        the photo's own); ``planogram`` replaces the camera's."""
        from pipeline.rules.engine import evaluate

        if self.catalog is None:
            raise ValueError("a rule book built without a catalog cannot judge photos")
        store = photo.store if store is None else store
        camera = photo.camera if camera is None else camera
        return evaluate(photo, self.rules_for(store, camera), self.catalog,
                        planogram or self.planogram_for(store, camera),
                        self.zones_for(store, camera), trust_shelf=trust_shelf)

    def for_store(self, store: str | None) -> StoreRules:
        """The book as one store's runs and uploads use it (``None``: an ad-hoc photo)."""
        return StoreRules(self, store)

    # -- new books from this one ------------------------------------------------------------
    def only(self, texts: Sequence[RuleText]) -> RuleBook:
        """A book with these texts applied to every photo in the order given (selectors
        ignored: the files were asked for explicitly), same stores and catalog."""
        return build(texts, self.stores.values(), self.catalog, selectors=False)


class StoreRules:
    """One store's part of a book: what a run or an upload needs (see
    :class:`pipeline.rulebook.in_force.StoreRules`): a verdict per photo, and the versions,
    hash and problems of the files that reach the store."""

    def __init__(self, book: RuleBook, store: str | None) -> None:
        self.book, self.store = book, store
        spec = book.stores.get(store or "")
        cameras = list(spec.cameras) if spec is not None and spec.cameras else ["*"]
        if store is None:
            cameras = [None]
        used = [e.text for e in book.entries
                if any(e.reaches(store, c) for c in cameras)]
        self.texts = used
        self.hash = combined_hash(used)
        self.versions = {t.name: t.version_id for t in used}
        self.problems = [book.notes[t.name] for t in used if t.name in book.notes]

    def rules_for(self, camera: str | None) -> list[Rule]:
        return self.book.rules_for(self.store, camera if self.store else None)

    def evaluate(self, detections: PhotoDetections, camera: str | None) -> dict[str, Any]:
        """``ComplianceResult.to_dict()`` of the photo as this store's ``camera`` (an ad-hoc
        photo, with no store, gets the rule sets that apply everywhere)."""
        return self.book.judge(detections, self.store, camera if self.store else None
                               ).to_dict()


def build(texts: Iterable[RuleText], stores: Iterable[Store] = (),
          catalog: Catalog | None = None, *, planograms: Mapping[str, Planogram] | None = None,
          selectors: bool = True, notes: Mapping[str, str] | None = None) -> RuleBook:
    """The rule book of these rule texts, stores and catalog (pure: no files, no database).

    Args:
        texts: rule-set texts, names relative to the rules folder. A text with errors is left
            out and listed in ``RuleBook.invalid``.
        stores: the stores; with ``planograms``, their cameras' planogram ids are resolved.
        catalog: the product catalog (needed to judge photos).
        selectors: ``False`` applies every text to every photo in the order given.
        notes: per file name, why a saved version stands in for it (shown with the runs).
    """
    valid, invalid = [], {}
    for text in texts:
        rule_set, problems = parse_text(text.text, text.name)
        if rule_set is None:
            invalid[text.name] = problems
        else:
            valid.append(Entry(text, rule_set, owner_of(text.name) if selectors else None))
    if selectors:
        valid.sort(key=lambda e: order_key(e.rule_set))
    resolved = [s.resolved(planograms) if planograms is not None else s for s in stores]
    return RuleBook(tuple(valid), {s.id: s for s in resolved}, catalog, invalid, selectors,
                    dict(notes or {}))


def folder_names(folder: Path, paths: Iterable[Path]) -> list[str]:
    """Names of rule files relative to the rules folder (as given when outside it)."""
    out = []
    for path in paths:
        try:
            out.append(path.resolve().relative_to(folder.resolve()).as_posix())
        except ValueError:
            out.append(str(path))
    return out
