"""The sign-in cookie: signed with the server's secret, as old as a session may be at most,
set through a one-time code; a reload resumes only a live session (AppTest with the cookie the
browser would send). The cookie's HTTP attributes and the real reload are in
``tests/browser/test_links_and_phones.py`` (Chromium)."""

from __future__ import annotations

import os
import stat
import time
from datetime import timedelta

import pytest

from pipeline.access import session_cookie, sessions


@pytest.fixture
def alice(db):
    from pipeline.access import accounts

    return accounts.add_user("alice", "alice-password", role="viewer", stores=[])


def test_a_sealed_token_unseals_and_anything_else_does_not(db):
    value = session_cookie.seal("the-token")
    assert "the-token" not in value or value.count(".") == 2  # signed, timestamped
    assert session_cookie.unseal(value) == "the-token"
    for bad in [None, "", "the-token", value[:-2] + "xx", value + "x", "a" * 2000]:
        assert session_cookie.unseal(bad) is None


def test_another_servers_secret_does_not_open_the_cookie(db, monkeypatch):
    value = session_cookie.seal("the-token")
    monkeypatch.setenv(session_cookie.SECRET_ENV, "another server's secret, long enough")
    assert session_cookie.unseal(value) is None
    assert session_cookie.unseal(session_cookie.seal("t2")) == "t2"


def test_a_cookie_older_than_any_session_is_refused(db, monkeypatch):
    value = session_cookie.seal("the-token")
    monkeypatch.setenv(sessions.MAX_ENV, str(0.5 / 3600))  # sessions end after half a second
    time.sleep(1.6)
    assert session_cookie.unseal(value) is None


def test_the_secret_is_made_once_owner_only_and_the_environment_wins(db, monkeypatch):
    from pipeline.settings import get_settings

    monkeypatch.delenv(session_cookie.SECRET_ENV, raising=False)
    first = session_cookie.secret_key()
    path = get_settings().home_dir / session_cookie.SECRET_FILE
    assert len(first) >= 32 and path.read_text().strip() == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert session_cookie.secret_key() == first
    monkeypatch.setenv(session_cookie.SECRET_ENV, "from-the-environment-" + "x" * 20)
    assert session_cookie.secret_key().startswith("from-the-environment-")


def test_a_code_is_exchanged_once_and_not_after_it_expires():
    code = session_cookie.offer("token-1", now=1000.0)
    assert session_cookie.redeem(code, now=1001.0) == "token-1"
    assert session_cookie.redeem(code, now=1002.0) is None  # used
    late = session_cookie.offer("token-2", now=1000.0)
    assert session_cookie.redeem(late, now=1000.0 + session_cookie.CODE_SECONDS + 1) is None
    assert session_cookie.redeem("made-up", now=1000.0) is None
    assert session_cookie.redeem(None) is None


def test_time_left_is_the_sessions_absolute_end(alice, monkeypatch):
    token = sessions.start_session(alice)
    left = sessions.time_left(token)
    assert sessions.max_age() - timedelta(minutes=1) < left <= sessions.max_age()
    sessions.end_session(token)
    assert sessions.time_left(token) is None
    assert sessions.time_left("unknown") is None and sessions.time_left(None) is None


# --- the router reading the cookie (AppTest: the cookie the browser sent) ---------------------

@pytest.fixture
def served(monkeypatch):
    """As on the dashboard's own server: the cookie route exists (for this test only)."""
    import threading

    monkeypatch.setattr(session_cookie, "_served", threading.Event())
    session_cookie.serve()


@pytest.fixture
def sent_cookie(monkeypatch):
    """``sent_cookie(value)``: the cookie the browser sent when the tab connected."""
    from pipeline.dashboard import auth

    def send(value: str | None) -> None:
        monkeypatch.setattr(auth, "_cookie", lambda: value)

    return send


def _fresh_tab():
    from streamlit.testing.v1 import AppTest

    from tests.factories.dashboard_fixtures import APP

    return AppTest.from_file(APP, default_timeout=60)


def test_a_reload_with_the_cookie_of_a_live_session_stays_signed_in(small_db, sent_cookie):
    from pipeline.dashboard.bench_pages import navigation_pages_manager
    from tests.factories.accounts import make_user

    token = sessions.start_session(make_user("maria", "supervisor", ["s001"]))
    sent_cookie(session_cookie.seal(token))
    with navigation_pages_manager():
        at = _fresh_tab().run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert at.session_state["auth_token"] == token
    assert at.sidebar.selectbox(key="store").options == ["All my stores", "s001 · Riverside"]


@pytest.mark.parametrize("spoil", ["ended", "forged", "idle"])
def test_a_reload_with_a_dead_cookie_shows_the_sign_in_form_and_clears_it(
        small_db, sent_cookie, served, spoil, monkeypatch):
    from pipeline.dashboard.bench_pages import navigation_pages_manager
    from tests.factories.accounts import make_user

    token = sessions.start_session(make_user("maria", "supervisor", ["s001"]))
    value = session_cookie.seal(token)
    if spoil == "ended":
        sessions.end_session(token)  # signed out in another tab
    elif spoil == "forged":
        value = value[:-4] + "AAAA"
    else:
        monkeypatch.setenv(sessions.IDLE_ENV, str(1 / 60))  # one second without use
        time.sleep(1.2)
    sent_cookie(value)
    with navigation_pages_manager():
        at = _fresh_tab().run()
    assert not at.exception
    assert at.subheader[0].value == "Sign in"
    assert any("session has ended" in i.value for i in at.info)
    assert at.session_state["auth_cookie_dead"] == value
    assert any("api/session?end=1" in m.value for m in at.markdown)


def test_signing_out_kills_the_cookie_for_good(small_db, sent_cookie):
    from pipeline.dashboard.bench_pages import navigation_pages_manager
    from tests.factories.accounts import make_user

    token = sessions.start_session(make_user("maria", "supervisor", ["s001"]))
    value = session_cookie.seal(token)
    sent_cookie(value)
    with navigation_pages_manager():
        at = _fresh_tab().run()
        at.sidebar.button(key="auth_logout").click().run()
        assert at.subheader[0].value == "Sign in"
        assert sessions.resume(token) is None  # revoked on the server
        at.run()  # the tab still holds the old cookie: it is not used again
        assert at.subheader[0].value == "Sign in"
    assert at.session_state["auth_cookie_dead"] == value


def test_a_password_sign_in_offers_the_cookie_through_a_one_time_code(small_db, served):
    from pipeline.dashboard.bench_pages import navigation_pages_manager
    from tests.factories.accounts import make_user

    make_user("maria", "supervisor", ["s001"], password="maria-password-1")
    with navigation_pages_manager():
        at = _fresh_tab().run()
        at.text_input(key="auth_username").input("maria")
        at.text_input(key="auth_password").input("maria-password-1")
        at.button[0].click().run()
    assert not at.exception and at.title[0].value == "Overview"
    code = at.session_state["auth_cookie_code"]
    assert any(f"api/session?code={code}" in m.value for m in at.sidebar.markdown)
    assert session_cookie.redeem(code) == at.session_state["auth_token"]


# --- the route that sets and clears the cookie (pipeline.dashboard.cookie_route) --------------

@pytest.fixture
def route():
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from pipeline.dashboard import cookie_route

    with TestClient(Starlette(routes=cookie_route.routes()), base_url="http://127.0.0.1") as c:
        yield c


def _set_cookie(response) -> str:
    return "; ".join(response.headers.get_list("set-cookie"))


def test_the_route_gives_the_cookie_once_for_a_live_session(alice, route):
    token = sessions.start_session(alice)
    code = session_cookie.offer(token)
    got = route.get(f"/api/session?code={code}")
    assert got.status_code == 200 and got.headers["content-type"] == "image/gif"
    assert got.headers["cache-control"] == "no-store"
    header = _set_cookie(got)
    assert f"{session_cookie.COOKIE}=" in header and "HttpOnly" in header
    assert "SameSite=strict" in header and "Path=/" in header and "Secure" not in header
    max_age = int(header.split("Max-Age=")[1].split(";")[0])
    assert 11.9 * 3600 < max_age <= 12 * 3600  # the session's absolute end
    assert session_cookie.unseal(got.cookies[session_cookie.COOKIE]) == token
    again = route.get(f"/api/session?code={code}")  # a code works once
    assert again.status_code == 200 and not _set_cookie(again)
    sessions.end_session(token)
    late = route.get(f"/api/session?code={session_cookie.offer(token)}")  # no live session
    assert not _set_cookie(late)


def test_behind_a_trusted_https_proxy_the_cookie_is_secure(alice, route, monkeypatch):
    monkeypatch.setenv("SHELFAUDIT_TRUST_PROXY", "1")
    code = session_cookie.offer(sessions.start_session(alice))
    got = route.get(f"/api/session?code={code}", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in _set_cookie(got)


@pytest.mark.parametrize(("fetch_site", "ends"), [
    ("same-origin", True), (None, True), ("same-site", False), ("cross-site", False)])
def test_only_the_sites_own_page_ends_the_session_and_clears_the_cookie(
        alice, route, fetch_site, ends):
    token = sessions.start_session(alice)
    route.cookies.set(session_cookie.COOKIE, session_cookie.seal(token))
    headers = {"Sec-Fetch-Site": fetch_site} if fetch_site else {}
    got = route.get("/api/session?end=1", headers=headers)
    assert got.status_code == 200
    assert (sessions.resume(token) is None) == ends
    assert (f'{session_cookie.COOKIE}=""' in _set_cookie(got)
            or "Max-Age=0" in _set_cookie(got)) == ends
