"""The one adapter between the batch runner and the rules package, with rule-set versions.

Each run reads the rule files that may reach its store (``rules/*.yaml`` except
``catalog.yaml`` and ``stores.yaml``, and the store's own ``rules/stores/<id>/*.yaml``),
records every text it has not seen before in ``rule_set_versions`` (content hash, text,
whether it validated, its problems; named relative to the rules folder), and judges with the
store's rule book (:mod:`pipeline.rules.book`). When a file is broken, the newest valid version
of that file from the database is used instead and the run notes the problem (status
``partial``); the stores the file does not apply to are not affected at all. A broken file with
no valid version on record stops only the stores it might apply to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db import session_scope, tables
from pipeline.rules.book import RuleText, content_hash

NOT_RULE_FILES = {"catalog.yaml", "stores.yaml"}


def rule_files(rules_dir: Path, store: str | None = "*") -> list[Path]:
    """The rule-set files of a rules folder that may reach ``store`` (``"*"``: every store's
    own files, ``None``: the shared ones only), shared first."""
    from pipeline.rules.config import rule_set_files

    return rule_set_files(rules_dir, store)


def record_version(session: Session, name: str, text: str, *, valid: bool,
                   problems: Sequence[str] = (), author: str = "system",
                   comment: str = "") -> tables.RuleSetVersion:
    """The version row of this exact text (added if new; the first author/comment stay)."""
    digest = content_hash(text)
    row = session.execute(
        select(tables.RuleSetVersion)
        .where(tables.RuleSetVersion.name == name, tables.RuleSetVersion.content_hash == digest)
    ).scalar_one_or_none()
    if row is None:
        row = tables.RuleSetVersion(name=name, content_hash=digest, yaml_text=text,
                                    is_valid=valid, problems=list(problems) or None,
                                    author=author, comment=comment)
        session.add(row)
        session.flush()
    return row


def last_good_version(session: Session, name: str) -> tables.RuleSetVersion | None:
    return session.execute(
        select(tables.RuleSetVersion)
        .where(tables.RuleSetVersion.name == name, tables.RuleSetVersion.is_valid.is_(True))
        .order_by(tables.RuleSetVersion.created_at.desc(), tables.RuleSetVersion.id.desc())
        .limit(1)
    ).scalar_one_or_none()


@dataclass
class ResolvedTexts:
    texts: list[RuleText] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unusable: list[str] = field(default_factory=list)  # broken and no saved version


def resolve_rule_texts(files: Sequence[Path], check: Any, url: str | None = None,
                       folder: Path | None = None) -> ResolvedTexts:
    """Record each file's text as a version; broken ones fall back to their last good version.

    Args:
        files: rule files in order.
        check: ``check(text, name) -> list[str]`` of problems (empty = valid).
        folder: the rules folder; versions are named relative to it (``stores/s001/x.yaml``).
    """
    from pipeline.rules.book import folder_names

    names = folder_names(folder, files) if folder is not None else [p.name for p in files]
    out = ResolvedTexts()
    with session_scope(url) as session:
        for name, path in zip(names, files, strict=True):
            text = path.read_text(encoding="utf-8", errors="replace")
            problems = list(check(text, name))
            row = record_version(session, name, text, valid=not problems, problems=problems)
            if not problems:
                out.texts.append(RuleText(name, text, row.id))
                continue
            good = last_good_version(session, name)
            first = problems[0] + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
            if good is None:
                out.unusable.append(name)
                out.problems.append(f"rule file {name} is broken and no earlier valid "
                                    f"version is on record: {first}")
                continue
            out.texts.append(RuleText(name, good.yaml_text, good.id, from_saved=True))
            out.problems.append(f"rule file {name} is broken ({first}); using the last "
                                f"good version #{good.id} saved {good.created_at:%Y-%m-%d %H:%M}")
    return out
