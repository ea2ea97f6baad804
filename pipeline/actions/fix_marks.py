"""Marking a fix: a supervisor's word on one violation (done / not a problem), kept with who and when."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.access.roles import ANY_STORE, require
from pipeline.access.scope import Scope, ScopeError
from pipeline.db.read import engine_for
from pipeline.db.tables import (
    FEEDBACK_VERDICTS,
    FixFeedback,
    Violation,
    utcnow,
)
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _

FEEDBACK_ACTION = "fix_feedback"  # audit log actions


FEEDBACK_CLEARED = "fix_feedback_cleared"


def _violation(session: Session, violation_id: int, scope: Scope) -> Violation:
    found = session.scalar(select(Violation).where(Violation.id == int(violation_id),
                                                   scope.where(Violation.store_id)))
    if found is None:
        raise ScopeError(_("violation #{id} is not one of yours or no longer exists")
                         .format(id=violation_id))
    return found


def record_feedback(violation_id: int, verdict: str, scope: Scope,
                    engine: Engine | None = None) -> None:
    """Mark a violation ``done`` or ``not_a_problem`` as ``scope.user`` now (a later mark
    replaces an earlier one); audited.

    Raises:
        ScopeError: the role may not mark fixes, or the violation is not in scope.
        ShelfAuditError: an unknown verdict.
    """
    from pipeline.access.audit import audit

    if verdict not in FEEDBACK_VERDICTS:
        raise ShelfAuditError(_("unknown verdict {verdict!r}; expected done or not_a_problem")
                              .format(verdict=verdict))
    require(scope, "mark_fixes", ANY_STORE,
            refusal=_("your role may look at fixes but not mark them"))
    for attempt in range(2):  # two people at once: the second one updates the first one's row
        with Session(engine_for(engine)) as session:
            violation = _violation(session, violation_id, scope)
            row = session.scalar(select(FixFeedback).where(
                FixFeedback.violation_id == violation_id))
            if row is None:
                row = FixFeedback(violation_id=violation.id, inspection_id=violation.inspection_id,
                                  store_id=violation.store_id, camera_id=violation.camera_id,
                                  rule_id=violation.rule_id, rule_type=violation.rule_type,
                                  severity=violation.severity)
                session.add(row)
            row.verdict, row.actor, row.at = verdict, scope.user, utcnow()
            audit(scope.user, FEEDBACK_ACTION, f"violation #{violation_id}",
                  store=violation.store_id, session=session, verdict=verdict,
                  rule=violation.rule_id, camera=violation.camera_id,
                  inspection=violation.inspection_id)
            try:
                session.commit()
                return
            except IntegrityError:
                session.rollback()
                if attempt:
                    raise


def clear_feedback(violation_id: int, scope: Scope, engine: Engine | None = None) -> None:
    """Take back the mark on a violation (it is open again); audited.

    Raises:
        ScopeError: the role may not mark fixes, or the violation is not in scope.
    """
    from pipeline.access.audit import audit

    require(scope, "mark_fixes", ANY_STORE,
            refusal=_("your role may look at fixes but not mark them"))
    with Session(engine_for(engine)) as session:
        violation = _violation(session, violation_id, scope)
        row = session.scalar(select(FixFeedback).where(FixFeedback.violation_id == violation_id))
        if row is None:
            return
        audit(scope.user, FEEDBACK_CLEARED, f"violation #{violation_id}",
              store=violation.store_id, session=session, verdict=row.verdict,
              marked_by=row.actor, rule=violation.rule_id)
        session.delete(row)
        session.commit()
