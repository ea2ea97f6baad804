"""Single sign-on sessions expire like password ones (stubbed identity provider): an idled-out,
too old or signed-out sign-in is not recreated from the login cookie, even when the cookie is
still there (a cleared cookie is not relied on)."""

from __future__ import annotations

import time

import pytest
import streamlit
from sqlalchemy import func, select

from pipeline.access import accounts, sessions
from pipeline.access.tables import LoginSession
from pipeline.db import session_scope
from tests.factories.dashboard_fixtures import APP

SECRETS = {"auth": {"cookie_secret": "test-secret", "client_id": "x", "client_secret": "y",
                    "redirect_uri": "http://localhost:8501/oauth2callback",
                    "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}}


class Cookie(dict):
    """What ``st.user`` shows for a browser holding the provider's login cookie."""

    def to_dict(self) -> dict:
        return dict(self)

    def __getattr__(self, name: str):
        return self.get(name)


@pytest.fixture
def provider(small_db, monkeypatch):
    """A signed-in identity (``iat`` a few seconds ago); ``provider.logouts`` counts st.logout."""
    accounts.add_user("maria", None, role="viewer", stores=["s001"],
                      email="maria@example.com", actor="test")
    cookie = Cookie(is_logged_in=True, email="maria@example.com", sub="idp|maria",
                    provider="default", iat=int(time.time()) - 5)
    cookie.logouts = []
    monkeypatch.setattr(streamlit, "user", cookie)
    monkeypatch.setattr(streamlit, "logout", lambda: cookie.logouts.append(1))  # cookie stays
    return cookie


def _tab(app):
    """A new browser tab of the same browser (same cookie, empty session state)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets.update(SECRETS)
    return at.run()


def _signed_in(at) -> bool:
    assert not at.exception
    return [t.value for t in at.title] == ["Overview"]


def _sessions() -> int:
    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(LoginSession))


def test_a_fresh_sign_in_works_and_a_new_tab_resumes_it(provider, app):
    at = _tab(app)
    assert _signed_in(at) and [t.value for t in at.sidebar.text] == ["maria (viewer)"]
    assert _signed_in(_tab(app)) and _sessions() == 1  # the same session, not a second one


def test_an_idled_out_session_is_not_recreated_from_the_cookie(provider, app, monkeypatch):
    at = _tab(app)
    assert _signed_in(at)
    monkeypatch.setenv(sessions.IDLE_ENV, "0.0001")  # 6 ms
    time.sleep(0.05)
    at.run()
    assert not _signed_in(at) and any("session has ended" in i.value for i in at.info)
    assert provider.logouts  # the cookie is asked to go
    monkeypatch.delenv(sessions.IDLE_ENV)
    assert not _signed_in(at.run())  # and while it is still there, nothing comes back
    assert not _signed_in(_tab(app))


def test_a_sign_in_older_than_the_session_limit_is_refused(provider, app):
    provider["iat"] = int(time.time() - sessions.max_age().total_seconds()) - 60
    at = _tab(app)
    assert not _signed_in(at) and any("session has ended" in i.value for i in at.info)
    assert _sessions() == 0


def test_signing_out_ends_it_for_every_tab(provider, app):
    at = _tab(app)
    assert _signed_in(at)
    at.sidebar.button(key="auth_logout").click().run()
    assert not _signed_in(at) and provider.logouts
    assert not _signed_in(_tab(app))


def test_an_identity_without_a_sign_in_time_is_refused(provider, app):
    del provider["iat"]
    at = _tab(app)
    assert not _signed_in(at) and any("iat" in i.value for i in at.info)
