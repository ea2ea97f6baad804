"""The dashboard behind its sign-in gate (AppTest): nothing before sign-in, role-filtered pages,
sign out, expired sessions, store scoping in the sidebar, the admin page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline.access import accounts, sessions
from pipeline.access.audit import audit_entries
from tests.access.conftest import _cheap_hashing  # noqa: F401 - argon2 at tiny costs, as in tests/access
from tests.factories.accounts import make_user

ALL_PAGES = ["pages/overview.py", "pages/fixes.py", "pages/weekly_report.py",
             "pages/inspections.py", "pages/trends.py", "pages/upload.py", "pages/rules.py",
             "pages/system.py", "pages/admin.py"]
VIEWER_PAGES = {"overview", "fixes", "weekly_report", "inspections", "trends", "system"}


def _nothing_but_the_sign_in_form(at) -> None:
    assert not at.exception
    assert [t.value for t in at.title] == ["ShelfAudit"]
    assert [i.label for i in at.text_input] == ["User name", "Password"]
    assert not at.dataframe and not at.metric and not at.selectbox and not at.sidebar.selectbox


def _pages(at) -> set[str]:
    """The pages this session may open (the others are not registered at all)."""
    found = set()
    for page in ALL_PAGES:
        try:
            at.switch_page(page)
        except ValueError:
            continue
        found.add(page.removeprefix("pages/").removesuffix(".py"))
    return found


def test_without_signing_in_nothing_is_visible(small_db, app):
    at = app(role=None)
    _nothing_but_the_sign_in_form(at)
    assert _pages(at) == set()  # no page of the app can be opened, by link or by URL


def test_signing_in_with_the_form(small_db, app):
    make_user("alice", "viewer", ["s001"], password="alice-password")
    at = app(role=None)
    at.text_input(key="auth_username").input("alice")
    at.text_input(key="auth_password").input("wrong-password")
    at.button[0].click().run()
    _nothing_but_the_sign_in_form(at)
    assert [e.value for e in at.error] == ["wrong user name or password"]
    at.text_input(key="auth_password").input("alice-password")
    at.button[0].click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Overview"]
    assert [t.value for t in at.sidebar.text] == ["alice (viewer)"]
    admin = make_user("root", "admin")
    signs = audit_entries(admin)
    signs = signs[signs["action"].str.startswith("login")]
    assert list(zip(signs["action"], signs["target"], strict=True)) == [
        ("login", "alice"), ("login_failed", "alice")]


@pytest.mark.parametrize("role, extra", [("viewer", set()), ("supervisor", {"upload", "rules"}),
                                         ("admin", {"upload", "rules", "admin"})])
def test_pages_follow_the_role(small_db, app, role, extra):
    at = app(role=role, stores=("s001",))
    assert _pages(at) == VIEWER_PAGES | extra


def test_sign_out_ends_the_session(small_db, app):
    at = app(role="viewer", stores=("s001",))
    token = at.session_state["auth_token"]
    at.sidebar.button(key="auth_logout").click().run()
    _nothing_but_the_sign_in_form(at)
    assert sessions.resume(token) is None


def test_an_expired_session_shows_the_form_again(small_db, app, monkeypatch):
    at = app(role="viewer", stores=("s001",))
    assert [t.value for t in at.title] == ["Overview"]
    monkeypatch.setenv(sessions.IDLE_ENV, "0.0001")  # 6 ms
    import time

    time.sleep(0.05)
    at.run()
    _nothing_but_the_sign_in_form(at)
    assert any("session has ended" in i.value for i in at.info)


def test_a_disabled_account_is_signed_out_on_its_next_click(small_db, app):
    at = app(role="supervisor", stores=("s001",))
    make_user("root", "admin")
    accounts.set_active("test-supervisor", False)
    at.run()
    _nothing_but_the_sign_in_form(at)


def test_a_viewer_sees_only_their_stores_even_when_tampering(small_db, app):
    at = app(role="viewer", stores=("s001",))
    assert at.sidebar.selectbox(key="store").options == ["All my stores", "s001 · Riverside"]
    from streamlit.testing.v1 import AppTest

    from tests.factories.accounts import sign_in
    from tests.factories.dashboard_fixtures import APP

    at = AppTest.from_file(APP, default_timeout=30)
    sign_in(at, "viewer", ["s001"])
    at.session_state["store"] = "s002"  # as if a crafted request picked the other store
    at.run()
    assert not at.exception
    assert at.session_state["store"] == "*"
    ranking = next(d.value for d in at.dataframe if "rank" in d.value.columns)
    assert list(ranking["store"]) == ["s001"]


def test_admin_page_adds_a_user_and_shows_the_password_once(small_db, app):
    at = app("pages/admin.py", role="admin")
    assert not at.exception
    at.text_input(key="admin_add_name").input("newbie")
    at.text_input(key="admin_add_display").input("<b>New</b> 🙂")
    at.selectbox(key="admin_add_role").set_value("supervisor")
    at.multiselect(key="admin_add_stores").set_value(["s002"])
    next(b for b in at.button if b.label == "Add user").click().run()
    assert not at.exception
    password = at.code[0].value
    assert accounts.authenticate("newbie", password).stores == {"s002"}
    users = next(d.value for d in at.dataframe if "username" in d.value.columns)
    assert users.set_index("username").loc["newbie", "display_name"] == "<b>New</b> 🙂"
    at.run()
    assert not at.code  # shown once only


def test_session_expiry_is_configurable(monkeypatch):
    monkeypatch.setenv(sessions.IDLE_ENV, "15")
    monkeypatch.setenv(sessions.MAX_ENV, "2")
    assert (sessions.idle_limit(), sessions.max_age()) == (timedelta(minutes=15),
                                                           timedelta(hours=2))


@pytest.mark.parametrize("page", ["overview", "fixes", "inspections", "trends", "weekly_report"])
def test_a_page_run_on_its_own_without_the_gate_shows_no_data(small_db, page):
    """Defence in depth: even a page file run directly (no router, no sign-in) sees no store."""
    from streamlit.testing.v1 import AppTest

    from tests.factories.dashboard_fixtures import REPO

    at = AppTest.from_file(str(REPO / "pages" / f"{page}.py"), default_timeout=30).run()
    assert not at.exception
    shown = [str(v) for d in at.dataframe for v in d.value.to_numpy().ravel()]
    assert not any(s in v for v in shown for s in ("s001", "s002"))
    assert not any(m.value not in ("—", "0", "", None) for m in at.metric)
