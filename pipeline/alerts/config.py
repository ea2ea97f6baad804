"""The ``alerts:`` block of a store and the ``smtp:`` block of ``rules/stores.yaml``.

::

    smtp:                              # the mail server every store's e-mail channel uses
      host: smtp.example.com
      port: 587                        # default: 587 (starttls), 465 (ssl), 25 (none)
      security: starttls               # starttls | ssl | none
      username: shelfaudit@example.com
      password_env: SHELFAUDIT_SMTP_PASSWORD   # the password is read from this variable
      sender: ShelfAudit <shelfaudit@example.com>
    stores:
      - id: s001
        language: zh                   # messages pushed to this store: zh or en
        alerts:
          immediate: high              # push new problems of this severity (or worse)
          digest: "07:30"              # the morning digest, store-local time ("off": none)
          quiet_hours: "22:00-07:00"   # store-local; nothing is pushed at once in between
          max_per_hour: 6              # immediate messages per channel and hour
          channels:
            - {type: email, to: [zhang.wei@example.com]}
            - {type: wecom, url_env: S001_WECOM_URL, digest: false}

Secrets never live in the YAML: a webhook's whole URL (its token is part of it) and the SMTP
password come from the environment variables the file names (``url_env``, ``secret_env``,
``password_env``).
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipeline.i18n import N_, _

SEVERITIES: tuple[str, ...] = ("low", "medium", "high")
CHANNEL_TYPES: tuple[str, ...] = ("email", "wecom", "dingtalk", "slack", "json")
WEBHOOK_TYPES: tuple[str, ...] = ("wecom", "dingtalk", "slack", "json")
_ENV = r"^[A-Za-z_][A-Za-z0-9_]*$"
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
SECRET_IN_FILE = N_("a {what} must not be written in stores.yaml: put it in an environment "
                    "variable and name that variable with {field}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_clock(text: str) -> time:
    """``"07:30"`` -> ``time(7, 30)``.

    Raises:
        ValueError: not a 24-hour ``HH:MM`` time.
    """
    match = _CLOCK.match(str(text).strip())
    if not match:
        raise ValueError(_("'{text}' is not a time of day like 07:30 (24-hour HH:MM)").format(
            text=text))
    return time(int(match.group(1)), int(match.group(2)))


def _refuse(value: Any, field: str, what: str, instead: str) -> Any:
    if isinstance(value, dict) and field in value:
        raise ValueError(_(SECRET_IN_FILE).format(what=_(what), field=instead))
    return value


class SmtpServer(_Strict):
    """The mail server e-mail channels send through."""

    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535,
                             description="default 587 (starttls), 465 (ssl), 25 (none)")
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = Field(default=None, pattern=_ENV,
                                     description="environment variable holding the password")
    sender: str = Field(min_length=3, description="the From address")
    timeout_s: float = Field(default=15, gt=0, le=120)

    @model_validator(mode="before")
    @classmethod
    def _no_password(cls, value: Any) -> Any:
        return _refuse(value, "password", N_("password"), "password_env")

    @property
    def port_in_use(self) -> int:
        return self.port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]


class Channel(_Strict):
    """Where a store's messages go: e-mail, or a WeCom / DingTalk / Slack / JSON webhook."""

    type: Literal["email", "wecom", "dingtalk", "slack", "json"]
    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                             max_length=40, description="label in the record of what was sent")
    to: list[str] = Field(default_factory=list, description="e-mail addresses (email)")
    url_env: str | None = Field(default=None, pattern=_ENV,
                                description="environment variable holding the webhook URL")
    secret_env: str | None = Field(default=None, pattern=_ENV,
                                   description="DingTalk signing secret's variable (optional)")
    immediate: bool = Field(default=True, description="takes the immediate alerts")
    digest: bool = Field(default=True, description="takes the morning digest")

    @model_validator(mode="before")
    @classmethod
    def _no_url(cls, value: Any) -> Any:
        value = _refuse(value, "url", N_("webhook URL (it carries the access token)"),
                        "url_env")
        return _refuse(value, "secret", N_("signing secret"), "secret_env")

    @field_validator("to", mode="before")
    @classmethod
    def _addresses(cls, value: Any) -> Any:
        value = [value] if isinstance(value, str) else value
        for address in value or []:
            if not isinstance(address, str) or not _EMAIL.match(address):
                raise ValueError(_("'{address}' is not an e-mail address").format(
                    address=address))
        return value

    @model_validator(mode="after")
    def _fields_of_type(self) -> Channel:
        if self.type == "email":
            if not self.to:
                raise ValueError(_("an email channel needs 'to': one or more addresses"))
            if self.url_env or self.secret_env:
                raise ValueError(_("url_env and secret_env belong to webhook channels"))
        else:
            if not self.url_env:
                raise ValueError(_("a {type} channel needs 'url_env': the environment "
                                   "variable that holds the webhook URL").format(type=self.type))
            if self.to:
                raise ValueError(_("'to' belongs to email channels"))
            if self.secret_env and self.type != "dingtalk":
                raise ValueError(_("secret_env is for dingtalk channels (signed robots)"))
        return self


class AlertSettings(_Strict):
    """What a store is sent, when, and where."""

    immediate: Literal["high", "medium", "low", "off"] = Field(
        default="high", description="push new problems of this severity or worse right after "
        "each scheduled inspection run; off: none")
    digest: str = Field(default="07:30", description="store-local time of the morning digest "
                        "(HH:MM), or off")
    quiet_hours: str | None = Field(default=None, description="store-local 'HH:MM-HH:MM' in "
                                    "which nothing is pushed at once (the digest carries it)")
    max_per_hour: int = Field(default=6, ge=1, le=1000,
                              description="immediate messages per channel and hour")
    retries: int = Field(default=3, ge=1, le=10, description="tries per message")
    retry_wait_s: float = Field(default=2.0, ge=0, le=300,
                                description="wait before the second try; doubles each time")
    channels: list[Channel] = Field(min_length=1)

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str) -> str:
        if str(value).strip().lower() in ("off", "false", "no", "none"):
            return "off"
        return parse_clock(value).strftime("%H:%M")

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str | None) -> str | None:
        if value is None:
            return None
        start, sep, end = str(value).partition("-")
        if not sep:
            raise ValueError(_("quiet_hours '{value}' should be 'HH:MM-HH:MM', e.g. "
                               "22:00-07:00").format(value=value))
        start_t, end_t = parse_clock(start), parse_clock(end)
        if start_t == end_t:
            raise ValueError(_("quiet_hours start and end are the same time"))
        return f"{start_t:%H:%M}-{end_t:%H:%M}"

    @model_validator(mode="after")
    def _unique_names(self) -> AlertSettings:
        names = [c.name for c in self.channels if c.name]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(_("channel name '{name}' is used twice").format(name=dupes[0]))
        return self

    @property
    def digest_time(self) -> time | None:
        return None if self.digest == "off" else parse_clock(self.digest)

    def is_quiet(self, local_time: time) -> bool:
        """Whether ``local_time`` (the store's clock) falls in the quiet hours."""
        if not self.quiet_hours:
            return False
        start_text, _, end_text = self.quiet_hours.partition("-")
        start, end = parse_clock(start_text), parse_clock(end_text)
        if start < end:
            return start <= local_time < end
        return local_time >= start or local_time < end

    def severities(self) -> tuple[str, ...]:
        """The severities pushed at once (none when ``immediate`` is off)."""
        if self.immediate == "off":
            return ()
        return SEVERITIES[SEVERITIES.index(self.immediate):]

    def labels(self) -> list[str]:
        """Each channel's label in the record: its name, else its type (numbered when a type
        is used more than once)."""
        types = [c.type for c in self.channels]
        out = []
        for i, channel in enumerate(self.channels):
            if channel.name:
                out.append(channel.name)
            elif types.count(channel.type) > 1:
                out.append(f"{channel.type}-{types[:i + 1].count(channel.type)}")
            else:
                out.append(channel.type)
        return out
