"""Changing rule files from the dashboard: who may, atomic saves as versions, history, rollback.

A save validates the text first (a file with errors is never written), checks that the editor
may change every store the file applies to (before and after the edit), writes a temporary file
next to the target and ``os.replace``s it (readers see the old or the new text, never half), and
records the text in ``rule_set_versions`` with author and comment. The scheduled runs pick the
new text up on their next run. Rolling back saves an earlier version's text the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pipeline.access.audit import audit
from pipeline.errors import ShelfAuditError
from pipeline.queries import rule_files as rf
from pipeline.queries.db import engine_for, frame
from pipeline.queries.scope import Scope, ScopeError
from pipeline.store.compliance import content_hash, record_version
from pipeline.store.tables import RuleSetVersion
from pipeline.uploads import write_atomic
from pipeline.yamldoc import Problem, YamlFileError

MAX_COMMENT = 500


class RuleEditRefused(ShelfAuditError):
    """A save that was refused; ``problems`` holds the located errors when there are any."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


@dataclass(frozen=True)
class Saved:
    name: str
    version_id: int
    new_version: bool  # False when this exact text was saved before (e.g. a rollback)


GLOB = frozenset("*?[]!")  # characters that make a store pattern reach more than one id


def store_patterns(name: str, texts: list[str]) -> list[str] | None:
    """The ``applies_to.stores`` entries of every text of rule set ``name`` (``None`` when a
    text is not a valid rule set, or ``name`` is not a rule set: its reach is unknown)."""
    if rf.kind_of(name) != rf.RULE_SET:
        return None
    found: list[str] = []
    for text in texts:
        loaded = rf._loaded(name, text)
        if loaded.value is None:
            return None
        found += [p for p in loaded.value.applies_to.stores if p not in found]
    return found


def _reach_problem(scope: Scope, name: str, texts: list[str]) -> str | None:
    """Why ``scope`` may not save ``name`` with these texts (before and after), or ``None``.

    A supervisor's file must name their own stores, written out: a pattern (``x*``,
    ``s00?``, ``[...]``) can match stores that are added later and are not theirs, so only an
    admin may use one — whatever stores exist today.
    """
    if scope.all_stores:
        return None
    patterns = store_patterns(name, texts)
    if patterns is None:
        return f"{name} is not a rule set of known reach; only an admin may change it"
    if "*" in patterns:
        return f"{name} applies to every store; only an admin may change it"
    wild = [p for p in patterns if GLOB & set(p)]
    if wild:
        return (f"{name}: store pattern '{wild[0][:80]}' can match stores that are not yours "
                "(now or later); list your store ids one by one, or ask an admin")
    outside = sorted(set(patterns) - set(scope.stores or ()))
    if outside:
        shown = ", ".join(s[:80] for s in outside[:5])
        return f"{name} also applies to store(s) {shown}, which are not yours; ask an admin"
    return None


def check_may_edit(scope: Scope, name: str, texts: list[str], folder: Path | None = None) -> None:
    """Raise :class:`ScopeError` unless ``scope`` may change ``name`` this way (``folder`` is
    kept for callers; reach is decided by the texts alone)."""
    if not scope.can_edit():
        raise ScopeError("your role may read rule files but not change them")
    problem = _reach_problem(scope, name, texts)
    if problem:
        raise ScopeError(problem)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`pipeline.uploads.write_atomic`)."""
    write_atomic(path, text.encode("utf-8"))


def save_text(name: str, text: str, scope: Scope, comment: str = "",
              engine: Engine | None = None, folder: Path | None = None, *,
              action: str = "rule_save") -> Saved:
    """Validate, check rights, write atomically and record a version whose author is the
    signed-in user (``scope.user``; ``system`` for the command line and scheduled jobs).

    Raises:
        RuleEditRefused: the text has errors (listed), or nothing changed.
        ScopeError: the editor may not change this file or one of the stores it reaches.
    """
    folder = folder or rf.rules_folder()
    path = rf.path_of(name, folder)
    saved = path.read_text(encoding="utf-8", errors="replace")
    if text == saved:
        raise RuleEditRefused(f"{name}: nothing changed")
    if not text.strip():
        raise RuleEditRefused(f"{name}: the new text is empty; it was not saved (to switch "
                              "a rule off, set enabled: false)")
    problems = rf.errors(rf.validate_text(name, text, folder))
    if problems:
        raise RuleEditRefused(f"{name} has {len(problems)} error(s); it was not saved", problems)
    try:
        check_may_edit(scope, name, [saved, text], folder)
    except ScopeError as exc:
        audit(scope.user, "rule_save_refused", name, ok=False, reason=str(exc))
        raise
    eng = engine_for(engine)
    with Session(eng) as session:
        # Keep the text in force before the first dashboard edit, so it can be rolled back to.
        record_version(session, name, saved, valid=not rf.errors(rf.validate_text(
            name, saved, folder)), author="(before edit)", comment="text on disk")
        existing = session.execute(select(RuleSetVersion.id).where(
            RuleSetVersion.name == name,
            RuleSetVersion.content_hash == content_hash(text))).scalar_one_or_none()
        write_atomically(path, text)
        row = record_version(session, name, text, valid=True, author=scope.user[:200],
                             comment=comment.strip()[:MAX_COMMENT])
        audit(scope.user, action, name, session=session, version=row.id,
              new_version=existing is None, comment=comment.strip()[:MAX_COMMENT])
        session.commit()
        return Saved(name, row.id, existing is None)


def history(name: str, scope: Scope, engine: Engine | None = None,
            folder: Path | None = None) -> pd.DataFrame:
    """Saved versions of ``name``, newest first, marking the one in force on disk."""
    folder = folder or rf.rules_folder()
    current = content_hash(rf.read_text(name, folder))
    stmt = (select(RuleSetVersion.id, RuleSetVersion.created_at, RuleSetVersion.author,
                   RuleSetVersion.comment, RuleSetVersion.is_valid.label("valid"),
                   RuleSetVersion.content_hash)
            .where(RuleSetVersion.name == name)
            .order_by(RuleSetVersion.created_at.desc(), RuleSetVersion.id.desc()))
    df = frame(engine_for(engine), stmt)
    if df.empty:
        return pd.DataFrame(columns=["id", "created_at", "author", "comment", "valid",
                                     "in_force"])
    df["in_force"] = df["content_hash"] == current
    return df.drop(columns="content_hash")


def version_text(name: str, version_id: int, engine: Engine | None = None) -> str:
    """The text of one saved version of ``name``."""
    stmt = select(RuleSetVersion.yaml_text).where(RuleSetVersion.id == version_id,
                                                 RuleSetVersion.name == name)
    with engine_for(engine).connect() as conn:
        text = conn.execute(stmt).scalar_one_or_none()
    if text is None:
        raise ShelfAuditError(f"{name} has no version #{version_id}")
    return text


def rollback(name: str, version_id: int, scope: Scope, engine: Engine | None = None,
             folder: Path | None = None) -> Saved:
    """Put an earlier version back in force (validated and saved like any edit)."""
    text = version_text(name, version_id, engine)
    try:
        return save_text(name, text, scope, f"roll back to version #{version_id}",
                         engine, folder, action="rule_rollback")
    except YamlFileError as exc:  # pragma: no cover - validate_text reports, never raises
        raise RuleEditRefused(str(exc), exc.problems) from None
