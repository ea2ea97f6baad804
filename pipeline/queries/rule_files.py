"""The rules folder as the Rules page sees it: files, their texts, live validation, diffs.

Names are paths relative to the rules folder (``beverages.yaml``, ``planograms/snacks-a.yaml``,
a store's own ``stores/s001/late.yaml``); only files that :func:`rule_files` lists can be read
or written, so a name can never point outside the folder (a new store file is named by
:func:`pipeline.rules.book.store_file` and checked by :func:`new_store_file_name`). Validation checks an edited text *as if it replaced the file*: its own
syntax and schema, and its references against the rest of the folder (unknown SKUs, brands,
zones, cameras), each problem located to line and column.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline import yamldoc
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.rules.book import STORE_FOLDER, owner_of
from pipeline.yamldoc import Problem, YamlFileError

CATALOG, STORES, PLANOGRAM, RULE_SET = "catalog", "stores", "planogram", "rule set"


@dataclass(frozen=True)
class RuleFile:
    """One editable file of the rules folder."""

    name: str  # relative to the rules folder
    kind: str  # rule set | stores | catalog | planogram
    bytes: int


def rules_folder() -> Path:
    from pipeline.settings import get_settings

    return get_settings().rules_dir


def kind_of(name: str) -> str:
    if name == "catalog.yaml":
        return CATALOG
    if name == "stores.yaml":
        return STORES
    if name.startswith("planograms/"):
        return PLANOGRAM
    return RULE_SET


def rule_files(folder: Path | None = None) -> list[RuleFile]:
    """Rule sets first (the shared ones, then the stores' own), then stores.yaml, planograms
    and the catalog."""
    folder = folder or rules_folder()
    paths = sorted(folder.glob("*.yaml")) + sorted((folder / "planograms").glob("*.yaml")) + \
        sorted((folder / STORE_FOLDER).glob("*/*.yaml"))
    files = [RuleFile(p.relative_to(folder).as_posix(), kind_of(p.relative_to(folder)
                      .as_posix()), p.stat().st_size) for p in paths if p.is_file()]
    order = {RULE_SET: 0, STORES: 1, PLANOGRAM: 2, CATALOG: 3}
    return sorted(files, key=lambda f: (order[f.kind], f.name.startswith(f"{STORE_FOLDER}/"),
                                        f.name))


def new_store_file_name(store: str, file_name: str, folder: Path | None = None) -> str:
    """The name of a new own rule file of ``store`` (``.yaml`` added when missing).

    Raises:
        ShelfAuditError: a name that is not a plain file name, or one that exists.
    """
    from pipeline.i18n import _
    from pipeline.rules.book import store_file

    stem = file_name.strip().removesuffix(".yaml")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", stem):
        raise ShelfAuditError(_("{name}: use letters, digits, - and _ (up to 64), e.g. "
                                "late-deliveries").format(name=repr(file_name.strip()[:80])))
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", store):
        raise ShelfAuditError(_("store {store} is not in stores.yaml").format(
            store=repr(store[:80])))
    name = store_file(store, f"{stem}.yaml")
    if (folder or rules_folder()).joinpath(name).exists():
        raise ShelfAuditError(_("{name} exists already; open it from the list").format(
            name=name))
    return name


def path_of(name: str, folder: Path | None = None) -> Path:
    """The file behind ``name``, which must be one of :func:`rule_files`.

    Raises:
        ShelfAuditError: not a file of the rules folder.
    """
    folder = folder or rules_folder()
    if name not in {f.name for f in rule_files(folder)}:
        raise ShelfAuditError(_("{name} is not a file of the rules folder").format(
            name=repr(name)))
    return folder / name


def read_text(name: str, folder: Path | None = None) -> str:
    return path_of(name, folder).read_text(encoding="utf-8", errors="replace")


def _loaded(name: str, text: str):
    """A :class:`~pipeline.rules.loading.Loaded` of ``text`` as if it were file ``name``."""
    from pydantic import ValidationError

    from pipeline.catalog import parse_catalog
    from pipeline.planogram import Planogram
    from pipeline.rules.loading import Loaded, model_problems, parse_rule_set
    from pipeline.rules.schema import StoresFile

    try:
        doc = yamldoc.loads(text, name)
    except YamlFileError as exc:
        return Loaded(name, None, None, tuple(exc.problems))
    kind = kind_of(name)
    if kind == RULE_SET:
        value, problems = parse_rule_set(doc, name, owner_of(name))
        return Loaded(name, value, doc, tuple(problems))
    if kind == CATALOG:
        try:
            return Loaded(name, parse_catalog(doc, name), doc)
        except YamlFileError as exc:
            return Loaded(name, None, doc, tuple(exc.problems))
    model = StoresFile if kind == STORES else Planogram
    try:
        return Loaded(name, model.model_validate(yamldoc.to_plain(doc) or {}), doc)
    except ValidationError as exc:
        return Loaded(name, None, doc, tuple(model_problems(exc, model, doc, name)))


@lru_cache(maxsize=128)
def _loaded_file(path: str, kind: str, mtime_ns: int, size: int, owner: str | None = None,
                 lang: str = "en"):
    """A file's Loaded, cached by its modification time and size (parsing is the slow part)
    and the language its problems are worded in."""
    from pipeline import i18n
    from pipeline.rules.config import _load_catalog
    from pipeline.rules.loading import load_planogram, load_rule_set, load_stores

    loader = {CATALOG: lambda p: _load_catalog(Path(p)), STORES: load_stores,
              PLANOGRAM: load_planogram,
              RULE_SET: lambda p: load_rule_set(p, owner)}[kind]
    with i18n.using(lang):
        return loader(path)


def _cached(path: Path, kind: str, owner: str | None = None):
    from pipeline import i18n

    stat = path.stat()
    return _loaded_file(str(path), kind, stat.st_mtime_ns, stat.st_size, owner, i18n.current())


def gathered(folder: Path | None = None):
    """The folder's files as :func:`pipeline.rules.config.gather` reads them (cached per file)."""
    from pipeline.rules.config import Gathered, rule_set_files

    folder = folder or rules_folder()
    stores = folder / "stores.yaml"
    return Gathered(
        catalog=_cached(folder / "catalog.yaml", CATALOG),
        stores=_cached(stores, STORES) if stores.exists() else None,
        planograms=[_cached(p, PLANOGRAM) for p in sorted((folder / "planograms").glob("*.yaml"))],
        rule_sets=[_cached(p, RULE_SET, owner_of(p.relative_to(folder).as_posix()))
                   for p in rule_set_files(folder)],
    )


def gathered_with(name: str, text: str, folder: Path | None = None):
    """The folder's files as on disk, with ``name`` replaced by ``text``."""
    got = gathered(folder)
    mine = _loaded(name, text)
    kind = kind_of(name)
    if kind == CATALOG:
        got.catalog = mine
    elif kind == STORES:
        got.stores = mine
    elif kind == PLANOGRAM:
        got.planograms = [p for p in got.planograms if Path(p.name).name != Path(name).name]
        got.planograms.append(mine)
    else:
        path = str((folder or rules_folder()) / name)
        got.rule_sets = [r for r in got.rule_sets if r.name != path] + [mine]
    return got


def validate_text(name: str, text: str, folder: Path | None = None) -> list[Problem]:
    """Problems of ``text`` as file ``name`` (errors and warnings, by line). Never raises."""
    from pipeline.rules.config import check

    try:
        problems = check(gathered_with(name, text, folder))
    except YamlFileError as exc:  # pragma: no cover - check() reports, but be safe
        problems = exc.problems
    mine = [p for p in problems if p.file == name]
    return sorted(mine, key=lambda p: (p.severity != "error", p.line, p.column))


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def diff(saved: str, edited: str, name: str) -> str:
    """A unified diff of the saved text and the edited one (empty when equal)."""
    return "".join(difflib.unified_diff(
        saved.splitlines(keepends=True), edited.splitlines(keepends=True),
        fromfile=f"{name} (saved)", tofile=f"{name} (edited)", n=2))

