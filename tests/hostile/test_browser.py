"""Hostile input in a real browser (reuses the dashboard's e2e harness: ``streamlit run`` +
headless Chromium): no page before sign-in whatever the URL, hostile names shown as text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_pages import (  # noqa: F401 - fixtures reused, not duplicated
    CHROMIUM,
    PASSWORD,
    USER,
    browser_page,
    no_exception,
    server,
    settle,
    sign_in,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing"),
]
HOSTILE_NAME = '<img src=x onerror="window.__owned=1"><b>bold</b> **md** [x](javascript:1)'


def _sign_in_form_only(page) -> None:
    page.get_by_role("heading", name="Sign in").wait_for()
    settle(page)
    no_exception(page)
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    assert page.locator('[data-testid="stDataFrame"], [data-testid="stMetric"]').count() == 0


def test_no_page_before_sign_in_and_hostile_names_stay_text(server, browser_page):  # noqa: F811
    from sqlalchemy import select

    from pipeline.access.tables import Account
    from pipeline.db import session_scope

    page = browser_page
    for path in ("", "/inspections", "/admin", "/rules?file=../../etc/passwd"):
        page.goto(server + path)
        _sign_in_form_only(page)  # (unknown paths also get Streamlit's "page not found")

    page.goto(server)
    settle(page)
    page.get_by_role("textbox", name="User name").fill("'; DROP TABLE users;--<script>")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("wrong user name or password").wait_for()
    _sign_in_form_only(page)

    with session_scope() as s:
        s.scalar(select(Account).where(Account.username == USER)).display_name = HOSTILE_NAME
    sign_in(page, server)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert f"{HOSTILE_NAME} (admin)" in sidebar.inner_text()
    who = sidebar.locator('[data-testid="stText"]').filter(has_text="(admin)")
    assert who.inner_text() == f"{HOSTILE_NAME} (admin)"
    assert who.locator("img, b, strong, a").count() == 0
    assert sidebar.locator("img[src=x]").count() == 0
    assert page.evaluate("() => window.__owned === undefined")
