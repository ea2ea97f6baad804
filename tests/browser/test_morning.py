"""The supervisor's morning in a real browser, in English and Chinese (issue #19 items 1, 2, 5,
7 and 9; items 3 and 5 also in test_browser_fixes, 6 in test_rules_browser, 7 and 8 in
test_links_and_phones, 9 in English and 10 in tests/store/test_serve and
tests/loadbench/test_bench_pages_browser).

One dashboard for the module (``pipeline/dashboard/server.py`` as ``shelfaudit serve`` runs it,
started by the bench's :func:`pipeline.loadbench.servers.dashboard`) on the small store
history plus a Shanghai store whose Monday starts on Sunday in UTC; one headless Chromium per
language (the browser's ``Accept-Language`` picks it), each signed in once. Screenshots go to
``test-artifacts/``.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from tests.browser.test_pages import CHROMIUM, drawn, shot, sign_in_as
from tests.factories.dashboard_server import small_history_dashboard

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser_morning"),  # one server and its browsers per module
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]
PASSWORD = "morning-password-1234"
CJK = re.compile(r"[\u4e00-\u9fff]")
SHANGHAI = "sh1"
SUNDAY_LATE = datetime(2026, 11, 15, 15, 30)  # UTC: Sunday 23:30 in Shanghai, 2026-W46
MONDAY_EARLY = datetime(2026, 11, 15, 17, 0)  # UTC: Monday 01:00 in Shanghai, 2026-W47
WORDS = {  # what each language's reader sees (the catalog's zh-CN words)
    "en": {"user": "User name", "password": "Password", "sign_in": "Sign in",
           "pages": ["Overview", "Today's fixes", "Weekly report", "Inspections", "Trends",
                     "Upload", "Rules", "System", "Users & audit"],
           "monday": "Mon, Nov 16, 2026, 01:00 Asia/Shanghai",
           "week_caption": "Week 2026-W47 on the store's clock · Sun, Nov 15, 2026, 17:00 UTC",
           "one": "1 inspection",
           "levels": ("on target", "watch", "act now"), "products": "Products",
           "violation": "Violation", "report_word": "Compliance"},
    "zh": {"user": "用户名", "password": "密码", "sign_in": "登录",
           "pages": ["概览", "今日整改", "周报", "巡检", "趋势", "上传", "规则", "系统",
                     "用户与审计"],
           "monday": "2026年11月16日周一 01:00 Asia/Shanghai",
           "week_caption": "按门店时钟为 2026-W47 周 · 2026年11月15日周日 17:00 UTC",
           "one": "1 次巡检",
           "levels": ("达标", "关注", "立即处理"), "products": "商品", "violation": "违规",
           "report_word": "合规"},
}


def _shanghai_store(home: Path) -> dict[datetime, int]:
    """A Shanghai store with two photos either side of its Monday midnight (both on Sunday in
    UTC), written as the runner writes them (local day and ISO week)."""
    from pipeline.db import session_scope
    from pipeline.db import tables as t
    from pipeline.sites import StoreSpec
    from pipeline.weeks import iso_week

    spec = StoreSpec(id=SHANGHAI, name="Shanghai One", timezone="Asia/Shanghai")
    ids = {}
    with session_scope() as s:
        s.add(t.Store(id=SHANGHAI, name=spec.name, timezone=spec.timezone, schedule="0 2 * * *"))
        s.add(t.Camera(store_id=SHANGHAI, id="c01", name="Drinks aisle"))
        s.flush()
        for n, at in enumerate((SUNDAY_LATE, MONDAY_EARLY)):
            day = spec.local_day(at)
            photo = t.Photo(sha256=f"{900 + n:064x}", store_id=SHANGHAI, camera_id="c01",
                            path=str(home / "archive" / "sample.jpg"), original_name=f"{n}.jpg",
                            captured_at=at, state="inspected", width=320, height=240)
            s.add(photo)
            s.flush()
            inspection = t.Inspection(
                photo_id=photo.id, store_id=SHANGHAI, camera_id="c01", captured_at=at,
                captured_on=day, iso_week=iso_week(day), width=320, height=240,
                compliance=80.0, osa=90.0, price_compliance=100.0, promo_compliance=100.0,
                share_of_shelf={}, facings={}, models={}, violation_count=0)
            s.add(inspection)
            s.flush()
            ids[at] = inspection.id
    return ids


@pytest.fixture(scope="module")
def morning(tmp_path_factory):
    """The module's dashboard: ``(url, home, {moment: inspection id})``."""
    with small_history_dashboard(tmp_path_factory.mktemp("morning"),
                                 [f"morning-{lang}" for lang in WORDS], PASSWORD,
                                 extra=_shanghai_store) as (url, home, ids):
        yield url, home, ids


@pytest.fixture(scope="module")
def browsers(morning):
    """``{lang: signed-in tab}``: one headless Chromium per language, made when first used."""
    from playwright.sync_api import sync_playwright

    url = morning[0]
    tabs = {}
    with sync_playwright() as p:
        def tab(lang: str):
            if lang not in tabs:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    "--accept-lang=" + ("zh-CN,zh" if lang == "zh" else "en-US,en")])
                page = browser.new_page(viewport={"width": 1440, "height": 1000},
                                        locale="zh-CN" if lang == "zh" else "en-US")
                page.set_default_timeout(60_000)
                _sign_in(page, url, lang)
                tabs[lang] = page
            return tabs[lang]

        yield tab
        for page in tabs.values():
            page.context.browser.close()


def _sign_in(page, url: str, lang: str) -> None:
    sign_in_as(page, url, f"morning-{lang}", PASSWORD, WORDS[lang], WORDS[lang]["pages"][0])


def _open(page, url: str, heading: str) -> None:
    """Open ``url`` in the signed-in tab (the cookie keeps the session) and wait for its page."""
    page.goto(url)
    page.get_by_role("heading", name=heading).first.wait_for()
    drawn(page)


@pytest.fixture(params=["en", "zh"])
def lang(request) -> str:
    return request.param


def test_every_page_and_the_sidebar_speak_chinese(morning, browsers):
    """Item 1: every page's title, the navigation and the sidebar in Chinese; the switch
    turns the page English and back."""
    page = browsers("zh")
    url = morning[0]
    _open(page, url, "概览")
    nav = page.locator('[data-testid="stSidebarNav"]')
    for title in WORDS["zh"]["pages"]:
        nav.get_by_text(title, exact=True).click()
        page.get_by_role("heading", name=title).first.wait_for()
        drawn(page)
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert CJK.search(main), f"{title}: no Chinese on the page"
    sidebar = page.locator('[data-testid="stSidebar"]')
    for word in ("门店", "周", "退出登录"):
        assert word in sidebar.inner_text(), word
    sidebar.get_by_text("English", exact=True).click()
    page.get_by_role("heading", name="Users & audit").first.wait_for()
    drawn(page)
    sidebar.get_by_text("中文", exact=True).click()
    page.get_by_role("heading", name="用户与审计").first.wait_for()
    drawn(page)


def _download(page, label: str) -> bytes:
    with page.expect_download() as done:
        page.locator('[data-testid="stDownloadButton"]').get_by_role(
            "button", name=label).click()
    return Path(done.value.path()).read_bytes()


def test_the_weekly_report_files_are_in_the_readers_language(morning, browsers, lang):
    """Item 1: the CSV and PDF a reader downloads speak the page's language; the PDF embeds
    its font (Chinese glyphs included)."""
    page = browsers(lang)
    words = WORDS[lang]
    _open(page, f"{morning[0]}/weekly_report?store=s001&week=2026-W46", words["pages"][2])
    text = _download(page, "CSV").decode("utf-8-sig")
    assert words["report_word"] in text
    assert bool(CJK.search(text)) == (lang == "zh")
    pdf = _download(page, "PDF")
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf
    shot(page, f"weekly-report-{lang}")


def test_times_and_weeks_are_on_the_stores_clock(morning, browsers, lang):
    """Item 2: a photo taken on Sunday 17:00 UTC is Monday 01:00 in Shanghai: listed in that
    Monday's week (2026-W47, not the UTC week), shown on the store's clock with its zone."""
    url, _home, ids = morning
    page = browsers(lang)
    words = WORDS[lang]
    monday = ids[MONDAY_EARLY]
    _open(page, f"{url}/inspections?store={SHANGHAI}&week=2026-W47", words["pages"][3])
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text(words["one"], exact=True).wait_for()  # not the Sunday-evening photo
    heading = main.get_by_role("heading", name=f"#{monday} · {SHANGHAI}/c01").first
    heading.wait_for()
    assert words["monday"] in heading.inner_text()
    assert words["week_caption"] in main.inner_text()  # and the moment in UTC beside it
    shot(page, f"store-clock-{lang}")
    _open(page, f"{url}/inspections?store={SHANGHAI}&week=2026-W46", words["pages"][3])
    main.get_by_role("heading", name=f"#{ids[SUNDAY_LATE]} · {SHANGHAI}/c01").first.wait_for()


def _legend_colours(page) -> dict[str, str]:
    """The legend under the photo: ``{word: its square's colour}``."""
    return page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').evaluate_all(
        """els => Object.fromEntries(els.flatMap(el => [...el.querySelectorAll(
             'span.stMarkdownColoredText')].filter(s => s.querySelector('[role="img"]'))
             .map(s => [(s.nextSibling ? s.nextSibling.textContent : '').trim(),
                        getComputedStyle(s).color])))""")


def test_photos_carry_one_legend_names_stand_beside_ids_and_kpis_their_level(
        morning, browsers, lang):
    """Item 7: the legend under an inspection's photo and under Today's fixes' photo, in the
    reader's words and the same colours; camera names beside ids; KPI cards with their level."""
    url = morning[0]
    page = browsers(lang)
    words = WORDS[lang]
    _open(page, f"{url}/?store=s002&week=2026-W46", words["pages"][0])
    main = page.locator('[data-testid="stMain"]')
    main.locator('[data-testid="stMetric"]').nth(4).wait_for()
    cards = main.locator('[data-testid="stColumn"]').evaluate_all(
        "els => els.filter(e => e.querySelector('[data-testid=stMetric]')).map(e => e.innerText)")
    _good, watch, act = words["levels"]
    assert act in cards[0] and watch in cards[3], cards  # compliance 57.5 %, promo 80 %
    _open(page, f"{url}/inspections?store=s002&week=2026-W46", words["pages"][3])
    main.get_by_role("heading", name=re.compile(r"· s002\/c0\d · Old Town c0\d · ")).first \
        .wait_for()  # the camera's name beside its id
    page.locator('[data-testid="stImage"]').first.wait_for()
    inspections = _legend_colours(page)
    assert {words["products"], words["violation"]} <= set(inspections), inspections
    shot(page, f"legend-inspections-{lang}")
    _open(page, f"{url}/fixes?store=s002", words["pages"][1])
    page.locator('[data-testid="stImage"]').first.wait_for()
    fixes = _legend_colours(page)
    assert fixes.get(words["violation"]) == inspections[words["violation"]], (fixes,
                                                                              inspections)


def _said(lang: str, message: str) -> str:
    """``message`` in ``lang``'s words (up to its first placeholder)."""
    from pipeline.i18n import translations

    return translations(lang).gettext(message).split("{")[0]


def _week_shown(page) -> str:
    """The sidebar's week picker: its words and its value."""
    return page.locator('[data-testid="stSidebar"] .st-key-week').evaluate(
        "e => e.textContent + ' ' + [...e.querySelectorAll('input')].map(i => i.value).join(' ')")


def test_a_saved_upload_moves_no_week_and_can_be_excluded_and_deleted(morning, browsers, lang,
                                                                       tmp_path):
    """Item 5: an upload of camera c01's own view, judged and saved as an inspection, leaves
    the default week where it was (a new tab still opens on it); it is excluded from the
    figures, then deleted with its file — in the reader's words."""
    from pipeline.loadbench import servers
    from tests.browser.test_pages import camera_view

    url, home, _ids = morning
    page = browsers(lang)
    words = WORDS[lang]
    _open(page, f"{url}/", words["pages"][0])
    week = _week_shown(page)
    assert "2026-W4" in week, week
    with servers.home_env(home):
        photo = camera_view(tmp_path / f"shelf-{lang}.jpg")
    _open(page, f"{url}/upload?store=s001", words["pages"][5])
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(photo))
    page.get_by_text(photo.name).first.wait_for()
    page.locator(".st-key-upload_camera [data-testid='stSelectbox']").click()
    page.get_by_role("option", name="c01", exact=True).click()
    drawn(page)
    page.locator(".st-key-upload_run button").click()
    page.locator(".st-key-upload_save_0 button").click()
    page.get_by_text(_said(lang, "Saved as inspection #{id}.")).first.wait_for()
    drawn(page)
    _open(page, f"{url}/", words["pages"][0])  # a new session: the default week
    assert _week_shown(page) == week
    _open(page, f"{url}/upload?store=s001", words["pages"][5])
    page.locator(".st-key-upload_exclude button").click()
    page.locator(".st-key-upload_include button").wait_for()  # excluded: it can count again
    drawn(page)
    page.locator(".st-key-upload_sure label").click()
    drawn(page)
    page.locator(".st-key-upload_delete button").click()
    page.get_by_text(_said(lang, "No saved uploads yet."), exact=True).wait_for()
    drawn(page)
    shot(page, f"upload-deleted-{lang}")


def test_first_start_shows_the_demo_build_in_chinese(morning, browsers):
    """Item 9 in Chinese (English: tests/store/test_serve): while the demo history is built,
    Overview shows how far it has got, follows it by itself and goes away when it is done."""
    from pipeline.db import tables
    from pipeline.demo import progress as demo_progress
    from pipeline.loadbench import servers

    url, home, _ids = morning
    page = browsers("zh")
    with servers.home_env(home):
        tracker = demo_progress.DemoTracker()  # this process builds it: alive
        try:
            tracker.start("render", 672)
            page.goto(f"{url}/")
            bar = page.locator('[data-testid="stProgress"]')
            bar.get_by_text(re.compile(r"第 2 步.*0.*672")).wait_for()
            tracker.advance(336)
            tracker._write(force=True)
            bar.get_by_text(re.compile(r"336.*672")).wait_for()  # it refreshes itself
            assert "Step" not in bar.inner_text()
            shot(page, "demo-progress-zh")
        finally:
            tracker.finish(tables.OK)
    bar.wait_for(state="detached")  # done: the page reloads with the figures
    page.get_by_role("heading", name="概览").first.wait_for()
    drawn(page)
