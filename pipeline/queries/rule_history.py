"""The recorded versions of one rule file: its history (saves, rollbacks) and any version's text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from pipeline.access.audit import RULE_ROLLBACK
from pipeline.access.roles import require
from pipeline.access.scope import Scope
from pipeline.db.read import engine_for, frame, rows
from pipeline.db.tables import RuleSetVersion
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.queries import rule_files as rf
from pipeline.rulebook.versions import content_hash
from pipeline.rules.book import owner_of


def _rollbacks(engine: Engine, name: str) -> pd.DataFrame:
    """The rollbacks of ``name`` from the audit log, as history rows."""
    from pipeline.access.tables import AuditEntry

    stmt = (select(AuditEntry.at, AuditEntry.actor, AuditEntry.detail)
            .where(AuditEntry.action == RULE_ROLLBACK, AuditEntry.target == name,
                   AuditEntry.ok.is_(True)))
    found = [(None, at, actor, "rollback", (detail or {}).get("comment", ""), True, False,
              (detail or {}).get("version")) for at, actor, detail in rows(engine, stmt)]
    return pd.DataFrame(found, columns=[*HISTORY_COLUMNS, "to_version"])


HISTORY_COLUMNS = ["id", "created_at", "author", "event", "comment", "valid", "in_force"]


def history(name: str, scope: Scope, engine: Engine | None = None,
            folder: Path | None = None) -> pd.DataFrame:
    """The history of ``name``, newest first: each saved version (``event`` = ``saved``,
    ``in_force`` marks the text on disk) and each rollback (``event`` = ``rollback``, no
    ``id``: the version it put back is in ``to_version``)."""
    owner = owner_of(name)
    if owner is not None:
        require(scope, "view", owner)  # another store's own file is that store's business
    folder = folder or rf.rules_folder()
    current = content_hash(rf.read_text(name, folder))
    eng = engine_for(engine)
    stmt = (select(RuleSetVersion.id, RuleSetVersion.created_at, RuleSetVersion.author,
                   RuleSetVersion.comment, RuleSetVersion.is_valid.label("valid"),
                   RuleSetVersion.content_hash)
            .where(RuleSetVersion.name == name)
            .order_by(RuleSetVersion.created_at.desc(), RuleSetVersion.id.desc()))
    df = frame(eng, stmt)
    df["in_force"] = df["content_hash"] == current
    df["event"] = "saved"
    df["to_version"] = None
    df = df.drop(columns="content_hash")[[*HISTORY_COLUMNS, "to_version"]]
    events = _rollbacks(eng, name)
    if not events.empty:
        df = pd.concat([df, events], ignore_index=True) if not df.empty else events
    df = df.sort_values("created_at", ascending=False, kind="stable").reset_index(drop=True)
    df["id"] = df["id"].astype("Int64")
    df["to_version"] = df["to_version"].astype("Int64")
    return df


def version_text(name: str, version_id: int, engine: Engine | None = None) -> str:
    """The text of one saved version of ``name``."""
    stmt = select(RuleSetVersion.yaml_text).where(RuleSetVersion.id == version_id,
                                                 RuleSetVersion.name == name)
    with engine_for(engine).connect() as conn:
        text = conn.execute(stmt).scalar_one_or_none()
    if text is None:
        raise ShelfAuditError(_("{file} has no version #{id}").format(file=name, id=version_id))
    return text
