"""Today's fixes and safe uploads in a real browser (issue #19 items 3 and 5), in English and
Chinese: ``streamlit run`` on a free port and headless Chromium (fixtures of
:mod:`tests.browser.test_pages`). Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import test_pages as _browser
from tests.browser.test_pages import (
    CHROMIUM,
    PASSWORD,
    USER,
    no_exception,
    open_page,
    pick,
    settle,
    shot,
    sign_in,
)

server, browser_page, chinese_page = _browser.server, _browser.browser_page, _browser.chinese_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]


@pytest.fixture
def fridge_on_c02(server):
    """Camera c02 of s001 shows a drinks fridge, not the shelf c01 shows (as in
    :func:`tests.actions.test_uploads_safe.cameras_apart`)."""
    from sqlalchemy import select, update

    from pipeline.db import session_scope
    from pipeline.db import tables as t
    from tests.actions.test_uploads_safe import fridge_photo

    fridge = fridge_photo(Path(os.environ["SHELFAUDIT_HOME"]) / "archive" / "fridge.jpg")
    with session_scope() as s:
        ids = list(s.scalars(select(t.Inspection.photo_id).where(
            t.Inspection.store_id == "s001", t.Inspection.camera_id == "c02")))
        s.execute(update(t.Photo).where(t.Photo.id.in_(ids)).values(path=str(fridge)))
    return server


def _sign_in_zh(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="用户名").fill(USER)
    page.get_by_role("textbox", name="密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="概览").wait_for()
    settle(page)


def _fixes(page, title: str, link: str, done: str, left: str, marked: str, name: str) -> None:
    """From Overview's link to Today's fixes; mark the first fix done."""
    page.get_by_role("link", name=link).first.click()
    page.get_by_role("heading", name=title).first.wait_for()
    settle(page)
    no_exception(page)
    page.locator('[data-testid="stImage"]').first.wait_for()
    assert page.locator('[data-testid="stImage"]').count() >= 2  # the photo and crops
    shot(page, name)
    page.get_by_role("button", name=done).first.click()
    page.get_by_text(left).first.wait_for()
    page.get_by_text(marked).first.wait_for()
    settle(page)
    no_exception(page)


def test_todays_fixes_in_a_real_browser(server, browser_page):
    page = browser_page
    sign_in(page, server)
    _fixes(page, "Today's fixes", "Today's fixes: 10 to fix", "Done", "2 to fix", "1 marked",
           "fixes")
    from pipeline.access.scope import ALL_STORES
    from pipeline.queries import fixes

    assert fixes.rule_precision(ALL_STORES)["marked"].sum() == 1


def test_todays_fixes_in_chinese(server, chinese_page):
    page = chinese_page
    _sign_in_zh(page, server)
    _fixes(page, "今日整改", "今日整改：最新照片上有 10 项待整改", "完成", "2 项待整改",
           "已标记 1 项", "fixes-zh")


def _judge_fridge(page, tmp_path, inspect: str, warning: str, instead: str) -> None:
    from tests.actions.test_uploads_safe import view_of

    photo = tmp_path / "fridge-upload.jpg"
    photo.write_bytes(view_of(Path(os.environ["SHELFAUDIT_HOME"]) / "archive" / "fridge.jpg",
                              (800, 600)))
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(photo))
    page.get_by_text(photo.name).first.wait_for()
    assert page.get_by_role("button", name=inspect).is_disabled()  # the camera is required
    pick(page, "Camera" if inspect == "Inspect now" else "摄像头", "c01")
    page.get_by_role("button", name=inspect).click()
    page.get_by_text(warning).first.wait_for()
    settle(page)
    no_exception(page)
    page.get_by_role("button", name=instead).click()  # judged as the camera it shows
    settle(page)


def test_safe_uploads_in_a_real_browser(fridge_on_c02, browser_page, tmp_path):
    page = browser_page
    sign_in(page, fridge_on_c02)
    open_page(page, "Upload")
    _judge_fridge(page, tmp_path, "Inspect now", "does not look like camera c01",
                  "Judge as camera c02 instead")
    page.get_by_text("Looks like camera c02").first.wait_for()
    page.get_by_text("Violations (").first.wait_for()
    shot(page, "upload-grouped")
    page.get_by_role("button", name="Save as inspection").click()
    page.get_by_text("Saved as inspection #").first.wait_for()
    settle(page)
    page.get_by_role("button", name="Exclude from the figures").click()
    page.get_by_role("button", name="Count it again").wait_for()
    settle(page)
    page.get_by_text("Delete it and its photo file").click()
    settle(page)
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_text("No saved uploads yet.").wait_for()
    settle(page)
    no_exception(page)
    shot(page, "upload-saved-uploads")


def test_safe_uploads_in_chinese(fridge_on_c02, chinese_page, tmp_path):
    page = chinese_page
    _sign_in_zh(page, fridge_on_c02)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("上传", exact=True).click()
    page.get_by_role("heading", name="上传").first.wait_for()
    settle(page)
    _judge_fridge(page, tmp_path, "立即检查", "这张照片看起来不像摄像头 c01",
                  "改按摄像头 c02 判定")
    page.get_by_text("与摄像头 c02").first.wait_for()
    no_exception(page)
    shot(page, "upload-zh")
