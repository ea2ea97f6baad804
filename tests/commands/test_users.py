"""``shelfaudit users``: passwords from stdin never echoed, --json list, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from pipeline.access import accounts
from pipeline.cli import app

SECRET = "s3cret-passphrase"


@pytest.fixture
def run(db):
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(app, ["users", *args], input=stdin)

    return invoke


def test_add_list_and_change_users(run):
    added = run("add", "Alice", "--role", "supervisor", "--display-name", "Alice <A>",
                "--password-stdin", stdin=SECRET + "\n")
    assert added.exit_code == 0, added.output
    assert SECRET not in added.output
    assert accounts.authenticate("alice", SECRET).role == "supervisor"
    assert run("set-role", "alice", "viewer").exit_code == 0
    assert run("add", "root", "--role", "admin", "--no-password").exit_code == 0
    assert run("disable", "alice").exit_code == 0
    listed = json.loads(run("list", "--json").output)
    assert listed == [
        {"username": "alice", "display_name": "Alice <A>", "role": "viewer", "stores": [],
         "active": False, "email": None},
        {"username": "root", "display_name": "", "role": "admin", "stores": [],
         "active": True, "email": None}]
    assert run("enable", "alice").exit_code == 0
    assert run("passwd", "alice", "--password-stdin", stdin="another-one-123\n").exit_code == 0
    assert accounts.authenticate("alice", "another-one-123").active


def test_assign_stores(run, small_db):
    run("add", "v", "--password-stdin", stdin=SECRET + "\n")
    assert run("assign", "v", "s001", "s002").exit_code == 0
    assert run("assign", "v", "s002", "--remove").exit_code == 0
    assert accounts.get_user("v").stores == {"s001"}
    assert "unknown store" in str(run("assign", "v", "nowhere").exception)


def test_refusals_are_user_errors(run):
    short = run("add", "bob", "--password-stdin", stdin="short\n")
    assert "at least 8" in str(short.exception)
    assert "no user named" in str(run("disable", "ghost").exception)
    assert "unknown role" in str(run("add", "x", "--role", "god", "--no-password").exception)
    assert accounts.list_users() == []


def test_the_real_command_exits_2_with_one_line_and_no_password(db):
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "users", "add", "bob",
                           "--password-stdin"], input="bob\n", capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: the password needs at least 8 characters"]


def test_a_password_is_never_read_from_a_pipe_without_asking(run):
    piped = run("add", "bob", stdin=SECRET + "\n")  # stdin is not a terminal here
    assert "--password-stdin" in str(piped.exception)
    assert SECRET not in piped.output and accounts.list_users() == []


def test_first_admin_is_announced_once(db, capsys, monkeypatch):
    from pipeline.commands.users import announce_first_admin

    monkeypatch.delenv(accounts.ADMIN_PASSWORD_ENV, raising=False)
    name, password = announce_first_admin()
    printed = capsys.readouterr().err
    assert password in printed and "shelfaudit users passwd admin" in printed
    assert announce_first_admin() is None and capsys.readouterr().err == ""


def test_first_admin_from_the_environment_is_not_printed(db, capsys, monkeypatch):
    from pipeline.commands.users import announce_first_admin

    monkeypatch.setenv(accounts.ADMIN_PASSWORD_ENV, "env-password-123")
    assert announce_first_admin() == ("admin", "env-password-123")
    assert "env-password-123" not in capsys.readouterr().err
