"""A one-store supervisor on the Rules page in a real browser (issue #19 item 6), in English and
in Chinese: a file she may not save opens read-only with the reason before she edits; she makes
her store's own rule file, changes it and saves it. Same server and Chromium as
``test_browser.py``; screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.test_pages import (  # noqa: F401 - fixtures reused
    CHROMIUM,
    browser_page,
    chinese_page,
    no_exception,
    server,
    settle,
    shot,
)

SUE, SUE_PASSWORD = "e2e-sue", "e2e-sue-password-1234"
FILE = "stores/s001/late-deliveries.yaml"
WORDS = {
    "en": {"user": "User name", "password": "Password", "sign_in": "Sign in",
           "overview": "Overview", "rules": "Rules", "read_only": "Read only",
           "why": "not yours", "new": "New rule file for my store",
           "file_name": "File name", "create": "Create the file", "created": f"Created {FILE}",
           "valid": "Valid ✓", "comment": "Comment", "save": "Save as new version",
           "saved": f"Saved {FILE} as version #"},
    "zh": {"user": "用户名", "password": "密码", "sign_in": "登录", "overview": "概览",
           "rules": "规则", "read_only": "只读", "why": "不属于你", "new": "为我的门店新建规则文件",
           "file_name": "文件名", "create": "创建文件", "created": f"已创建 {FILE}",
           "valid": "有效 ✓", "comment": "备注", "save": "保存为新版本",
           "saved": f"已将 {FILE} 保存为版本 #"},
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]


def _as_sue(page, url: str, words: dict) -> None:
    from pipeline.access import accounts

    if accounts.get_user(SUE) is None:
        accounts.add_user(SUE, SUE_PASSWORD, role="supervisor", stores=["s001"],
                          display_name="Sue", actor="test")
    page.goto(url)
    page.get_by_role("textbox", name=words["user"]).fill(SUE)
    page.get_by_role("textbox", name=words["password"]).fill(SUE_PASSWORD)
    page.get_by_role("button", name=words["sign_in"]).click()
    page.get_by_role("heading", name=words["overview"]).wait_for()
    settle(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_text(words["rules"], exact=True).click()
    page.get_by_role("heading", name=words["rules"]).first.wait_for()
    settle(page)
    no_exception(page)


def _supervisor_makes_her_file(page, url: str, lang: str) -> None:
    words = WORDS[lang]
    _as_sue(page, url, words)
    main = page.locator('[data-testid="stMain"]')
    # the first file (beverages.yaml, for stores s00*) is not hers: read-only, reason first
    notice = main.locator('[data-testid="stAlert"]').filter(has_text=words["read_only"])
    notice.first.wait_for()
    assert words["why"] in notice.first.inner_text()
    assert main.locator("textarea").count() == 0
    assert page.get_by_role("button", name=words["save"]).count() == 0
    shot(page, f"rules-read-only-{lang}")

    main.get_by_text(words["new"]).click()
    main.get_by_role("textbox", name=words["file_name"]).fill("late-deliveries")
    page.get_by_role("button", name=words["create"]).click()
    page.get_by_text(words["created"]).first.wait_for()
    settle(page)
    no_exception(page)
    editor = main.locator("textarea").first
    text = editor.input_value()
    assert "enabled: false" in text
    edited = re.sub(r"    enabled: false.*\n", "    enabled: true\n", text)
    editor.fill(edited)
    editor.press("Control+Enter")
    page.get_by_text(words["valid"]).wait_for()
    settle(page)
    page.get_by_label(words["comment"]).fill("one gap is fine at Riverside")
    page.get_by_label(words["comment"]).press("Enter")
    settle(page)
    page.get_by_role("button", name=words["save"]).click()
    page.get_by_text(words["saved"]).first.wait_for()
    settle(page)
    no_exception(page)
    shot(page, f"rules-store-file-{lang}")
    saved = Path(os.environ["SHELFAUDIT_RULES"]) / FILE
    assert saved.read_text(encoding="utf-8") == edited
    # the history's picker offers the version now in force (not the one it showed before)
    from pipeline.access.scope import ALL_STORES
    from pipeline.queries.rule_history import history

    newest = int(history(FILE, ALL_STORES).iloc[0]["id"])
    shown = main.locator('[data-testid="stSelectbox"]').last.evaluate("e => e.outerHTML")
    assert f"#{newest}" in shown, shown


def test_a_one_store_supervisor_makes_her_stores_rule_file(server, browser_page):  # noqa: F811
    _supervisor_makes_her_file(browser_page, server, "en")


def test_the_same_in_chinese(server, chinese_page):  # noqa: F811
    _supervisor_makes_her_file(chinese_page, server, "zh")
