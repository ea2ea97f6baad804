"""CLI commands: ``shelfaudit alerts test`` (a test message to every channel of a store) and
``shelfaudit alerts log`` (the record of what was pushed)."""

from __future__ import annotations

import json

import typer

from pipeline.i18n import N_

KIND_WORDS = {"alert": N_("alert"), "digest": N_("digest"), "test": N_("test")}

alerts_app = typer.Typer(
    name="alerts",
    help="Digest and immediate alerts (alerts: in stores.yaml): send a test, read the log.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``alerts`` group to the shelfaudit app."""
    app.add_typer(alerts_app, name="alerts")


def _status_word(status: str) -> str:
    from pipeline.i18n import _

    words = {"sent": _("sent"), "failed": _("failed"), "quiet": _("held (quiet hours)"),
             "rate_limited": _("held (hourly limit)"), "already_sent": _("already sent today")}
    return words.get(status, status)


@alerts_app.command("test")
def alerts_test(
    store: str = typer.Option(..., "--store", "-s", help="Store id, e.g. s001."),
    as_json: bool = typer.Option(False, "--json", help="Print the outcomes as JSON."),
) -> None:
    """Send a test message to every channel of a store now and say what happened to each.

    Uses the store's alerts: block and the smtp: block of stores.yaml, with the secrets from
    the environment variables they name; quiet hours and the hourly limit do not apply. Exit
    code 1 when a channel failed.
    """
    from pipeline import db
    from pipeline.alerts.dispatch import send_test
    from pipeline.context import edge_context
    from pipeline.errors import ShelfAuditError
    from pipeline.i18n import _, ngettext

    db.upgrade()
    sites = edge_context().sites  # this command's stores.yaml, read once
    spec = sites.store(store)
    if spec is None:
        raise ShelfAuditError(_("unknown store {store}; stores.yaml has {known}").format(
            store=store, known=", ".join(s.id for s in sites.stores) or "-"))
    outcomes = send_test(spec, sites.smtp)
    if as_json:
        typer.echo(json.dumps({"store": store, "channels": [o.to_dict() for o in outcomes]},
                              ensure_ascii=False))
    else:
        for o in outcomes:
            status = _status_word(o.status)
            if o.attempts:
                status = ngettext("{status} ({n} try)", "{status} ({n} tries)",
                                  o.attempts).format(status=status, n=o.attempts)
            line = _("{channel} → {target}: {status}").format(
                channel=o.channel, target=o.target, status=status)
            if o.error:
                line += f" — {o.error}"
            typer.echo(line)
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)


@alerts_app.command("log")
def alerts_log(
    store: str | None = typer.Option(None, "--store", "-s", help="Only this store."),
    limit: int = typer.Option(20, "--limit", min=1, max=1000, help="Newest N messages."),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
) -> None:
    """What was pushed, newest first: kind, channel, status, tries, error, subject."""
    from sqlalchemy import select

    from pipeline import db
    from pipeline.alerts.tables import AlertMessage
    from pipeline.i18n import _

    db.upgrade()
    query = select(AlertMessage).order_by(AlertMessage.id.desc()).limit(limit)
    if store:
        query = query.where(AlertMessage.store_id == store)
    with db.session_scope() as session:
        rows = [{"id": r.id, "created_at": r.created_at.isoformat() + "Z", "store": r.store_id,
                 "kind": r.kind, "channel": r.channel, "target": r.target,
                 "status": r.status, "attempts": r.attempts, "error": r.error,
                 "subject": r.subject, "problems": len(r.items)}
                for r in session.scalars(query)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        kind = _(KIND_WORDS[r["kind"]]) if r["kind"] in KIND_WORDS else r["kind"]
        typer.echo(f"{r['created_at']} {r['store']} {kind:<6} {r['channel']:<10} "
                   f"{_status_word(r['status'])} ×{r['attempts']} {r['subject']}"
                   + (f" — {r['error']}" if r["error"] else ""))
