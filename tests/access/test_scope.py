"""Store scoping is enforced inside every query and service function, not by the pages.

Every public function of ``pipeline.queries`` and ``pipeline.actions`` that takes a ``scope`` is found by introspection
(so a new one is covered without editing this file) and checked two ways with the scope of a
viewer of store s001:

* **differential**: its answer must not change when store s002's data is deleted — if it
  did, s002's rows were read (even inside an average);
* **by name**: nothing it returns mentions s002 or its name.

Functions that change data are listed in ``WRITERS`` with a refusal check instead.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import pkgutil

import pandas as pd
import pytest
from sqlalchemy import delete, select
from sqlalchemy.sql import Select

import pipeline.actions as actions_pkg
import pipeline.queries as queries_pkg
from pipeline.access.scope import Scope, ScopeError
from pipeline.context import edge_context
from pipeline.queries.inspections import InspectionFilter
from tests.factories.dashboard_fixtures import rules_copy  # noqa: F401 - fixture reused

OWN, OTHER, OTHER_NAME = "s001", "s002", "Old Town"
VIEWER_A = Scope(stores=frozenset({OWN}), role="viewer", user="vera")
SUPERVISOR_A = Scope(stores=frozenset({OWN}), role="supervisor", user="sam")


def scoped_functions() -> list[tuple[str, object]]:
    found = []
    modules = [importlib.import_module(f"{pkg.__name__}.{info.name}")
               for pkg in (queries_pkg, actions_pkg) for info in pkgutil.iter_modules(pkg.__path__)]
    for module in modules:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if (fn.__module__ == module.__name__ and not name.startswith("_")
                    and "scope" in inspect.signature(fn).parameters):
                found.append((f"{module.__name__.rsplit('.', 1)[1]}.{name}", fn))
    return found


def _other_store_refused(fn, **kwargs) -> None:
    for scope in (VIEWER_A, SUPERVISOR_A):
        with pytest.raises(ScopeError):
            fn(scope=scope, **kwargs)


def _viewer_refused(fn, **kwargs) -> None:
    with pytest.raises(ScopeError):
        fn(scope=VIEWER_A, **kwargs)


GENERAL = "general.yaml"  # applies to every store: only admins may change it
WRITERS = {  # changes data: each must refuse viewers and other stores' supervisors
    "rule_edits.check_may_edit": lambda fn, ctx: _other_store_refused(
        fn, name=GENERAL, texts=[ctx["general"]]),
    "rule_edits.save_text": lambda fn, ctx: _other_store_refused(
        fn, name=GENERAL, text=ctx["general"] + "\n# changed\n"),
    "rule_edits.rollback": lambda fn, ctx: _other_store_refused(
        fn, name=GENERAL, version_id=ctx["general_version"]),
    "rule_edits.create_store_file": lambda fn, ctx: _other_store_refused(
        fn, store=OTHER, file_name="late-deliveries"),
    "uploads.save_upload": lambda fn, ctx: _other_store_refused(
        fn, item=None, store=OTHER, camera="c01", inspector=None, rules=None,
        context=edge_context()),
    "uploads.receive": lambda fn, ctx: _other_store_refused(
        fn, name="x.jpg", data=b"", store=OTHER),
    "photo_intake.queue_photo": lambda fn, ctx: _other_store_refused(
        fn, item=None, store=OTHER, camera="c01", context=edge_context()),
    "photo_intake.received_before": lambda fn, ctx: _other_store_refused(
        fn, data=b"", store=OTHER, camera="c01", context=edge_context()),
    "fix_marks.record_feedback": lambda fn, ctx: _other_store_refused(
        fn, violation_id=ctx["other_violation"], verdict="done"),
    "fix_marks.clear_feedback": lambda fn, ctx: _other_store_refused(
        fn, violation_id=ctx["other_violation"]),
    "upload_exclusions.exclude_upload": lambda fn, ctx: _other_store_refused(
        fn, photo_id=ctx["other_photo"]),
    "upload_exclusions.include_upload": lambda fn, ctx: _other_store_refused(
        fn, photo_id=ctx["other_photo"]),
    "upload_exclusions.delete_upload": lambda fn, ctx: _other_store_refused(
        fn, photo_id=ctx["other_photo"]),
    # the recognition gallery serves every store; viewers may not change it
    "reference_photos.add_reference": lambda fn, ctx: _viewer_refused(
        fn, sku="x", name="x.jpg", data=b"", catalog=edge_context().catalog),
}


def _arguments(fn, ctx: dict) -> dict:
    """Arguments by parameter name; the other store wherever a store or id is asked for."""
    makers = {
        "week": lambda: "2026-W46", "first": lambda: None, "last": lambda: None,
        "flt": lambda: InspectionFilter(), "inspection_id": lambda: ctx["other_inspection"],
        "sha256": lambda: ctx["other_sha256"],
        "store": lambda: OWN, "name": lambda: "beverages.yaml", "camera": lambda: "c01",
        "items": lambda: [], "inspector": lambda: None, "rules": lambda: None,
        "context": edge_context,
        "text": lambda: ctx["beverages"].replace("severity: high", "severity: low"),
    }
    args = {}
    for name, param in inspect.signature(fn).parameters.items():
        if name == "scope" or name in ("engine", "folder"):
            continue
        if name in makers:
            args[name] = makers[name]()
        elif param.default is inspect.Parameter.empty:
            raise AssertionError(f"{fn.__module__}.{fn.__name__}: tell test_scoping how to "
                                 f"call it (parameter {name!r}) or list it in WRITERS")
    return args


def plain(value, engine):
    """A comparable, printable form of any query result."""
    if isinstance(value, Select):
        with engine.connect() as conn:
            return sorted(tuple(r) for r in conn.execute(value))
    if isinstance(value, pd.DataFrame):
        return [{k: plain(v, engine) for k, v in row.items()}
                for row in value.to_dict("records")]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name), engine) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v, engine) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v, engine) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _delete_other_store() -> None:
    from pipeline.db import session_scope
    from pipeline.db import tables as t

    with session_scope() as s:
        for table in (t.Violation, t.Inspection, t.Photo, t.Report, t.JobRun, t.Camera):
            s.execute(delete(table).where(table.store_id == OTHER))
        s.execute(delete(t.Store).where(t.Store.id == OTHER))


@pytest.fixture
def ctx(small_db, rules_copy):  # noqa: F811 - the imported fixture
    from pipeline.db import get_engine, session_scope
    from pipeline.db import tables as t
    from pipeline.rulebook.versions import record_version

    with session_scope() as s:
        other = s.scalar(select(t.Inspection.id).where(t.Inspection.store_id == OTHER))
        other_sha = s.scalar(select(t.Photo.sha256).where(t.Photo.store_id == OTHER))
        other_photo = s.scalar(select(t.Photo.id).where(t.Photo.store_id == OTHER))
        other_violation = s.scalar(select(t.Violation.id).where(t.Violation.store_id == OTHER))
        general = (rules_copy / GENERAL).read_text(encoding="utf-8")
        version = record_version(s, GENERAL, general + "\n# older\n", valid=True).id
    return {"other_inspection": other, "other_sha256": other_sha, "general": general,
            "other_photo": other_photo, "other_violation": other_violation,
            "general_version": version,
            "beverages": (rules_copy / "beverages.yaml").read_text(encoding="utf-8"),
            "engine": get_engine()}


READERS = [(n, f) for n, f in scoped_functions() if n not in WRITERS]


@pytest.mark.parametrize("name, fn", READERS, ids=[n for n, _ in READERS])
def test_a_viewer_of_one_store_gets_nothing_of_another(ctx, name, fn):
    engine = ctx["engine"]
    args = _arguments(fn, ctx)
    before = plain(fn(scope=VIEWER_A, **args), engine)
    printed = repr(before)
    assert OTHER not in printed and OTHER_NAME not in printed, f"{name} shows {OTHER}"
    _delete_other_store()
    after = plain(fn(scope=VIEWER_A, **args), engine)
    assert before == after, f"{name} read {OTHER}'s data (its answer changed without it)"


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_writers_refuse_other_stores_and_viewers(ctx, name):
    found = dict(scoped_functions())
    assert name in found, f"{name} is listed as a writer but no longer exists"
    WRITERS[name](found[name], ctx)
    from pipeline.settings import get_settings

    assert (get_settings().rules_dir / GENERAL).read_text(encoding="utf-8") == ctx["general"]


def test_explicit_requests_for_another_store_are_refused(ctx):
    from pipeline.queries import inspections, pickers, weekly

    with pytest.raises(ScopeError):
        weekly.weekly_report(OTHER, "2026-W46", VIEWER_A)
    assert inspections.inspection_detail(ctx["other_inspection"], VIEWER_A) is None
    assert inspections.list_inspections(VIEWER_A, InspectionFilter(store=OTHER)).empty
    assert pickers.cameras(VIEWER_A, OTHER) == []
    with pytest.raises(ScopeError):
        VIEWER_A.narrow(OTHER)


def test_a_scope_with_no_stores_sees_nothing(ctx):
    from pipeline.queries import inspections, overview, pickers

    nobody = Scope(stores=frozenset(), role="viewer", user="nobody")
    assert pickers.stores(nobody) == [] and pickers.weeks(nobody) == []
    assert inspections.list_inspections(nobody).empty
    assert overview.week_kpis(nobody, "2026-W46").inspections == 0


def test_every_scoped_function_is_checked():
    names = {n for n, _ in scoped_functions()}
    assert len(names) >= 20  # the dashboard's queries are all found
    assert {"weekly.weekly_report", "inspections.inspection_detail"} <= names


def _database_contents(engine) -> dict[str, list]:
    """Every row of every table (sorted), to compare before and after."""
    from sqlalchemy import MetaData

    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {name: sorted(map(repr, conn.execute(table.select())))
                for name, table in meta.tables.items()}


QUERIES = [(n, f) for n, f in READERS if f.__module__.startswith("pipeline.queries.")]


def test_queries_change_nothing(ctx):
    """``pipeline.queries`` is the read-only side: running every query function, as an admin of
    every store, leaves each table row for row as it was (changes live in ``pipeline.actions``)."""
    from pipeline.access.scope import ALL_STORES

    assert len(QUERIES) > 20  # the introspection found the queries
    engine = ctx["engine"]
    before = _database_contents(engine)
    for _name, fn in QUERIES:
        fn(scope=ALL_STORES, **_arguments(fn, ctx))
    assert _database_contents(engine) == before
