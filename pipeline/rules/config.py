"""The rules folder as a whole: catalog, stores.yaml, planograms/, rule sets — and their checks.

:func:`validate` reports every problem (syntax, schema, unknown references) located to
file:line:col and never raises. :func:`load_config` gives a :class:`RulesConfig` that answers
"which planogram, zones and rules apply to camera X of store Y" (or raises
:class:`~pipeline.yamldoc.YamlFileError` listing the problems).

Rule sets apply in order of ``priority``, then file name; a rule whose id an earlier set
already used replaces it (``enabled: false`` switches it off).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import yamldoc
from pipeline.catalog import Catalog, parse_catalog
from pipeline.i18n import N_, _
from pipeline.planogram import Planogram, Zone
from pipeline.rules.book import (
    STORE_FOLDER,
    RuleBook,
    RuleText,
    build,
    folder_names,
    order_key,
    owner_of,
    rules_in_force,
)
from pipeline.rules.loading import (
    Loaded,
    RuleSet,
    load_planogram,
    load_planograms,
    load_rule_set,
    load_stores,
    read_yaml,
    references_in,
)
from pipeline.rules.registry import Rule
from pipeline.rules.schema import Camera, StoresFile
from pipeline.yamldoc import Problem, YamlFileError, suggest

if TYPE_CHECKING:  # the engine pulls in numpy and supervision; validating rules needs neither
    from pipeline.detections import PhotoDetections
    from pipeline.rules.result import ComplianceResult

SPECIAL_FILES = ("catalog.yaml", "stores.yaml")
SYNTHETIC_CAMERA = "synthetic"  # camera id of photos made by ``shelfaudit synth``


@dataclass
class Gathered:
    """Everything read from a rules folder (or named files), before cross-checks."""

    catalog: Loaded
    stores: Loaded | None
    planograms: list[Loaded] = field(default_factory=list)
    rule_sets: list[Loaded] = field(default_factory=list)


def _load_catalog(path: Path) -> Loaded:
    doc, problems = read_yaml(path)
    if problems:
        return Loaded(str(path), None, None, tuple(problems))
    try:
        return Loaded(str(path), parse_catalog(doc, str(path)), doc)
    except YamlFileError as exc:
        return Loaded(str(path), None, doc, tuple(exc.problems))


def rule_set_files(folder: Path, store: str | None = "*") -> list[Path]:
    """The rule-set files of a rules folder: the shared ones (``*.yaml`` but the catalog and
    stores.yaml), then the stores' own (``stores/<id>/*.yaml``) — of every store (``"*"``),
    of one store, or of none (``None``)."""
    shared = [p for p in sorted(folder.glob("*.yaml")) if p.name not in SPECIAL_FILES]
    if store is None:
        return shared
    own = sorted(folder.glob(f"{STORE_FOLDER}/{'*' if store == '*' else store}/*.yaml"))
    return shared + [p for p in own if p.is_file()]


def rule_texts(folder: Path, store: str | None = "*") -> list[RuleText]:
    """The rule-set texts of a rules folder as on disk (names relative to it)."""
    paths = rule_set_files(folder, store)
    return [RuleText(name, p.read_text(encoding="utf-8", errors="replace"))
            for name, p in zip(folder_names(folder, paths), paths, strict=True)]


def gather(folder: Path, files: Sequence[Path] | None = None) -> Gathered:
    """Read the folder's catalog, stores and planograms, and the rule sets (or ``files``)."""
    stores_path = folder / "stores.yaml"
    got = Gathered(_load_catalog(folder / "catalog.yaml"),
                   load_stores(stores_path) if stores_path.exists() else None,
                   load_planograms(folder / "planograms"))
    extra_planograms = []
    for path in files if files is not None else rule_set_files(folder):
        if path.name == "catalog.yaml":
            got.catalog = _load_catalog(path)
        elif path.name == "stores.yaml":
            got.stores = load_stores(path)
        elif path.parent.name == "planograms":
            extra_planograms.append(load_planogram(path))
        else:
            got.rule_sets.append(load_rule_set(path, owner_of(folder_names(folder, [path])[0])))
    if extra_planograms:
        named = {p.name for p in extra_planograms}
        got.planograms = [p for p in got.planograms if p.name not in named] + extra_planograms
    return got


def _planogram_ids(got: Gathered) -> dict[str, Planogram]:
    return {p.value.id: p.value for p in got.planograms if p.value is not None}


UNKNOWN_REFERENCE = {"sku": N_("unknown sku '{value}'"), "brand": N_("unknown brand '{value}'"),
                     "category": N_("unknown category '{value}'")}


def _catalog_ref(catalog: Catalog, kind: str, value: str) -> str | None:
    """An 'unknown ...' message, or ``None`` when the catalog has ``value``."""
    ids = {"sku": catalog.by_id, "brand": catalog.brand_by_id,
           "category": catalog.category_by_id}[kind]
    if value in ids:
        return None
    return _(UNKNOWN_REFERENCE[kind]).format(value=value) + suggest(value, sorted(ids))


def _planogram_problems(p: Planogram, catalog: Catalog, doc: object, name: str,
                        prefix: tuple = ()) -> list[Problem]:
    problems = []
    for si, shelf in enumerate(p.shelves):
        for bi, block in enumerate(shelf.blocks):
            msg = _catalog_ref(catalog, "sku", block.sku)
            if msg:
                line, col = yamldoc.locate(doc, (*prefix, "shelves", si, "blocks", bi, "sku"))
                problems.append(Problem(name, line, col, _("planogram '{id}': {problem}").format(
                    id=p.id, problem=msg)))
    problems += _zone_problems(p.zones, catalog, doc, name, (*prefix, "zones"))
    return problems


def _zone_problems(zones: list[Zone], catalog: Catalog, doc: object, name: str,
                   prefix: tuple) -> list[Problem]:
    problems = []
    for zi, zone in enumerate(zones):
        for kind in ("brand", "category"):
            value = getattr(zone, kind)
            msg = _catalog_ref(catalog, kind, value) if value else None
            if msg:
                line, col = yamldoc.locate(doc, (*prefix, zi, kind))
                problems.append(Problem(name, line, col, _("zone '{id}': {problem}").format(
                    id=zone.id, problem=msg)))
    return problems


def _stores_problems(loaded: Loaded, catalog: Catalog,
                     planograms: dict[str, Planogram]) -> list[Problem]:
    stores: StoresFile = loaded.value
    problems = _alert_problems(loaded)
    for si, store in enumerate(stores.stores):
        for ci, camera in enumerate(store.cameras.values()):
            where = ("stores", si, "cameras", ci)
            if isinstance(camera.planogram, str) and camera.planogram not in planograms:
                line, col = yamldoc.locate(loaded.doc, (*where, "planogram"))
                problems.append(Problem(loaded.name, line, col, _(
                    "camera '{camera}': unknown planogram '{planogram}'{suggestion} (planograms "
                    "live in rules/planograms/*.yaml)").format(
                        camera=f"{store.id}/{camera.id}", planogram=camera.planogram,
                        suggestion=suggest(camera.planogram, sorted(planograms)))))
            elif isinstance(camera.planogram, Planogram):
                problems += _planogram_problems(camera.planogram, catalog, loaded.doc,
                                                loaded.name, (*where, "planogram"))
            problems += _zone_problems(camera.zones, catalog, loaded.doc, loaded.name,
                                       (*where, "zones"))
    return problems


def _alert_problems(loaded: Loaded) -> list[Problem]:
    """E-mail alert channels need the file's ``smtp:`` block."""
    stores: StoresFile = loaded.value
    problems = []
    for si, store in enumerate(stores.stores):
        for ci, channel in enumerate(store.alerts.channels if store.alerts else []):
            if channel.type == "email" and stores.smtp is None:
                line, col = yamldoc.locate(loaded.doc, ("stores", si, "alerts", "channels", ci,
                                                        "type"))
                problems.append(Problem(loaded.name, line, col, _(
                    "store '{store}': an email channel needs the mail server: add an "
                    "'smtp:' block (host, sender, ...) at the top of stores.yaml").format(
                        store=store.id)))
    return problems


def camera_zones(camera: Camera, planograms: dict[str, Planogram]) -> dict[str, Zone]:
    plan = planograms.get(camera.planogram) if isinstance(camera.planogram, str) \
        else camera.planogram
    zones = {z.id: z for z in (plan.zones if plan else [])}
    zones.update({z.id: z for z in camera.zones})
    return zones


NO_MATCH = {"stores": N_("applies_to stores: '{pattern}' matches no store in stores.yaml"),
            "cameras": N_("applies_to cameras: '{pattern}' matches no camera in stores.yaml")}


def _selector_problems(rule_set: RuleSet, cameras: list[tuple[str, Camera]]) -> list[Problem]:
    """Warnings for store/camera patterns that match nothing in stores.yaml (likely typos)."""
    problems = []
    if rule_set.owner is not None and rule_set.owner not in {s for s, _ in cameras}:
        return [Problem(rule_set.path, 1, 1, _(
            "store '{store}' is not in stores.yaml: this file reaches no camera").format(
                store=rule_set.owner), severity="warning")]
    known = {"stores": {s for s, _ in cameras},
             "cameras": {c.id for _, c in cameras} | {SYNTHETIC_CAMERA}}
    for kind in ("stores", "cameras"):
        for j, pattern in enumerate(getattr(rule_set.applies_to, kind)):
            if not any(fnmatchcase(i, pattern) for i in known[kind]):
                line, col = yamldoc.locate(rule_set.doc, ("applies_to", kind, j))
                problems.append(Problem(
                    rule_set.path, line, col,
                    _(NO_MATCH[kind]).format(pattern=pattern)
                    + suggest(pattern, sorted(known[kind])), severity="warning"))
    return problems


def _rule_set_problems(rule_set: RuleSet, catalog: Catalog | None,
                       cameras: list[tuple[str, Camera]],
                       planograms: dict[str, Planogram]) -> list[Problem]:
    if rule_set.owner is not None:  # a store's own file: that store's cameras only
        cameras = [(s, c) for s, c in cameras if s == rule_set.owner]
    problems = _selector_problems(rule_set, cameras)
    matched = [(s, c) for s, c in cameras if rule_set.applies_to.matches(s, c.id)]
    entries = rule_set.doc.get("rules") if isinstance(rule_set.doc, dict) else None
    for rule in rule_set.rules:
        index = next((i for i, e in enumerate(entries or []) if isinstance(e, dict)
                      and e.get("id") == rule.id), 0)
        for kind, path, value in references_in(rule) if catalog else []:
            msg = _catalog_ref(catalog, kind, value)
            if msg:
                line, col = yamldoc.locate(rule_set.doc, ("rules", index, *path))
                problems.append(Problem(rule_set.path, line, col, _(
                    "rule '{id}': {problem}").format(id=rule.id, problem=msg)))
        if rule.zone and matched:
            zones = set().union(*(camera_zones(c, planograms) for _, c in matched))
            if rule.zone not in zones:
                line, col = yamldoc.locate(rule_set.doc, ("rules", index, "zone"))
                problems.append(Problem(rule_set.path, line, col, _(
                    "rule '{id}': zone '{zone}' is not defined for any camera this rule set "
                    "applies to").format(id=rule.id, zone=rule.zone)
                    + suggest(rule.zone, sorted(zones))))
    return problems


def check(got: Gathered) -> list[Problem]:
    """Every problem of the gathered files: their own, then unknown references."""
    problems = list(got.catalog.problems)
    catalog: Catalog | None = got.catalog.value
    for loaded in [*got.planograms, *([got.stores] if got.stores else []), *got.rule_sets]:
        problems += loaded.problems
    planograms = _planogram_ids(got)
    if catalog is not None:
        for loaded in got.planograms:
            if loaded.value is not None:
                problems += _planogram_problems(loaded.value, catalog, loaded.doc, loaded.name)
        if got.stores is not None and got.stores.value is not None:
            problems += _stores_problems(got.stores, catalog, planograms)
    stores: StoresFile | None = got.stores.value if got.stores else None
    cameras = stores.cameras() if stores else []
    for loaded in got.rule_sets:
        if loaded.value is not None:
            problems += _rule_set_problems(loaded.value, catalog, cameras, planograms)
    return problems


def validate(files: Sequence[str | Path] | None = None,
             folder: str | Path | None = None) -> list[Problem]:
    """All problems of the rules folder, or of ``files`` checked against it. Never raises."""
    base = Path(folder) if folder is not None else _default_folder()
    paths = [Path(f) for f in files] if files else None
    if paths and folder is None and (paths[0].parent / "catalog.yaml").exists():
        base = paths[0].parent
    return check(gather(base, paths))


def _default_folder() -> Path:
    from pipeline.settings import get_settings

    return get_settings().rules_dir


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def ordered(rule_sets: Iterable[RuleSet]) -> list[RuleSet]:
    """Rule sets in the order they apply (:func:`pipeline.rules.book.order_key`)."""
    return sorted(rule_sets, key=order_key)


def merge_rules(rule_sets: Iterable[RuleSet], store: str | None = None,
                camera: str | None = None, use_selectors: bool = True) -> list[Rule]:
    """The rules in force: sets by priority and file name, later ones replacing earlier
    rules by id (see :func:`rules_in_force`)."""
    return rules_in_force(s for s in ordered(rule_sets) if not use_selectors or (
        s.applies_to.matches(store, camera) and s.owner in (None, store)))


@dataclass
class RulesConfig:
    """A validated rules folder and its rule book (:mod:`pipeline.rules.book`)."""

    folder: Path
    catalog: Catalog
    stores: StoresFile
    planograms: dict[str, Planogram]
    rule_sets: list[RuleSet]
    book: RuleBook

    def camera(self, store: str | None, camera: str | None) -> Camera | None:
        return self.stores.camera(store, camera)

    def planogram_for(self, store: str | None, camera: str | None) -> Planogram | None:
        return self.book.planogram_for(store, camera)

    def zones_for(self, store: str | None, camera: str | None) -> list[Zone]:
        return self.book.zones_for(store, camera)

    def rules_for(self, store: str | None, camera: str | None) -> list[Rule]:
        return self.book.rules_for(store, camera)

    def evaluate(self, photo: PhotoDetections) -> ComplianceResult:
        """Check a photo against the rules, planogram and zones of its store and camera."""
        return self.book.judge(photo)


def book_of(got: Gathered, texts: Sequence[RuleText]) -> RuleBook:
    """The rule book of gathered files (which must be error-free) and their rule texts."""
    stores = got.stores.value if got.stores and got.stores.value else StoresFile()
    return build(texts, stores.stores, got.catalog.value, planograms=_planogram_ids(got))


def load_config(folder: str | Path | None = None) -> RulesConfig:
    """Load and cross-check the rules folder (default ``$SHELFAUDIT_RULES``).

    Raises:
        YamlFileError: listing every error (warnings do not stop loading).
    """
    base = Path(folder) if folder is not None else _default_folder()
    got = gather(base)
    problems = errors_only(check(got))
    if problems:
        raise YamlFileError(problems)
    return RulesConfig(
        folder=base,
        catalog=got.catalog.value,
        stores=got.stores.value if got.stores else StoresFile(),
        planograms=_planogram_ids(got),
        rule_sets=ordered(r.value for r in got.rule_sets),
        book=book_of(got, rule_texts(base)),
    )
