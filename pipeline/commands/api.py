"""CLI commands: ``shelfaudit api`` (the HTTP API), ``shelfaudit tokens add|list|revoke``
and ``shelfaudit bench api``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.i18n import _

tokens_app = typer.Typer(
    name="tokens",
    help="API tokens for cameras and other systems: add (shown once), list, revoke.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add ``api``, the ``tokens`` group and ``bench api`` to the shelfaudit app."""
    app.command("api")(api)
    app.add_typer(tokens_app, name="tokens")
    from pipeline.commands import bench_group

    bench = bench_group(app)
    bench.command("api")(bench_api)


def api(
    host: str = typer.Option("127.0.0.1", "--host", envvar="SHELFAUDIT_API_HOST",
                             help="Listen address: 127.0.0.1 (this machine; put a TLS reverse "
                                  "proxy in front) or 0.0.0.0 for every interface."),
    port: int = typer.Option(8502, "--port", envvar="SHELFAUDIT_API_PORT", help="Port."),
    inspector: str | None = typer.Option(
        None, "--inspector", help="Who inspects ?inspect=now photos: models (default), truth "
        "or fake[:SECONDS] (tests); or set SHELFAUDIT_INSPECTOR."),
    preload: bool = typer.Option(False, "--preload", help="Load the models at start, not on "
                                                          "the first ?inspect=now."),
) -> None:
    """Serve the HTTP API for cameras and other systems (OpenAPI page at /docs).

    Photos in (POST /v1/photos, queued for the next run or inspected at once), inspections and
    weekly reports out, health, what-if rule checks. Every request needs a token from
    `shelfaudit tokens add`; see README "HTTP API".
    """
    import uvicorn

    from pipeline import db
    from pipeline.api.app import create_app

    db.upgrade()
    app = create_app(inspector, preload=preload)
    typer.echo(_("ShelfAudit API on {url} (OpenAPI page: /docs)").format(
        url=f"http://{host}:{port}"), err=True)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


@tokens_app.command("add")
def tokens_add(
    name: str = typer.Argument(..., help="A name for the token, e.g. cam-s001-c01."),
    store: list[str] = typer.Option(None, "--store", "-s",
                                    help="A store it may use (repeatable or comma-separated)."),
    all_stores: bool = typer.Option(False, "--all-stores", help="Every store (careful)."),
    scope: str = typer.Option(..., "--scope",
                              help="photos:write, results:read and/or rules:check, "
                                   "comma-separated."),
    expires: float | None = typer.Option(None, "--expires", help="Days until it expires "
                                                                 "(default: never)."),
    rate: int = typer.Option(120, "--rate", min=1, help="Requests per minute it may make."),
    as_json: bool = typer.Option(False, "--json", help="Print the token and its facts as JSON."),
) -> None:
    """Create an API token. It is shown only this once; the database keeps its SHA-256."""
    from pipeline import db
    from pipeline.access.audit import cli_actor
    from pipeline.access.tokens import TokenError, add_token
    from pipeline.context import edge_context

    if bool(store) == all_stores:
        raise TokenError(_("give the token's stores (--store s001 ...) or --all-stores, not "
                           "both"))
    db.upgrade()
    known = [s.id for s in edge_context().sites.stores]  # this command's stores.yaml
    info, token = add_token(name, None if all_stores else store, [scope], expires_days=expires,
                            rate_per_minute=rate, actor=cli_actor(), known_stores=known)
    if as_json:
        typer.echo(json.dumps({**info.to_dict(), "token": token}, ensure_ascii=False))
        return
    typer.echo(_("token {name} — shown only this once; put it in the camera or system's "
                 "settings:").format(name=repr(info.name)) + f"\n\n    {token}\n")
    typer.echo(_("stores: {stores}; scopes: {scopes}; rate: {rate}/min; expires: {expires}"
                 ).format(stores=", ".join(info.stores) if info.stores else _("all"),
                          scopes=", ".join(info.scopes), rate=info.rate_per_minute,
                          expires=info.to_dict()["expires_at"] or _("never")))


@tokens_app.command("list")
def tokens_list(
    as_json: bool = typer.Option(False, "--json", help="Print the tokens as JSON."),
) -> None:
    """List tokens (never the tokens themselves): stores, scopes, status, last use."""
    from pipeline import db
    from pipeline.access.tokens import list_tokens

    db.upgrade()
    found = [t.to_dict() for t in list_tokens()]
    if as_json:
        typer.echo(json.dumps({"tokens": found}, ensure_ascii=False))
        return
    if not found:
        typer.echo(_("no tokens yet (shelfaudit tokens add NAME --store S --scope ...)"))
    status = {"active": _("active"), "revoked": _("revoked"), "expired": _("expired")}
    for t in found:
        typer.echo(f"{t['name']:<24} {status.get(t['status'], t['status']):<8} "
                   f"{t['prefix']}…  " + _(
                       "stores {stores}  scopes {scopes}  expires {expires}  last used {used}"
                   ).format(stores=",".join(t["stores"]) if t["stores"] else _("all"),
                            scopes=",".join(t["scopes"]), expires=t["expires_at"] or _("never"),
                            used=t["last_used_at"] or _("never")))


@tokens_app.command("revoke")
def tokens_revoke(name: str = typer.Argument(..., help="The token's name.")) -> None:
    """Revoke a token now: its next request is refused (401)."""
    from pipeline import db
    from pipeline.access.audit import cli_actor
    from pipeline.access.tokens import revoke_token

    db.upgrade()
    info = revoke_token(name, actor=cli_actor())
    typer.echo(_("token {name} revoked at {when}").format(name=repr(info.name),
                                                          when=info.to_dict()["revoked_at"]))


def bench_api(
    photos: int = typer.Option(200, "--photos", min=10, help="Photos pushed for the intake "
                                                             "rate."),
    clients: int = typer.Option(4, "--clients", min=1, max=64, help="Parallel clients."),
    width: int = typer.Option(1920, "--width", min=320, max=4096, help="Photo width (px)."),
    inspections: int = typer.Option(10, "--inspections", min=0,
                                    help="?inspect=now requests timed with the starter models "
                                         "(0: skip)."),
    home: Path | None = typer.Option(None, "--home", help="Scratch SHELFAUDIT_HOME (default: "
                                                          "a temporary folder)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """HTTP API speed on a real uvicorn server (one run).

    Queued photos accepted per second (target 50/s) with the server's CPU time per photo,
    and the p50/p95 latency of ?inspect=now with the configured (by default the starter)
    models.
    """
    from pipeline.api.bench import format_report, run_api_bench

    report = run_api_bench(photos=photos, clients=clients, width=width,
                           inspections=inspections, home=home,
                           log=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(report, indent=2) if as_json else format_report(report))
