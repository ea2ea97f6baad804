"""CLI commands: ``shelfaudit users add|list|disable|enable|set-role|assign|passwd``.

Passwords come from a hidden prompt (typed twice) or, for scripts, the first line of standard
input with ``--password-stdin``; they are never echoed, never taken as an argument (arguments
show up in shell history and ``ps``). Changes are written to the audit log as ``cli:<os user>``.
"""

from __future__ import annotations

import json
import sys

import typer

from pipeline.i18n import N_, _

users_app = typer.Typer(help="Dashboard accounts: add, list, disable, roles, stores, passwords.",
                        no_args_is_help=True)

PASSWORD_STDIN = typer.Option(False, "--password-stdin",
                              help="Read the password from the first line of standard input.")


def _ready() -> None:
    from pipeline.db import upgrade

    upgrade()


def _read_password(from_stdin: bool) -> str:
    from pipeline.errors import ShelfAuditError

    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    if not sys.stdin.isatty():
        raise ShelfAuditError(_("standard input is not a terminal: pass --password-stdin and "
                                "write the password to standard input"))
    return typer.prompt(_("Password"), hide_input=True,
                        confirmation_prompt=_("Repeat the password"))


ROLE_WORDS = {"viewer": N_("viewer"), "supervisor": N_("supervisor"), "admin": N_("admin")}


def _describe(user) -> str:  # noqa: ANN001 - pipeline.access.roles.User
    stores = _("all stores") if user.is_admin else (", ".join(sorted(user.stores))
                                                     or _("no stores"))
    role = _(ROLE_WORDS[user.role]) if user.role in ROLE_WORDS else user.role
    text = _("{name} ({role}; {stores})").format(name=user.username, role=role, stores=stores)
    return text if user.active else _("{account} [disabled]").format(account=text)


@users_app.command("add")
def add(username: str = typer.Argument(..., help="Sign-in name: letters, digits, . _ @ + -"),
        role: str = typer.Option("viewer", "--role", "-r", help="viewer, supervisor or admin"),
        store: list[str] = typer.Option([], "--store", "-s", help="Store id (repeat for more)."),
        display_name: str = typer.Option("", "--display-name", help="Name shown in the app."),
        email: str = typer.Option("", "--email", help="E-mail for single sign-on (OIDC)."),
        no_password: bool = typer.Option(False, "--no-password",
                                         help="Single sign-on only (no local password)."),
        password_stdin: bool = PASSWORD_STDIN) -> None:
    """Add an account."""
    from pipeline.access.accounts import add_user

    _ready()
    password = None if no_password else _read_password(password_stdin)
    user = add_user(username, password, role=role, stores=store, display_name=display_name,
                    email=email or None)
    typer.echo(_("added {account}").format(account=_describe(user)))


@users_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List the accounts."""
    from pipeline.access.accounts import list_users

    _ready()
    found = list_users()
    if as_json:
        typer.echo(json.dumps([{"username": u.username, "display_name": u.display_name,
                                "role": u.role, "stores": sorted(u.stores),
                                "active": u.active, "email": u.email} for u in found],
                              ensure_ascii=False, indent=2))
        return
    if not found:
        typer.echo(_("no accounts yet (`shelfaudit users add NAME --role admin`)"))
    for user in found:
        typer.echo(_describe(user))


@users_app.command("disable")
def disable(username: str) -> None:
    """Disable an account (its sessions end at once; its history stays)."""
    from pipeline.access.accounts import set_active

    _ready()
    typer.echo(_("disabled {account}").format(account=_describe(set_active(username, False))))


@users_app.command("enable")
def enable(username: str) -> None:
    """Enable a disabled account again."""
    from pipeline.access.accounts import set_active

    _ready()
    typer.echo(_("enabled {account}").format(account=_describe(set_active(username, True))))


@users_app.command("set-role")
def set_role(username: str, role: str = typer.Argument(..., help="viewer, supervisor or admin")
             ) -> None:
    """Change an account's role."""
    from pipeline.access.accounts import set_role as change

    _ready()
    typer.echo(_("changed {account}").format(account=_describe(change(username, role))))


@users_app.command("assign")
def assign(username: str, stores: list[str] = typer.Argument(..., help="Store ids."),
           remove: bool = typer.Option(False, "--remove", help="Take these stores away."),
           replace: bool = typer.Option(False, "--replace", help="Set exactly these stores.")
           ) -> None:
    """Give an account stores to see (admins see every store anyway)."""
    from pipeline.access.accounts import assign_stores
    from pipeline.errors import ShelfAuditError

    if remove and replace:
        raise ShelfAuditError(_("use either --remove or --replace, not both"))
    _ready()
    user = assign_stores(username, stores, remove=remove, replace=replace)
    typer.echo(_("changed {account}").format(account=_describe(user)))


@users_app.command("passwd")
def passwd(username: str, password_stdin: bool = PASSWORD_STDIN) -> None:
    """Set a new password (the account's sessions end)."""
    from pipeline.access.accounts import get_user, set_password
    from pipeline.errors import ShelfAuditError

    _ready()
    if get_user(username) is None:
        raise ShelfAuditError(_("no user named {name}").format(name=repr(username)))
    set_password(username, _read_password(password_stdin))
    typer.echo(_("password changed for {name}").format(name=username))


def announce_first_admin() -> tuple[str, str] | None:
    """Create the first admin when there is no account (``serve``/``demo`` call this) and
    print its credentials once, on standard error; ``(name, password)`` or ``None``."""
    import os

    from pipeline.access.accounts import ADMIN_PASSWORD_ENV, ensure_first_admin

    made = ensure_first_admin()
    if made is None:
        return None
    name, password = made
    shown = _("(the value of ${variable})").format(variable=ADMIN_PASSWORD_ENV) \
        if os.environ.get(ADMIN_PASSWORD_ENV) else password
    line = "=" * 64
    typer.echo(line + "\n" + _(" First admin account created. The password is shown only this "
                               "once:\n   user name: {name}\n   password:  {password}\n Sign "
                               "in, then change it:  shelfaudit users passwd {name}").format(
        name=name, password=shown) + "\n" + line, err=True)
    return made


def register(app: typer.Typer) -> None:
    """Add this group's commands to the shelfaudit app."""
    app.add_typer(users_app, name="users")
