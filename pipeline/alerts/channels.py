"""Sending a :class:`~pipeline.alerts.compose.Message` to one channel, with retries.

* **email** — :mod:`smtplib` through the ``smtp:`` server of ``stores.yaml`` (STARTTLS, TLS or
  plain; login when a user is named, the password read from ``password_env``).
* **wecom** — a WeCom (企业微信) group robot: ``{"msgtype": "markdown", "markdown": {"content"}}``;
  the reply's ``errcode`` must be 0.
* **dingtalk** — a DingTalk (钉钉) custom robot: ``{"msgtype": "markdown", "markdown": {"title",
  "text"}}``; with ``secret_env`` the URL is signed (``timestamp`` and ``sign``, HMAC-SHA256 of
  ``"{timestamp}\\n{secret}"``, as the robot's "加签" setting asks); ``errcode`` must be 0.
* **slack** — an incoming webhook: ``{"text": ...}``.
* **json** — any HTTP receiver: the message as JSON (:meth:`Message.to_json`).

A try that fails for a passing reason (no connection, timeout, HTTP 429 or 5xx, an SMTP 4xx
reply, a robot's "too many messages") is repeated after ``retry_wait_s``, doubling each time,
up to ``retries`` tries; other failures (HTTP 4xx, SMTP 5xx, a wrong token) end at once. A
missing environment variable fails before any try. Nothing here raises: every send ends in an
:class:`Outcome`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import smtplib
import ssl
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from pipeline.alerts.compose import Message
from pipeline.alerts.config import Channel, SmtpServer
from pipeline.i18n import _

HTTP_TIMEOUT_S = 10.0
MAX_MARKDOWN_BYTES = {"wecom": 4000, "dingtalk": 18000}  # the robots' own limits, with room
BUSY_ERRCODES = {-1, 45009, 130101}  # "system busy" / "too many messages": try again later


class NotConfigured(Exception):
    """Cannot even try (a variable is not set, no mail server)."""


class Permanent(Exception):
    """A failure that another try would repeat."""


class Transient(Exception):
    """A failure that may pass."""


@dataclass(frozen=True)
class Outcome:
    """What became of one message on one channel."""

    ok: bool
    attempts: int
    target: str
    error: str | None = None


def _env(name: str | None, what: str) -> str:
    value = os.environ.get(name or "", "")
    if not value:
        raise NotConfigured(_("environment variable {name} ({what}) is not set").format(
            name=name, what=what))
    return value


def target_of(channel: Channel) -> str:
    """Where a channel sends to, without secrets: addresses, or the webhook's host."""
    if channel.type == "email":
        return ", ".join(channel.to)
    url = os.environ.get(channel.url_env or "", "")
    host = urllib.parse.urlsplit(url).hostname if url else None
    return host or f"${channel.url_env}"


# -- e-mail ---------------------------------------------------------------------------------
def email_of(message: Message, channel: Channel, smtp: SmtpServer) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = smtp.sender
    mail["To"] = ", ".join(channel.to)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="shelfaudit.local")
    mail["Content-Language"] = "zh-CN" if message.language == "zh" else "en"
    mail.set_content(message.text())
    return mail


def send_email(message: Message, channel: Channel, smtp: SmtpServer | None) -> None:
    if smtp is None:
        raise NotConfigured(_("stores.yaml has no smtp: block (the mail server)"))
    password = _env(smtp.password_env, _("SMTP password")) if smtp.username else None
    mail = email_of(message, channel, smtp)
    context = ssl.create_default_context()
    cls = smtplib.SMTP_SSL if smtp.security == "ssl" else smtplib.SMTP
    kwargs: dict[str, Any] = {"context": context} if smtp.security == "ssl" else {}
    try:
        with cls(smtp.host, smtp.port_in_use, timeout=smtp.timeout_s, **kwargs) as server:
            if smtp.security == "starttls":
                server.starttls(context=context)
            if smtp.username:
                server.login(smtp.username, password or "")
            server.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        raise Permanent(_("the mail server refused the recipients: {who}").format(
            who=", ".join(exc.recipients))) from None
    except smtplib.SMTPResponseException as exc:
        text = f"SMTP {exc.smtp_code}: {_decoded(exc.smtp_error)}"
        raise (Transient if 400 <= exc.smtp_code < 500 else Permanent)(text) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise Transient(f"{type(exc).__name__}: {exc}") from None


def _decoded(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


# -- webhooks -------------------------------------------------------------------------------
def _fit(text: str, limit: int) -> str:
    """``text`` cut at a line end to at most ``limit`` UTF-8 bytes."""
    if len(text.encode("utf-8")) <= limit:
        return text
    lines, size = [], 0
    for line in text.splitlines():
        size += len(line.encode("utf-8")) + 1
        if size > limit - 8:
            break
        lines.append(line)
    return "\n".join([*lines, "…"])


def payload_of(message: Message, kind: str) -> dict[str, Any]:
    """The JSON body a webhook of ``kind`` expects."""
    if kind == "wecom":
        return {"msgtype": "markdown",
                "markdown": {"content": _fit(message.markdown(), MAX_MARKDOWN_BYTES["wecom"])}}
    if kind == "dingtalk":
        return {"msgtype": "markdown",
                "markdown": {"title": message.title,
                             "text": _fit(message.markdown(), MAX_MARKDOWN_BYTES["dingtalk"])}}
    if kind == "slack":
        return {"text": f"*{message.title}*\n{message.text()}"}
    return message.to_json()


def signed_url(url: str, secret: str, now_ms: int | None = None) -> str:
    """A DingTalk robot URL with ``timestamp`` and ``sign`` added."""
    stamp = str(now_ms if now_ms is not None else round(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"


def send_webhook(message: Message, channel: Channel) -> None:
    import httpx

    url = _env(channel.url_env, _("webhook URL"))
    if channel.type == "dingtalk" and channel.secret_env:
        url = signed_url(url, _env(channel.secret_env, _("DingTalk signing secret")))
    try:
        reply = httpx.post(url, json=payload_of(message, channel.type), timeout=HTTP_TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise Transient(f"{type(exc).__name__}: {exc}") from None
    if reply.status_code == 429 or reply.status_code >= 500:
        raise Transient(f"HTTP {reply.status_code}: {reply.text[:200]}")
    if reply.status_code >= 400:
        raise Permanent(f"HTTP {reply.status_code}: {reply.text[:200]}")
    if channel.type in ("wecom", "dingtalk"):
        _robot_reply(reply)


def _robot_reply(reply: Any) -> None:
    try:
        body = reply.json()
    except ValueError:
        raise Permanent(f"not a robot reply: {reply.text[:200]}") from None
    code = body.get("errcode") if isinstance(body, dict) else None
    if code in (0, None):
        return
    text = f"errcode {code}: {body.get('errmsg', '')}"
    raise (Transient if code in BUSY_ERRCODES else Permanent)(text)


# -- with retries ---------------------------------------------------------------------------
def deliver(message: Message, channel: Channel, smtp: SmtpServer | None, retries: int,
            wait_s: float, sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Send ``message`` to ``channel``, trying up to ``retries`` times; never raises."""
    target = target_of(channel)
    last = ""
    for attempt in range(1, retries + 1):
        try:
            if channel.type == "email":
                send_email(message, channel, smtp)
            else:
                send_webhook(message, channel)
            return Outcome(True, attempt, target)
        except NotConfigured as exc:
            return Outcome(False, 0, target, str(exc))
        except Permanent as exc:
            return Outcome(False, attempt, target, str(exc))
        except Transient as exc:
            last = str(exc)
        except Exception as exc:  # noqa: BLE001 - a channel must never stop the run
            return Outcome(False, attempt, target, f"{type(exc).__name__}: {exc}")
        if attempt < retries:
            sleep(wait_s * 2 ** (attempt - 1))
    return Outcome(False, retries, target, last)
