"""What a store supervisor sees on a phone (390 x 844), in a real browser, in English and
Chinese (issue #19 items 7 and 8; the camera-first Upload is in test_links_and_phones):

- the KPI cards of Overview and the Weekly report, two small cards a row, leave room on the
  first screen for what follows (the store ranking's first row; on the report, room below);
- the page never scrolls sideways: tables fit the screen and scroll inside themselves, their
  leading key columns (ID, store ...) staying in view;
- the sidebar closes after choosing a page on any narrow screen — a phone's user agent or a
  desktop browser's narrowed to 390 px — and stays open on a wide one.

One dashboard for the module (``pipeline/dashboard/server.py`` as ``shelfaudit serve`` runs
it, started by the bench's :func:`pipeline.loadbench.servers.dashboard`) on the small store
history; one headless Chromium per test, the language from the browser's ``Accept-Language``.
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_pages import ARTIFACTS, CHROMIUM, sign_in_as
from tests.browser.test_pages import drawn as drawn_page
from tests.factories.dashboard_server import small_history_dashboard

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser_phone"),  # one server per module
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]
PASSWORD = "phone-password-1234"
PHONE = {"width": 390, "height": 844}
ROW = 35  # px: a table row (and its header) in Streamlit's grid
WORDS = {  # what each language's reader sees (the catalog's zh-CN words)
    "en": {"user": "User name", "password": "Password", "sign_in": "Sign in",
           "overview": "Overview", "report": "Weekly report", "inspections": "Inspections",
           "fixes": "Today's fixes", "trends": "Trends", "ranking": "Store ranking"},
    "zh": {"user": "用户名", "password": "密码", "sign_in": "登录",
           "overview": "概览", "report": "周报", "inspections": "巡检",
           "fixes": "今日整改", "trends": "趋势", "ranking": "门店排名"},
}


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    """The module's dashboard URL (small store history, one admin per language)."""
    with small_history_dashboard(tmp_path_factory.mktemp("phone"),
                                 [f"phone-{lang}" for lang in WORDS], PASSWORD) as (url, _, _):
        yield url


@pytest.fixture(params=["en", "zh"])
def lang(request) -> str:
    return request.param


@pytest.fixture
def narrow(dashboard, lang):
    """``open(phone=True)``: a signed-in tab 390 x 844 in ``lang`` — with an iPhone's user
    agent and touch (``phone=True``) or a desktop Chromium's narrowed window."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--accept-lang=" + ("zh-CN,zh" if lang == "zh" else "en-US,en")])

        def open_(phone: bool = True):
            device = {}
            if phone:
                device = {k: v for k, v in p.devices["iPhone 13"].items()
                          if k != "default_browser_type"}
            context = browser.new_context(**{**device, "viewport": PHONE},
                                          locale="zh-CN" if lang == "zh" else "en-US")
            page = context.new_page()
            page.set_default_timeout(60_000)
            _sign_in(page, dashboard, lang)
            return page

        yield open_
        browser.close()


def _sign_in(page, url: str, lang: str) -> None:
    sign_in_as(page, url, f"phone-{lang}", PASSWORD, WORDS[lang], WORDS[lang]["overview"],
               linger_ms=300)


def drawn(page) -> None:
    """Drawn, and 300 ms more for the narrow-screen styles to settle."""
    drawn_page(page, linger_ms=300)


def _open(page, url: str, heading: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name=heading).first.wait_for()
    drawn(page)


def _boxes(page, selector: str) -> list[dict]:
    """The page-coordinate boxes (scroll included) of every element matching ``selector``."""
    return page.evaluate(
        """sel => [...document.querySelectorAll(sel)].map(e => {
             const r = e.getBoundingClientRect();
             return {x: r.x + scrollX, y: r.y + scrollY, w: r.width, h: r.height};
           })""", selector)


def _cards(page) -> dict:
    """The KPI cards' boxes (a card: the bordered box around a metric and its level badge, or
    a metric bordered itself), their top, bottom, height together and number of rows."""
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stMetric]')]
             .map(m => { const box = m.parentElement.parentElement;
                         return box.parentElement.dataset.testid === 'stLayoutWrapper'
                                ? box : m; })
             .map(e => { const r = e.getBoundingClientRect();
                         return {x: r.x + scrollX, y: r.y + scrollY, w: r.width,
                                 h: r.height}; })""")
    top = min(b["y"] for b in boxes)
    bottom = max(b["y"] + b["h"] for b in boxes)
    rows = len({round(b["y"]) for b in boxes})
    return {"boxes": boxes, "top": top, "bottom": bottom, "height": bottom - top, "rows": rows}


def _widths(page) -> dict:
    return page.evaluate("""() => ({doc: document.documentElement.scrollWidth,
                                    body: document.body.scrollWidth, view: innerWidth})""")


def _first_screen(page, name: str) -> None:
    """A screenshot of what the phone shows first (``test-artifacts/``)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _cut_off(page, selector: str) -> list[str]:
    """Texts inside ``selector`` wider than their own box (cut off)."""
    return page.evaluate(
        """sel => [...document.querySelectorAll(sel + ' *')]
             .filter(e => e.children.length === 0 && e.scrollWidth > e.clientWidth + 1)
             .map(e => e.textContent)""", selector)


def test_kpi_cards_leave_room_on_the_first_screen(narrow, lang, dashboard):
    """Overview's five KPI cards, two a row, take under 40 % of the 844 px screen, with the
    Today's fixes link whole above them and the store ranking's first row on the first screen;
    the weekly report's cards the same."""
    page = narrow(phone=True)
    words = WORDS[lang]
    cards = _cards(page)
    assert len(cards["boxes"]) == 5 and cards["rows"] == 3, cards
    assert all(b["w"] < PHONE["width"] / 2 for b in cards["boxes"]), cards
    assert cards["height"] < 0.40 * PHONE["height"], cards
    assert _cut_off(page, '[data-testid="stMain"] [data-testid="stPageLink"]') == []
    link = _boxes(page, '[data-testid="stMain"] [data-testid="stPageLink"]')[0]
    assert link["y"] + link["h"] <= cards["top"]
    page.get_by_role("heading", name=words["ranking"]).wait_for()
    ranking = _boxes(page, '[data-testid="stMain"] [data-testid="stDataFrame"]')[0]
    first_row_bottom = ranking["y"] + 2 * ROW  # the header, then the first store
    assert first_row_bottom <= PHONE["height"], (ranking, cards)
    _first_screen(page, f"phone-overview-{lang}")

    _open(page, f"{dashboard}/weekly_report", words["report"])
    report = _cards(page)
    assert len(report["boxes"]) >= 4 and report["rows"] <= (len(report["boxes"]) + 1) // 2
    assert report["height"] < 0.40 * PHONE["height"], report
    assert report["bottom"] < PHONE["height"], report  # and something after them
    _first_screen(page, f"phone-weekly-report-{lang}")


def test_tables_fit_a_phone_and_scroll_inside_themselves(narrow, lang, dashboard):
    """No page scrolls sideways on a phone: every table lies within the screen; a table wider
    than the screen (the inspections list) scrolls inside itself to its last column, the page
    staying put and its ID and store columns in view."""
    page = narrow(phone=True)
    words = WORDS[lang]
    for path, heading in (("", "overview"), ("fixes", "fixes"), ("weekly_report", "report"),
                          ("inspections", "inspections"), ("trends", "trends")):
        if path:
            _open(page, f"{dashboard}/{path}", words[heading])
        widths = _widths(page)
        assert widths["doc"] <= PHONE["width"] and widths["body"] <= PHONE["width"], \
            (path, widths)
        grids = _boxes(page, '[data-testid="stMain"] [data-testid="stDataFrame"]')
        assert grids, path
        assert all(g["x"] >= 0 and g["x"] + g["w"] <= PHONE["width"] for g in grids), \
            (path, grids)
    _open(page, f"{dashboard}/inspections", words["inspections"])  # (again: at its top)
    grid = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').first
    scroller = grid.locator(".dvn-scroller").first
    wide = scroller.evaluate("s => ({scroll: s.scrollWidth, client: s.clientWidth})")
    assert wide["scroll"] > wide["client"], wide  # wider than the screen ...
    box = grid.bounding_box()
    keys = {"x": box["x"] + 36, "y": box["y"] + 2, "width": 74, "height": 4 * ROW}
    before = page.screenshot(clip=keys)  # the ID and store columns, heading and three rows
    scroller.evaluate("s => { s.scrollLeft = s.scrollWidth; }")  # ... swiped to its end
    page.wait_for_timeout(500)
    moved = scroller.evaluate("s => s.scrollLeft + s.clientWidth")
    assert moved >= wide["scroll"] - 1, (moved, wide)
    assert page.screenshot(clip=keys) == before  # the key columns stayed in view (pinned)
    assert _widths(page)["doc"] <= PHONE["width"]
    _first_screen(page, f"phone-inspections-swiped-{lang}")


def _sidebar_collapsed(page) -> bool:
    return page.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed") == "true"


def _choose_in_sidebar(page, title: str) -> None:
    """Open the sidebar (its button on the page's header when it is closed) and choose the
    page ``title`` in its navigation."""
    if _sidebar_collapsed(page):
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]')"
                               ".getAttribute('data-collapsed') === 'false'")
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title).first.wait_for()
    drawn(page)


@pytest.mark.parametrize("phone", [False, True], ids=["desktop-agent", "phone-agent"])
def test_the_sidebar_closes_after_choosing_a_page_on_a_narrow_screen(narrow, lang, phone):
    """390 px wide, with a desktop browser's user agent (Streamlit closed the sidebar only for
    a phone's) or a phone's: a page chosen in the sidebar is shown with the sidebar closed.
    The same browser made wide keeps the sidebar open after choosing a page."""
    page = narrow(phone=phone)
    words = WORDS[lang]
    assert ("Mobile" in page.evaluate("navigator.userAgent")) is phone
    assert _sidebar_collapsed(page)  # a narrow screen starts with the page
    for title in (words["inspections"], words["trends"]):
        _choose_in_sidebar(page, title)
        page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]')"
                               ".getAttribute('data-collapsed') === 'true'", timeout=5_000)
        box = page.locator('[data-testid="stSidebar"]').bounding_box()
        assert box is None or box["x"] + box["width"] <= 1, box  # out of sight
    _first_screen(page, f"phone-sidebar-closed-{'phone' if phone else 'desktop'}-{lang}")

    if not phone:
        page.set_viewport_size({"width": 1440, "height": 900})
        drawn(page)
        _choose_in_sidebar(page, words["report"])
        page.wait_for_timeout(500)
        assert not _sidebar_collapsed(page)
