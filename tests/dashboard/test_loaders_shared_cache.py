"""What the dashboard shares between sessions (issue #21) and what it must not.

Query results and charts are cached by the scope's stores and role, not by the user's name:
supervisors of the same stores share them, a user with other stores or another role never
gets them. The Upload page's camera list follows ``stores.yaml`` as soon as the file changes.
"""

from __future__ import annotations

import os

from pipeline.access.scope import Scope
from pipeline.dashboard import loaders

CALLS: list[str] = []


def seen_by(scope: Scope, engine=None) -> tuple[str, ...]:
    """A stand-in query: what it was asked for, and a note that it ran."""
    CALLS.append(scope.user)
    return tuple(sorted(scope.stores or ()))


def supervisor(user: str, *stores: str, role: str = "supervisor") -> Scope:
    return Scope(stores=frozenset(stores), role=role, user=user)


def test_users_with_the_same_stores_share_a_result_others_never_get_it(empty_db):
    CALLS.clear()
    assert loaders.load(seen_by, supervisor("ann", "s001")) == ("s001",)
    assert loaders.load(seen_by, supervisor("bob", "s001")) == ("s001",)
    assert len(CALLS) == 1  # bob got ann's result: same stores, same role
    assert loaders.load(seen_by, supervisor("cid", "s002")) == ("s002",)
    assert loaders.load(seen_by, supervisor("dan", "s001", "s002")) == ("s001", "s002")
    assert loaders.load(seen_by, supervisor("vic", "s001", role="viewer")) == ("s001",)
    assert len(CALLS) == 4  # other stores or another role: run for them


def test_a_chart_is_shared_by_key_and_language_and_forgotten_on_refresh(empty_db):
    from pipeline import i18n

    built: list[str] = []

    def chart(label: str):
        built.append(label)
        return {"label": label}

    ann, bob, cid = supervisor("ann", "s001"), supervisor("bob", "s001"), supervisor("cid", "s002")
    first = loaders.figure(("kpi", ann, "2026-W46"), lambda: chart("ann"))
    assert loaders.figure(("kpi", bob, "2026-W46"), lambda: chart("bob")) is first
    assert loaders.figure(("kpi", cid, "2026-W46"), lambda: chart("cid"))["label"] == "cid"
    assert loaders.figure(("kpi", ann, "2026-W45"), lambda: chart("ann-45"))["label"] == "ann-45"
    with i18n.using("zh"):
        assert loaders.figure(("kpi", ann, "2026-W46"), lambda: chart("zh"))["label"] == "zh"
    assert built == ["ann", "cid", "ann-45", "zh"]
    loaders.refresh()
    assert loaders.figure(("kpi", bob, "2026-W46"), lambda: chart("bob"))["label"] == "bob"


def test_store_cameras_follow_stores_yaml_when_it_changes(empty_db, rules_copy):
    assert loaders.store_cameras("s001") == ("c01", "c02", "c03", "c04")
    path = rules_copy / "stores.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("      - {id: c03, name: Dairy fridge, planogram: dairy-a}\n",
                                 "", 1), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a later edit
    assert loaders.store_cameras("s001") == ("c01", "c02", "c04")


def test_an_inspection_photo_is_shared_only_within_its_stores(small_db):
    from sqlalchemy import select

    from pipeline.dashboard import pictures
    from pipeline.db import session_scope, tables

    with session_scope() as session:
        mine = session.scalar(select(tables.Inspection.id).where(
            tables.Inspection.store_id == "s001").limit(1))
    jpeg = pictures.inspection_jpeg(mine, supervisor("ann", "s001"), max_side=200)
    assert jpeg[:2] == b"\xff\xd8"  # a JPEG
    assert pictures.inspection_jpeg(mine, supervisor("bob", "s001"), max_side=200) == jpeg
    assert pictures.inspection_jpeg(mine, supervisor("cid", "s002"), max_side=200) is None
    assert pictures.inspection_jpeg(mine, supervisor("vic", "s001", role="viewer"),
                                    max_side=200) == jpeg
