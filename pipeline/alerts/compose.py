"""The messages a store is sent, built once in its language and rendered per channel.

A :class:`Message` is made in one place (:func:`alert_message`, :func:`digest_message`,
:func:`test_message`) under :func:`pipeline.i18n.using` the store's language: product names
come from the catalog in that language, times are on the store's clock with the zone named.
Channels only render it: plain text (e-mail, Slack), Markdown (WeCom, DingTalk) or JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pipeline import i18n
from pipeline.alerts.findings import Finding, StoreState, most_severe_first
from pipeline.catalog import display_name
from pipeline.i18n import N_, _, ngettext
from pipeline.sites import StoreSpec

SEVERITY_WORDS = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}
MAX_LINES = 15  # problems listed in one message; the rest are counted
STALE = timedelta(hours=48)  # a camera without a photo for this long is called out


@dataclass(frozen=True)
class Message:
    """One message, already in its reader's language."""

    kind: str  # alert | digest | test
    store_id: str
    store_name: str
    language: str
    title: str
    intro: str
    lines: tuple[str, ...] = ()
    footer: str = ""
    findings: tuple[Finding, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """Plain text: e-mail bodies, Slack."""
        parts = [self.intro, *(f"• {line}" for line in self.lines)]
        if self.footer:
            parts.append(self.footer)
        return "\n".join(p for p in parts if p)

    def markdown(self) -> str:
        """Markdown for WeCom and DingTalk robots."""
        parts = [f"### {self.title}", self.intro, *(f"- {line}" for line in self.lines)]
        if self.footer:
            parts.append(f"> {self.footer}")
        return "\n".join(p for p in parts if p)

    def to_json(self) -> dict[str, Any]:
        """The generic JSON webhook's payload."""
        return {
            "kind": self.kind, "store": {"id": self.store_id, "name": self.store_name},
            "language": self.language, "title": self.title, "text": self.text(),
            "problems": [{"violation_id": f.violation_id, "inspection_id": f.inspection_id,
                          "camera": f.camera_id, "rule": f.rule_id, "severity": f.severity,
                          "message": f.message, "text": said(f, self.language),
                          "sku": f.sku, "shelf": f.shelf,
                          "product": display_name(f.sku, self.language) if f.sku else None,
                          "captured_at": f.captured_at.isoformat() + "Z"}
                         for f in self.findings],
            **self.extra,
        }


def said(finding: Finding, lang: str | None = None) -> str:
    """The violation's message in ``lang`` (default: the current language), with the
    catalog's names in it; the stored English message when it has no other wording."""
    from pipeline.rules.wording import violation_text

    text = violation_text({"message": finding.message, "wording": finding.wording}, lang)
    return text or finding.rule_id


def language_of(store: StoreSpec) -> str:
    """The store's ``language``, else the process's (``SHELFAUDIT_LANG`` / ``LANG``)."""
    return i18n.normalize(store.language) or i18n.from_environment()


def _store_name(store: StoreSpec) -> str:
    return store.name or store.id


def _camera_name(store: StoreSpec, camera_id: str) -> str:
    cam = store.cameras.get(camera_id)
    return cam.name if cam is not None and cam.name else camera_id


def finding_line(store: StoreSpec, finding: Finding, with_time: bool = False) -> str:
    """``"Drinks aisle · shelf 2 · ColaCo Cola 330ml can: no price tag (high)"``."""
    parts = [_camera_name(store, finding.camera_id)]
    if finding.shelf is not None:
        parts.append(_("shelf {n}").format(n=finding.shelf))
    if finding.sku:
        parts.append(display_name(finding.sku))
    severity = _(SEVERITY_WORDS.get(finding.severity, finding.severity))
    line = _("{where}: {message} ({severity})").format(
        where=" · ".join(parts), message=said(finding), severity=severity)
    if with_time:
        line += " — " + i18n.moment(finding.captured_at, store.timezone, weekday=False)
    return line


def _listed(store: StoreSpec, findings: list[Finding], with_time: bool) -> tuple[str, ...]:
    ordered = most_severe_first(findings)
    lines = [finding_line(store, f, with_time) for f in ordered[:MAX_LINES]]
    rest = len(ordered) - MAX_LINES
    if rest > 0:
        lines.append(ngettext("… and {n} more", "… and {n} more", rest).format(n=rest))
    return tuple(lines)


def alert_message(store: StoreSpec, findings: list[Finding]) -> Message:
    """Immediate alert: the new problems of one inspection run."""
    lang = language_of(store)
    with i18n.using(lang):
        n = len(findings)
        title = ngettext("ShelfAudit · {store}: {n} new problem on the shelves",
                         "ShelfAudit · {store}: {n} new problems on the shelves", n).format(
            store=_store_name(store), n=n)
        latest = max(f.captured_at for f in findings)
        intro = _("Found on the photos of {time}, most severe first:").format(
            time=i18n.moment(latest, store.timezone))
        return Message("alert", store.id, _store_name(store), lang, title, intro,
                       _listed(store, findings, with_time=False),
                       _("Each problem is sent once; the morning digest lists what is still "
                         "open."), tuple(findings))


def _summary(store: StoreSpec, state: StoreState) -> str:
    counts = state.counts()
    compliance = [c.compliance for c in state.cameras if c.compliance is not None]
    osa = [c.osa for c in state.cameras if c.osa is not None]
    return _("Latest photo of each camera: compliance {compliance}, OSA {osa}; open problems: "
             "{high} high, {medium} medium, {low} low.").format(
        compliance=i18n.percent(sum(compliance) / len(compliance) if compliance else None),
        osa=i18n.percent(sum(osa) / len(osa) if osa else None),
        high=counts["high"], medium=counts["medium"], low=counts["low"])


def digest_message(store: StoreSpec, state: StoreState, now: datetime) -> Message:
    """The morning digest: what is on the shelves now, most severe first."""
    lang = language_of(store)
    with i18n.using(lang):
        title = _("ShelfAudit · {store}: morning digest, {day}").format(
            store=_store_name(store), day=i18n.day(i18n.local(now, store.timezone)))
        if not state.cameras:
            return Message("digest", store.id, _store_name(store), lang, title,
                           _("No photos of this store have been inspected yet."))
        lines = list(_listed(store, list(state.findings), with_time=True))
        stale = [c for c in state.cameras if now - c.captured_at > STALE]
        notes = [_("{camera}: no photo since {time}").format(
            camera=_camera_name(store, c.camera_id),
            time=i18n.moment(c.captured_at, store.timezone)) for c in stale]
        footer = " ".join(notes) if notes else _("All cameras sent photos in the last two "
                                                 "days.")
        if not state.findings:
            lines = [_("Nothing to fix: no open problems on the latest photos.")]
        return Message("digest", store.id, _store_name(store), lang, title,
                       _summary(store, state), tuple(lines), footer, state.findings,
                       {"open": state.counts()})


def test_message(store: StoreSpec, channel: str, now: datetime) -> Message:
    """A message that says only that the channel works."""
    lang = language_of(store)
    with i18n.using(lang):
        title = _("ShelfAudit · {store}: test message").format(store=_store_name(store))
        intro = _("Alerts for {store} reach you through this channel ({channel}). Sent "
                  "{time}.").format(store=_store_name(store), channel=channel,
                                    time=i18n.moment(now, store.timezone))
        return Message("test", store.id, _store_name(store), lang, title, intro)
