"""The record of what was pushed (schema owned by the Alembic migration ``0504_alerts``).

``alert_messages``: one row per message per channel — an immediate alert, a morning digest or a
test — with what happened to it (:data:`SENT`, :data:`FAILED` after its retries, held back by
:data:`QUIET` hours or the :data:`RATE_LIMITED` hourly limit), the tries, the last error and the
text. ``alert_items``: the violations a message carried, by id and by *problem key* (store,
camera, rule, product, shelf), which is how a problem is never alerted twice.

Secrets are never recorded: ``target`` is the e-mail addresses or the webhook's host only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pipeline.db.tables import Base, utcnow

# kinds
ALERT, DIGEST, TEST = "alert", "digest", "test"
# statuses
SENT, FAILED, QUIET, RATE_LIMITED = "sent", "failed", "quiet", "rate_limited"


class AlertMessage(Base):
    """One message to one channel of a store, and what became of it."""

    __tablename__ = "alert_messages"
    __table_args__ = (Index(None, "store_id", "channel", "created_at"),
                      Index(None, "store_id", "kind", "dedup_key"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # alert | digest | test
    store_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))  # its label (name, else type)
    channel_type: Mapped[str] = mapped_column(String(16))  # email | wecom | dingtalk | ...
    target: Mapped[str] = mapped_column(String(500), default="")  # addresses or host
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    dedup_key: Mapped[str | None] = mapped_column(String(200))  # digest: its local day
    job_run_id: Mapped[int | None] = mapped_column(Integer)  # the run an alert followed
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    items: Mapped[list[AlertItem]] = relationship(back_populates="message",
                                                  cascade="all, delete-orphan")


class AlertItem(Base):
    """A violation an alert message carried (or held back)."""

    __tablename__ = "alert_items"
    __table_args__ = (Index(None, "message_id"), Index(None, "violation_id"),
                      Index(None, "store_id", "problem_key"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("alert_messages.id", ondelete="CASCADE"))
    violation_id: Mapped[int | None] = mapped_column(Integer)  # kept when history is replaced
    store_id: Mapped[str] = mapped_column(String(64))
    camera_id: Mapped[str] = mapped_column(String(64))
    problem_key: Mapped[str] = mapped_column(String(400))

    message: Mapped[AlertMessage] = relationship(back_populates="items")
