"""Second audit (issue #18): reference photos are admin-only and audited; rule versions carry
the signed-in user; owner-only files; XSRF/CORS set explicitly; the dashboard listens on this
machine unless told otherwise."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pipeline.access.audit import audit_entries
from pipeline.access.scope import Scope, ScopeError
from pipeline.actions import reference_photos, rule_edits
from pipeline.queries import rule_history
from tests.factories import samples
from tests.factories.accounts import make_user
from tests.factories.dashboard_fixtures import REPO, rules_copy  # noqa: F401 - fixture reused

SAM = Scope(stores=frozenset({"s001"}), role="supervisor", user="sam")
ROOT = Scope(stores=None, role="admin", user="root")
SKU = "colaco-cola-330"


def _log(action: str):
    return audit_entries(make_user("root", "admin"), action=action)


def _gallery(home: Path) -> list[Path]:
    return sorted((home / "gallery").rglob("*.png")) if (home / "gallery").exists() else []


def test_a_supervisor_cannot_change_recognition_for_every_store(db, rules_copy, home,  # noqa: F811
                                                                catalog):
    with pytest.raises(ScopeError, match="only an admin may add them"):
        reference_photos.add_reference(SKU, "ref.jpg", samples.jpeg(), SAM, catalog=catalog)
    assert _gallery(home) == []
    refused = _log("reference_refused")
    assert list(refused["actor"]) == ["sam"] and list(refused["target"]) == ["ref.jpg"]


def test_an_admin_adds_a_clean_reference_photo_and_it_is_audited(db, rules_copy, home,  # noqa: F811
                                                                  catalog):
    path = reference_photos.add_reference(SKU, "ref.jpg", samples.jpeg_with_gps(), ROOT,
                                          catalog=catalog)
    assert _gallery(home) == [path] and b"SnoopCam" not in path.read_bytes()
    added = _log("reference_add")
    assert list(added["actor"]) == ["root"] and list(added["target"]) == [f"{SKU}/{path.name}"]
    with pytest.raises(Exception, match="HTML"):
        reference_photos.add_reference(SKU, "page.jpg", samples.HTML, ROOT, catalog=catalog)
    assert list(_log("upload_refused")["target"]) == ["page.jpg"]  # same intake, same audit


def test_the_system_page_offers_reference_photos_to_admins_only(empty_db, app):
    at = app("pages/system.py", role="supervisor", stores=("s001",))
    assert not at.exception
    assert "system_ref_add" not in [b.key for b in at.button]
    assert any("only an admin" in c.value for c in at.caption)
    admin = app("pages/system.py", role="admin")
    assert "system_ref_add" in [b.key for b in admin.button]


def test_rule_versions_record_the_signed_in_user_not_a_typed_name(db, rules_copy):  # noqa: F811
    text = (rules_copy / "general.yaml").read_text(encoding="utf-8") + "\n# tighter\n"
    rule_edits.save_text("general.yaml", text, Scope(stores=None, role="admin", user="ada"),
                         "a comment, not an author")
    newest = rule_history.history("general.yaml", ROOT).iloc[0]
    assert (newest["author"], newest["comment"]) == ("ada", "a comment, not an author")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_archive_and_reports_are_owner_only(db, rules_copy, home, monkeypatch):  # noqa: F811
    import os

    from pipeline.db import dispose_engines, get_engine, upgrade
    from tests.hostile.test_images import save_through_the_page_path, stored_path

    monkeypatch.delenv("SHELFAUDIT_UMASK", raising=False)
    old = os.umask(0o022)  # as a shell would start the service
    try:
        dispose_engines()
        (home / "shelfaudit.db").chmod(0o644)  # a database created before this release
        upgrade()
        get_engine().dispose()
        assert _mode(home / "shelfaudit.db") == 0o600
        _, saved = save_through_the_page_path(samples.jpeg(), "shelf.jpg")
        photo = stored_path(saved)
        assert _mode(photo) == 0o600 and _mode(photo.parent) == 0o700
        assert _mode(home / "archive") == 0o700
        reports = home / "reports"
        reports.mkdir()
        (reports / "week.csv").write_text("x")  # whatever the report writers create
        assert _mode(reports) == 0o700 and _mode(reports / "week.csv") == 0o600
    finally:
        os.umask(old)


def test_the_umask_can_be_chosen(monkeypatch):
    from pipeline import filemodes

    monkeypatch.setenv(filemodes.UMASK_ENV, "027")
    assert filemodes.wanted_umask() == 0o027
    monkeypatch.setenv(filemodes.UMASK_ENV, "keep")
    assert filemodes.wanted_umask() is None
    monkeypatch.setenv(filemodes.UMASK_ENV, "rw-all")  # a typo never opens files up
    assert filemodes.wanted_umask() == 0o077


def test_xsrf_and_cors_are_set_explicitly_and_in_force(monkeypatch):
    import tomllib

    from streamlit import config

    written = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert written["server"]["enableXsrfProtection"] is True
    assert written["server"]["enableCORS"] is True
    monkeypatch.chdir(REPO)  # Streamlit reads ./.streamlit/config.toml, as `make run` does
    for name in ("STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION", "STREAMLIT_SERVER_ENABLE_CORS"):
        monkeypatch.delenv(name, raising=False)
    try:
        config.get_config_options(force_reparse=True)
        assert config.get_option("server.enableXsrfProtection") is True
        assert config.get_option("server.enableCORS") is True
        where = config.get_where_defined("server.enableXsrfProtection")
        assert where.endswith(str(Path(".streamlit") / "config.toml"))  # not a default
    finally:
        config.get_config_options(force_reparse=True)


def test_serve_listens_on_this_machine_unless_told_otherwise(monkeypatch):
    import inspect

    from pipeline.commands import ops

    option = inspect.signature(ops.serve).parameters["address"].default
    assert option.default == "127.0.0.1" and option.envvar == "SHELFAUDIT_SERVE_ADDRESS"
    docs = (REPO / "docs" / "SECURITY.md").read_text(encoding="utf-8")
    assert "--address 0.0.0.0" in docs and "SHELFAUDIT_SERVE_ADDRESS" in docs
    assert "X-Frame-Options" in docs and "frame-ancestors" in docs
