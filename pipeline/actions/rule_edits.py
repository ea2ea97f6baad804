"""Changing rule files from the dashboard: who may, atomic saves as versions, history, rollback.

A save validates the text first (a file with errors is never written), checks that the editor
may change every store the file applies to (before and after the edit), writes a temporary file
next to the target and ``os.replace``s it (readers see the old or the new text, never half), and
records the text in ``rule_set_versions`` with author and comment. The scheduled runs pick the
new text up on their next run. Rolling back saves an earlier version's text the same way and is
a row of the file's history (from the audit log) even when that text is an existing version.

A store's own files (``rules/stores/<id>/*.yaml``, :mod:`pipeline.rules.book`) reach that store
only, so its supervisor may create (:func:`create_store_file`) and change them.
:func:`read_only_reason` says before any edit why a user may not save a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pipeline.access.audit import RULE_CREATE, RULE_ROLLBACK, audit
from pipeline.access.roles import ANY_STORE, can, require
from pipeline.access.scope import Scope, ScopeError
from pipeline.db.read import engine_for
from pipeline.db.tables import RuleSetVersion
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _, ngettext
from pipeline.queries import rule_files as rf
from pipeline.queries.rule_history import version_text
from pipeline.rulebook.versions import content_hash, record_version
from pipeline.rules.book import owner_of
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
    admin may use one — whatever stores exist today. A store's own file
    (``stores/<id>/...``) reaches that store alone.
    """
    if scope.all_stores:
        return None
    owner = owner_of(name)
    if owner is not None:
        if owner in (scope.stores or ()):
            return None
        return _("{file} is a rule file of store {store}, which is not yours").format(
            file=name, store=owner[:80])
    patterns = store_patterns(name, texts)
    if patterns is None:
        return _("{file} is not a rule set of known reach; only an admin may change it").format(
            file=name)
    if "*" in patterns:
        return _("{file} applies to every store; only an admin may change it").format(file=name)
    wild = [p for p in patterns if GLOB & set(p)]
    if wild:
        return _("{file}: store pattern '{pattern}' can match stores that are not yours (now or "
                 "later); list your store ids one by one, or ask an admin").format(
            file=name, pattern=wild[0][:80])
    outside = sorted(set(patterns) - set(scope.stores or ()))
    if outside:
        return _("{file} also applies to store(s) {stores}, which are not yours; ask an "
                 "admin").format(file=name, stores=", ".join(s[:80] for s in outside[:5]))
    return None


def read_only_reason(scope: Scope, name: str, folder: Path | None = None) -> str | None:
    """Why ``scope`` may not save file ``name`` as it is (``None``: they may), said before
    they edit it. Their own stores' files stay theirs unless an edit reaches further, which
    the save refuses with the reason."""
    if not can(scope, "edit_rules", ANY_STORE):
        return _("your role may read rule files but not change them")
    return _reach_problem(scope, name, [rf.read_text(name, folder)])


def check_may_edit(scope: Scope, name: str, texts: list[str], folder: Path | None = None) -> None:
    """Raise :class:`ScopeError` unless ``scope`` may change ``name`` this way (``folder`` is
    kept for callers; reach is decided by the texts alone)."""
    require(scope, "edit_rules", ANY_STORE,
            refusal=_("your role may read rule files but not change them"))
    problem = _reach_problem(scope, name, texts)
    if problem:
        raise ScopeError(problem)


def editable_stores(scope: Scope) -> list[str]:
    """The stores of ``stores.yaml`` whose own rule files ``scope`` may create."""
    from pipeline.rules.loading import load_stores

    if not can(scope, "edit_rules", ANY_STORE):
        return []
    loaded = load_stores(rf.rules_folder() / "stores.yaml")
    ids = [s.id for s in loaded.value.stores] if loaded.value is not None else []
    return [s for s in ids if scope.allows(s)]


def store_file_template(store: str, name: str) -> str:
    """The first text of a store's own rule file: what it is for, and one example rule that
    is switched off (a rule set needs a rule; this one changes nothing)."""
    example = Path(name).stem[:40]
    lines = [
        "# " + _("Rules of store {store} only: no other store reads this file.").format(
            store=store),
        "# " + _("They apply after the shared rule files: a rule with the id of a shared rule "
                 "replaces it here,"),
        "# " + _("and enabled: false switches that rule off for this store. Rule types: "
                 "docs/RULES.md"),
        'applies_to: {cameras: ["*"]}   # ' + _("or some cameras, e.g. [c01, c02]"),
        "rules:",
        f"  - id: {store}-{example}",
        "    type: max_gaps",
        "    max: 1",
        "    severity: medium",
        "    enabled: false   # " + _("an example: change it, then set enabled: true"),
    ]
    return "\n".join(lines) + "\n"


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
        raise RuleEditRefused(_("{file}: nothing changed").format(file=name))
    _check_text(name, text, folder)
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


def _check_text(name: str, text: str, folder: Path | None) -> None:
    """Refuse an empty text or one with errors (listed)."""
    if not text.strip():
        raise RuleEditRefused(_("{file}: the new text is empty; it was not saved (to switch "
                                "a rule off, set enabled: false)").format(file=name))
    problems = rf.errors(rf.validate_text(name, text, folder))
    if problems:
        raise RuleEditRefused(ngettext("{file} has {n} error; it was not saved",
                                       "{file} has {n} errors; it was not saved",
                                       len(problems)).format(file=name, n=len(problems)),
                              problems)


def create_store_file(store: str, file_name: str, scope: Scope, text: str | None = None,
                      comment: str = "", engine: Engine | None = None,
                      folder: Path | None = None) -> Saved:
    """Create a store's own rule file ``stores/<store>/<file_name>.yaml`` (with
    :func:`store_file_template` unless ``text`` is given): validated, written atomically,
    recorded as its first version and audited.

    Raises:
        ScopeError: not the user's store, or a role that may not change rules.
        RuleEditRefused: the text has errors.
        ShelfAuditError: a bad or existing file name, or a store not in stores.yaml.
    """
    folder = folder or rf.rules_folder()
    require(scope, "edit_rules", store,
            refusal=_("your role may read rule files but not change them"))
    name = rf.new_store_file_name(store, file_name, folder)
    if store not in editable_stores(scope):
        raise ShelfAuditError(_("store {store} is not in stores.yaml").format(store=repr(store)))
    text = store_file_template(store, name) if text is None else text
    _check_text(name, text, folder)
    with Session(engine_for(engine)) as session:
        write_atomically(folder / name, text)
        row = record_version(session, name, text, valid=True, author=scope.user[:200],
                             comment=comment.strip()[:MAX_COMMENT] or "new file")
        audit(scope.user, RULE_CREATE, name, store=store, session=session, version=row.id)
        session.commit()
        return Saved(name, row.id, True)








def rollback(name: str, version_id: int, scope: Scope, engine: Engine | None = None,
             folder: Path | None = None) -> Saved:
    """Put an earlier version back in force (validated and saved like any edit)."""
    text = version_text(name, version_id, engine)
    try:
        return save_text(name, text, scope, f"roll back to version #{version_id}",
                         engine, folder, action=RULE_ROLLBACK)
    except YamlFileError as exc:  # pragma: no cover - validate_text reports, never raises
        raise RuleEditRefused(str(exc), exc.problems) from None
