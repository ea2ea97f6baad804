"""Who is told what, when: immediate alerts after a scheduled run, the morning digest, tests.

Immediate alerts (:func:`after_run`), per channel that takes them:

1. the run's violations of the pushed severities (``immediate: high`` = high only), on the
   cameras' own photos;
2. only **new** problems: not on the camera's photo before (:mod:`pipeline.alerts.findings`);
3. **never twice**: a violation already recorded for the channel, or a problem (same key) pushed
   to it in the last :data:`REPEAT_AFTER`, is left out;
4. in the store's **quiet hours** nothing is sent: the message is recorded as ``quiet`` (the
   morning digest lists what is still open);
5. **rate limit**: when the channel already had ``max_per_hour`` alerts in the last hour, the
   message is recorded as ``rate_limited`` instead;
6. otherwise it is sent with retries (:func:`pipeline.alerts.channels.deliver`) and recorded as
   ``sent`` or ``failed``.

The digest (:func:`send_digest`) goes once per store-local day per channel; a test message
(:func:`send_test`) to every channel, at once. Every message, sent or not, leaves an
``alert_messages`` row. Nothing here raises on a failing receiver.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from pipeline import i18n
from pipeline.alerts import compose, tables
from pipeline.alerts.channels import deliver
from pipeline.alerts.config import AlertSettings, Channel, SmtpServer
from pipeline.alerts.findings import Finding, new_findings, run_findings, store_state
from pipeline.db import session_scope
from pipeline.db.tables import utcnow
from pipeline.errors import ShelfAuditError
from pipeline.sites import StoreSpec

log = logging.getLogger("shelfaudit.alerts")
REPEAT_AFTER = timedelta(hours=24)  # a problem pushed to a channel is not pushed again sooner
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Sent:
    """What one message to one channel came to (also its ``alert_messages`` row)."""

    kind: str
    channel: str
    channel_type: str
    status: str  # sent | failed | quiet | rate_limited | already_sent
    target: str = ""
    attempts: int = 0
    error: str | None = None
    problems: int = 0
    message_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _channels(settings: AlertSettings, wants: str | None) -> list[tuple[Channel, str]]:
    """(channel, label) of the channels that take ``wants`` (immediate, digest; None: all)."""
    return [(c, label) for c, label in zip(settings.channels, settings.labels(), strict=True)
            if wants is None or getattr(c, wants)]


def _record(url: str | None, store: StoreSpec, channel: Channel, label: str,
            message: compose.Message, status: str, now: datetime, *, attempts: int = 0,
            target: str = "", error: str | None = None, dedup_key: str | None = None,
            job_run_id: int | None = None, findings: Sequence[Finding] = ()) -> Sent:
    with session_scope(url) as session:
        row = tables.AlertMessage(
            kind=message.kind, store_id=store.id, channel=label, channel_type=channel.type,
            target=target[:500], language=message.language, status=status, attempts=attempts,
            error=error, subject=message.title[:500], body=message.text(),
            dedup_key=dedup_key, job_run_id=job_run_id, created_at=now,
            sent_at=now if status == tables.SENT else None)
        row.items = [tables.AlertItem(violation_id=f.violation_id, store_id=f.store_id,
                                      camera_id=f.camera_id, problem_key=f.key)
                     for f in findings]
        session.add(row)
        session.flush()
        message_id = row.id
    return Sent(message.kind, label, channel.type, status, target, attempts, error,
                len(findings), message_id)


def _send(url: str | None, store: StoreSpec, smtp: SmtpServer | None, channel: Channel,
          label: str, message: compose.Message, now: datetime, sleep: Sleep,
          **record: Any) -> Sent:
    settings: AlertSettings = store.alerts
    outcome = deliver(message, channel, smtp, settings.retries, settings.retry_wait_s, sleep)
    if not outcome.ok:
        log.warning("%s %s to %s (%s) failed after %d tries: %s", store.id, message.kind,
                    label, outcome.target, outcome.attempts, outcome.error)
    return _record(url, store, channel, label, message,
                   tables.SENT if outcome.ok else tables.FAILED, now, attempts=outcome.attempts,
                   target=outcome.target, error=outcome.error, **record)


def _not_yet_pushed(url: str | None, store_id: str, label: str, findings: list[Finding],
                    now: datetime) -> list[Finding]:
    """``findings`` less those already recorded for the channel (by violation) and the
    problems pushed to it lately (by key)."""
    msg, item = tables.AlertMessage, tables.AlertItem
    with session_scope(url) as session:
        base = (select(item.violation_id, item.problem_key, msg.status, msg.created_at)
                .join(msg, msg.id == item.message_id)
                .where(msg.store_id == store_id, msg.channel == label, msg.kind == tables.ALERT))
        ids = [f.violation_id for f in findings]
        done = {r.violation_id for r in session.execute(base.where(item.violation_id.in_(ids)))
                if r.status != tables.FAILED}
        keys = {f.key for f in findings}
        recent = {r.problem_key for r in session.execute(
            base.where(item.problem_key.in_(keys), msg.status == tables.SENT,
                       msg.created_at >= now - REPEAT_AFTER))}
    return [f for f in findings if f.violation_id not in done and f.key not in recent]


def _sent_last_hour(url: str | None, store_id: str, label: str, now: datetime) -> int:
    msg = tables.AlertMessage
    with session_scope(url) as session:
        return session.scalar(select(func.count(msg.id)).where(
            msg.store_id == store_id, msg.channel == label, msg.kind == tables.ALERT,
            msg.status == tables.SENT, msg.created_at > now - timedelta(hours=1))) or 0


def after_run(store: StoreSpec, smtp: SmtpServer | None, job_run_id: int, *,
              url: str | None = None, now: datetime | None = None,
              sleep: Sleep = time.sleep) -> list[Sent]:
    """Push the new problems one inspection run of ``store`` found (see the module doc)."""
    settings: AlertSettings | None = store.alerts
    if settings is None or not settings.severities():
        return []
    now = now or utcnow()
    with session_scope(url) as session:
        found = new_findings(session, run_findings(session, store.id, job_run_id,
                                                   settings.severities()))
    if not found:
        return []
    quiet = settings.is_quiet(i18n.local(now, store.timezone).time())
    out = []
    for channel, label in _channels(settings, "immediate"):
        fresh = _not_yet_pushed(url, store.id, label, found, now)
        if not fresh:
            continue
        message = compose.alert_message(store, fresh)
        record = {"job_run_id": job_run_id, "findings": fresh}
        if quiet:
            out.append(_record(url, store, channel, label, message, tables.QUIET, now,
                               **record))
        elif _sent_last_hour(url, store.id, label, now) >= settings.max_per_hour:
            out.append(_record(url, store, channel, label, message, tables.RATE_LIMITED, now,
                               **record))
        else:
            out.append(_send(url, store, smtp, channel, label, message, now, sleep, **record))
    return out


def digest_key(store: StoreSpec, now: datetime) -> str:
    """The store-local day a digest is for: at most one digest per day and channel."""
    return f"digest:{i18n.local(now, store.timezone).date().isoformat()}"


def _digest_sent(url: str | None, store_id: str, label: str, key: str) -> bool:
    msg = tables.AlertMessage
    with session_scope(url) as session:
        return bool(session.scalar(select(func.count(msg.id)).where(
            msg.store_id == store_id, msg.kind == tables.DIGEST, msg.channel == label,
            msg.dedup_key == key, msg.status == tables.SENT)))


def send_digest(store: StoreSpec, smtp: SmtpServer | None, *, url: str | None = None,
                now: datetime | None = None, sleep: Sleep = time.sleep) -> list[Sent]:
    """The morning digest to every channel that takes it (once per store-local day)."""
    settings: AlertSettings | None = store.alerts
    if settings is None:
        return []
    now = now or utcnow()
    key = digest_key(store, now)
    with session_scope(url) as session:
        state = store_state(session, store.id)
    message = compose.digest_message(store, state, now)
    out = []
    for channel, label in _channels(settings, "digest"):
        if _digest_sent(url, store.id, label, key):
            out.append(Sent(tables.DIGEST, label, channel.type, "already_sent"))
            continue
        out.append(_send(url, store, smtp, channel, label, message, now, sleep,
                         dedup_key=key))
    return out


def send_test(store: StoreSpec, smtp: SmtpServer | None, *, url: str | None = None,
              now: datetime | None = None, sleep: Sleep = time.sleep) -> list[Sent]:
    """A test message to every channel of ``store``, now.

    Raises:
        ShelfAuditError: the store has no ``alerts:`` block.
    """
    settings: AlertSettings | None = store.alerts
    if settings is None:
        raise ShelfAuditError(i18n._("store {store} has no alerts: block in stores.yaml "
                                     "(see the README, Alerts)").format(store=store.id))
    now = now or utcnow()
    return [_send(url, store, smtp, channel, label,
                  compose.test_message(store, label, now), now, sleep)
            for channel, label in _channels(settings, None)]
