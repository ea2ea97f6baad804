"""End to end in a real browser: ``streamlit run`` on a free port, headless Debian Chromium.

Signs in, visits every page, uploads a shelf photo and sees its detections, makes a rule edit
with an error (the line is named) and then a valid one (saved as a version). Screenshots go to
``test-artifacts/`` (git-ignored). ``SHELFAUDIT_E2E_HOME`` runs it against an existing home
(e.g. a demo history, for the README screenshots) instead of the small test database.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.api.local import free_port, wait_ready
from tests.factories.demo_db import build_small_db

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / "pipeline" / "dashboard" / "server.py"  # what `shelfaudit serve` runs
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
USER, PASSWORD = "e2e-admin", "e2e-password-1234"
PAGES = ["Overview", "Today's fixes", "Weekly report", "Inspections", "Trends", "Upload", "Rules",
         "System"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A running dashboard on a temporary home (or ``SHELFAUDIT_E2E_HOME``); yields its URL."""
    from pipeline.access import accounts
    from pipeline.db import dispose_engines
    from pipeline.settings import get_settings

    given = os.environ.get("SHELFAUDIT_E2E_HOME")
    home = Path(given) if given else tmp_path / "home"
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    monkeypatch.setenv("SHELFAUDIT_HOME", str(home))
    monkeypatch.setenv("SHELFAUDIT_RULES", str(rules))
    get_settings.cache_clear()
    if not given:
        build_small_db(home)
    if accounts.get_user(USER) is None:
        accounts.add_user(USER, PASSWORD, role="admin", display_name="E2E", actor="test")
    dispose_engines()
    port = free_port()
    env = {**os.environ, "SHELFAUDIT_INSPECTOR": os.environ.get("SHELFAUDIT_E2E_INSPECTOR",
                                                                  "fake")}
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(SERVER),
         "--server.port", str(port), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{url}/_stcore/health", proc, tmp_path / "streamlit.log", 90, "streamlit")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        text = (tmp_path / "streamlit.log").read_text(errors="replace")
        assert "Traceback" not in text, text[-3000:]


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(60_000)
        yield page
        browser.close()


def settle(page) -> None:
    """Wait until the script run is over (no running indicator, no stale elements)."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(200)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, \
        page.locator('[data-testid="stException"]').first.inner_text()


def sign_in(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="User name").fill(USER)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").wait_for()
    settle(page)


def drawn(page, linger_ms: int = 0) -> None:
    """Wait until the script run is over and no element is still a grey placeholder while its
    code loads (Streamlit's ``stSkeleton``), then ``linger_ms`` more; no exception shown."""
    settle(page)
    page.wait_for_function("() => !document.querySelector('[data-testid=stSkeleton], "
                           "[data-testid=stSkeletonElement], [data-testid=stAppSkeleton]')")
    if linger_ms:
        page.wait_for_timeout(linger_ms)
    no_exception(page)


def sign_in_as(page, url: str, user: str, password: str, words: dict, heading: str,
               linger_ms: int = 0) -> None:
    """Sign in through the form in the page's language (``words``: its user, password and
    sign-in labels) and wait until ``heading`` is drawn."""
    page.goto(url)
    page.get_by_role("textbox", name=words["user"]).fill(user)
    page.get_by_role("textbox", name=words["password"]).fill(password)
    page.get_by_role("button", name=words["sign_in"]).click()
    page.get_by_role("heading", name=heading).first.wait_for()
    drawn(page, linger_ms)


def open_page(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title).first.wait_for()
    settle(page)
    no_exception(page)


def camera_view(path: Path, store: str = "s001", camera: str = "c01",
                size: tuple[int, int] = (800, 600)) -> Path:
    """A photo of what ``store``/``camera`` usually sees (its newest scheduled photo, taken
    bigger): the Upload page judges only photos of the chosen camera's shelf."""
    from PIL import Image

    from pipeline.access.scope import ALL_STORES
    from pipeline.actions.camera_views import recent_photos

    newest = recent_photos(store, ALL_STORES, per_camera=1)[camera][0]
    Image.open(newest).convert("RGB").resize(size).save(path, "JPEG", quality=90)
    return path


def pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the page's (not the sidebar's) selectbox ``label``."""
    main = page.locator('[data-testid="stMain"]')
    main.locator('[data-testid="stSelectbox"]').filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def upload_photo(page, photo: Path, camera: str = "c01", check: bool = True) -> None:
    open_page(page, "Upload")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(photo))
    page.get_by_text(photo.name).first.wait_for()
    assert page.get_by_role("button", name="Inspect now").is_disabled()  # no camera yet
    pick(page, "Camera", camera)
    page.get_by_role("button", name="Inspect now").click()
    if not check:
        settle(page)
        return
    page.get_by_text("Violations (").first.wait_for()
    settle(page)
    no_exception(page)
    caption = page.get_by_text(" detections · ").first.inner_text()
    assert int(caption.split()[0]) > 0, caption
    shot(page, "upload")


def edit_rules(page) -> None:
    open_page(page, "Rules")
    from playwright.sync_api import expect

    editor = page.locator("textarea").first
    expect(editor).to_have_value(re.compile("type: orientation"))
    text = editor.input_value()
    broken = text.replace("    type: orientation\n", "    type: orientaton\n", 1)
    line = broken.splitlines().index("    type: orientaton") + 1
    editor.fill(broken)
    editor.press("Control+Enter")
    page.get_by_text(f"line {line}").first.wait_for()
    settle(page)
    assert page.get_by_role("button", name="Save as new version").is_disabled()
    shot(page, "rules-error")
    editor.fill(text + "\n# checked in the browser\n")
    editor.press("Control+Enter")
    page.get_by_text("Valid ✓").wait_for()
    settle(page)
    page.get_by_label("Comment").fill("e2e edit")
    page.get_by_label("Comment").press("Enter")
    settle(page)
    page.get_by_role("button", name="Save as new version").click()
    page.get_by_text(re.compile(r"version #\d+\.")).first.wait_for()
    settle(page)
    no_exception(page)
    shot(page, "rules-saved")


def test_every_page_in_a_real_browser(server, browser_page, tmp_path):
    page = browser_page
    sign_in(page, server)
    shot(page, "overview")
    for title in PAGES:
        open_page(page, title)
        shot(page, title.lower().replace(" ", "-"))
    open_page(page, "Inspections")
    page.locator('[data-testid="stImage"]').first.wait_for()
    page.get_by_role("button", name="◀ Previous").evaluate(
        "b => b.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    shot(page, "inspection")
    upload_photo(page, camera_view(tmp_path / "shelf-upload.jpg"))
    edit_rules(page)
    rules = Path(os.environ["SHELFAUDIT_RULES"]) / "beverages.yaml"
    assert rules.read_text(encoding="utf-8").endswith("# checked in the browser\n")


@pytest.fixture
def chinese_page():
    """A browser whose language is Chinese (``Accept-Language: zh-CN``; Playwright's
    ``locale`` alone does not reach the WebSocket handshake Streamlit reads, the browser's
    ``--accept-lang`` does)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--accept-lang=zh-CN,zh"])
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
        page.set_default_timeout(60_000)
        yield page
        browser.close()


def test_a_chinese_browser_gets_the_dashboard_in_chinese(server, chinese_page):
    page = chinese_page
    page.goto(server)
    page.get_by_role("heading", name="登录").wait_for()  # from Accept-Language, before sign-in
    page.get_by_role("textbox", name="用户名").fill(USER)
    page.get_by_role("textbox", name="密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="概览").wait_for()
    settle(page)
    no_exception(page)
    shot(page, "overview-zh")
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_text("巡检", exact=True).click()
    page.get_by_role("heading", name="巡检").first.wait_for()
    settle(page)
    no_exception(page)
    assert page.get_by_text("拍摄时间（门店时间）").count() or page.locator(
        '[data-testid="stDataFrame"]').count()
    shot(page, "inspections-zh")
    page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
    page.get_by_role("heading", name="Inspections").first.wait_for()  # the switch wins
    settle(page)
    no_exception(page)
