"""Links and phones in a real browser (issue #19 items 7 and 8), on the dashboard's own server
(``pipeline/dashboard/server.py``, as ``shelfaudit serve`` runs it), headless Chromium:

- a bookmarked page URL opens the sign-in form there (no "Page not found") and, after sign-in,
  that very view — store, week and inspection from the URL;
- the sign-in cookie: HttpOnly, SameSite=Strict, until the session's end; a reload keeps the
  session and the view; signing out clears it and a reload then asks to sign in;
- click-through: a store ranking row, a chart point and a worst photo open their inspections;
- on a phone (390 x 844, a phone's user agent): the sidebar closes after choosing a page, and
  Upload opens the camera first.
"""

from __future__ import annotations

import time

import pytest

from tests.browser import test_pages as test_browser
from tests.browser.test_pages import (
    CHROMIUM,
    PASSWORD,
    USER,
    no_exception,
    open_page,
    settle,
    shot,
)

server = test_browser.server  # the fixtures: a dashboard on its own server, the browsers
browser_page = test_browser.browser_page
chinese_page = test_browser.chinese_page
pytestmark = pytest.mark.browser
COOKIE = "shelfaudit_session"


def _signed_in_at(page, url: str, heading: str, user: str = "User name",
                  password: str = "Password", button: str = "Sign in") -> None:
    """Open ``url`` signed out: the sign-in form is there; sign in and land on ``heading``."""
    page.goto(url)
    page.get_by_role("textbox", name=user).fill(USER)
    assert page.get_by_text("Page not found").count() == 0
    page.get_by_role("textbox", name=password).fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    page.get_by_role("heading", name=heading).first.wait_for()
    settle(page)
    no_exception(page)


def _cookie(page, timeout: float = 20):
    """The sign-in cookie once the browser has it (``None`` if it never comes)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = [c for c in page.context.cookies() if c["name"] == COOKIE]
        if found:
            return found[0]
        page.wait_for_timeout(250)
    return None


def _no_cookie(page, timeout: float = 20) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not [c for c in page.context.cookies() if c["name"] == COOKIE]:
            return True
        page.wait_for_timeout(250)
    return False


def _first_inspection() -> int:
    from pipeline.access.scope import ALL_STORES
    from pipeline.queries import inspections

    listed = inspections.list_inspections(ALL_STORES, inspections.InspectionFilter(
        store="s002", camera="c01"))
    return int(listed["id"].iloc[2])


def test_bookmarks_reloads_sign_out_and_click_through(server, browser_page):
    page = browser_page
    wanted = _first_inspection()
    bookmark = f"{server}/inspections?store=s002&week=2026-W46&inspection={wanted}"
    _signed_in_at(page, bookmark, "Inspections")
    page.get_by_role("heading", name=f"#{wanted} · s002/c01").wait_for()
    assert "store=s002" in page.url and f"inspection={wanted}" in page.url

    cookie = _cookie(page)
    assert cookie is not None, "no sign-in cookie"
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert 11.9 * 3600 < cookie["expires"] - time.time() <= 12 * 3600  # the session's end
    assert page.evaluate("document.cookie").find(COOKIE) == -1  # page scripts cannot read it

    page.reload()  # the same session, the same view
    page.get_by_role("heading", name=f"#{wanted} · s002/c01").wait_for()
    settle(page)
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Sign out").wait_for()
    assert page.get_by_role("textbox", name="Password").count() == 0
    shot(page, "reload-kept")

    # click-through: a ranking row, a chart point, a worst photo
    page.goto(f"{server}/?week=2026-W46")
    page.get_by_role("heading", name="Store ranking").wait_for()
    settle(page)
    grid = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    page.mouse.click(grid["x"] + 15, grid["y"] + 35 + 35 + 17)  # the second row: s002
    page.wait_for_url("**/inspections?*store=s002*")
    page.get_by_role("heading", name="Inspections").first.wait_for()
    settle(page)
    no_exception(page)

    open_page(page, "Trends")
    chart = page.locator('[data-testid="stPlotlyChart"]').nth(3)  # violations per rule
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    point = chart.locator(".scatterlayer .trace .points path").first.bounding_box()
    page.mouse.click(point["x"] + point["width"] / 2, point["y"] + point["height"] / 2)
    page.wait_for_url("**/inspections?*rule=*")
    settle(page)
    no_exception(page)

    open_page(page, "Weekly report")
    link = page.get_by_role("link", name="Open inspection #").first
    number = link.inner_text().split("#")[-1].strip()
    link.click()
    page.get_by_role("heading", name=f"#{number} · ").first.wait_for()
    assert f"inspection={number}" in page.url
    settle(page)
    no_exception(page)

    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Sign out").click()
    page.get_by_role("textbox", name="User name").wait_for()
    assert _no_cookie(page), "sign-out left the cookie"
    page.reload()
    page.get_by_role("textbox", name="User name").wait_for()
    assert page.get_by_role("button", name="Sign out").count() == 0


def test_a_chinese_bookmark_and_reload(server, chinese_page):
    page = chinese_page
    _signed_in_at(page, f"{server}/trends?store=s001&week=2026-W45", "趋势", user="用户名",
                  password="密码", button="登录")
    picked = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').evaluate_all(
        "els => els.map(e => e.textContent + ' ' + [...e.querySelectorAll('input')]"
        ".map(i => i.value).join(' '))")
    assert "s001" in picked[0] and "2026-W45" in picked[1], picked
    assert _cookie(page) is not None
    page.reload()
    page.get_by_role("heading", name="趋势").first.wait_for()
    settle(page)
    no_exception(page)
    assert "store=s001" in page.url and "week=2026-W45" in page.url
    shot(page, "trends-reloaded-zh")


@pytest.fixture
def phone_page():
    """A phone: 390 x 844, an iPhone's user agent, touch, Chinese, a (fake) camera."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--accept-lang=zh-CN,zh", "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream"])
        phone = {k: v for k, v in p.devices["iPhone 13"].items() if k != "default_browser_type"}
        context = browser.new_context(**{**phone, "viewport": {"width": 390, "height": 844}},
                                      locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(60_000)
        yield page
        browser.close()


def _sidebar_open(page) -> bool:
    return page.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed") == "false"


def test_on_a_phone_the_sidebar_closes_and_upload_opens_the_camera(server, phone_page):
    page = phone_page
    page.context.grant_permissions(["camera"], origin=server)
    _signed_in_at(page, server, "概览", user="用户名", password="密码", button="登录")
    assert not _sidebar_open(page)  # a narrow screen starts with the page, not the sidebar
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]')"
                           ".getAttribute('data-collapsed') === 'false'")
    page.locator('[data-testid="stSidebarNav"]').get_by_text("上传", exact=True).click()
    page.get_by_role("heading", name="上传").first.wait_for()
    settle(page)
    page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]')"
                           ".getAttribute('data-collapsed') === 'true'")
    camera = page.locator('[data-testid="stCameraInput"]')
    camera.wait_for()  # camera first on a phone
    assert page.get_by_role("switch", name="用本设备的相机拍照").is_checked()
    camera.get_by_role("button", name="Take Photo").click()  # the fake camera's frame
    camera.get_by_role("button", name="Clear photo").wait_for()  # (Streamlit's own words)
    settle(page)
    no_exception(page)
    shot(page, "upload-phone-zh")
