"""Every page in Chinese: titles, headings, labels, messages and table headings are the
catalog's zh-CN words — no English left outside ``_()``; the language follows the browser's
``Accept-Language`` until the sidebar switch changes it."""

from __future__ import annotations

import json
import re

import pytest

from tests.factories.dashboard_fixtures import APP

PAGES = ["pages/overview.py", "pages/fixes.py", "pages/weekly_report.py", "pages/inspections.py",
         "pages/trends.py", "pages/upload.py", "pages/rules.py", "pages/system.py",
         "pages/admin.py"]
CJK = re.compile(r"[\u4e00-\u9fff]")
# Words that stay as they are in Chinese text: product and file-format names, units, codes.
KEPT = {"ShelfAudit", "CSV", "PDF", "Excel", "SKU", "UTC", "YAML", "ISO", "JPEG", "PNG", "WebP",
        "MB", "EXIF", "cron", "Ctrl", "Enter", "px", "ID", "KPI", "IANA"}
# Data, not words of the interface: the test database's store names and accounts, and its
# rule messages (a rule file's own words, shown as written).
DATA = {"Riverside", "Old", "Town", "test", "admin", "broken", "on"}


def _english(text: str) -> list[str]:
    """English words left in ``text`` once code, icons, ids and data are taken out."""
    text = re.sub(r"`[^`]*`", " ", text)  # code spans: commands and file names
    text = re.sub(r":[a-z]+(-badge|/[a-z_]+):?", " ", text)  # :material/x: icons, badges
    text = re.sub(r":(red|orange|yellow|green|blue|violet|gr[ae]y|rainbow|primary)\[", " [",
                  text)  # coloured text (:green[...]: a legend's squares)
    text = re.sub(r"\S*[0-9/._@#\\-]\S*", " ", text)  # ids, weeks, files, zones, numbers
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in KEPT | DATA]


def _texts(at) -> list[tuple[str, str]]:
    """(where, text) of everything the page says in its own words (not table cells)."""
    out = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "success",
                 "warning", "error"):
        out += [(kind, e.value) for e in getattr(at, kind)]
    for kind in ("selectbox", "multiselect", "button", "text_input", "text_area", "date_input",
                 "toggle", "segmented_control", "pills", "metric", "download_button",
                 "file_uploader"):
        try:
            elements = list(getattr(at, kind))
        except Exception:  # noqa: BLE001 - element kind not on this Streamlit version
            continue
        out += [(kind, e.label) for e in elements if getattr(e, "label", None)]
        out += [(f"{kind} help", e.help) for e in elements if getattr(e, "help", None)]
    out += [("tab", t.label) for t in at.tabs] + [("expander", e.label) for e in at.expander]
    return out


def _column_headings(at) -> list[tuple[str, str]]:
    """(column, heading) of every visible table column."""
    out = []
    for table in at.dataframe:
        config = json.loads(table.proto.columns or "{}")
        shown = list(table.proto.column_order) or list(table.value.columns)
        for column in shown:
            label = (config.get(f"name:{column}") or config.get(column) or {}).get("label")
            out.append((column, label or column))
    return out


def _open(page: str, lang: str | None = "zh", headers: dict | None = None):
    from streamlit.testing.v1 import AppTest

    from tests.factories.accounts import sign_in

    at = AppTest.from_file(APP, default_timeout=60)
    sign_in(at, "admin")
    if lang:
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(page).run()
    return at


@pytest.fixture
def nav():
    from pipeline.dashboard.bench_pages import navigation_pages_manager

    with navigation_pages_manager():
        yield


@pytest.mark.parametrize("page", PAGES)
def test_every_page_speaks_chinese(small_db, nav, page):
    at = _open(page)
    assert not at.exception, at.exception
    assert CJK.search(at.title[0].value), at.title[0].value
    english = [(where, text, _english(text)) for where, text in _texts(at) if _english(text)]
    assert not english, "\n".join(f"{w}: {t!r} -> {e}" for w, t, e in english)
    raw = [(c, h) for c, h in _column_headings(at) if not CJK.search(h) and _english(h)]
    assert not raw, raw


def test_the_sidebar_and_the_navigation_speak_chinese(small_db, nav):
    at = _open("pages/overview.py")
    labels = [s.label for s in at.sidebar.selectbox]
    assert "门店" in labels and "周" in labels
    assert [b.label for b in at.sidebar.button] == ["退出登录"]


def test_the_language_switch_changes_the_words(small_db, nav):
    at = _open("pages/overview.py", lang=None)
    assert at.title[0].value == "Overview"  # no Accept-Language in tests: English
    at.sidebar.segmented_control(key="lang_pick").set_value("zh").run()
    assert not at.exception
    assert at.title[0].value == "概览" and at.session_state["lang"] == "zh"
    at.switch_page("pages/inspections.py").run()
    assert at.title[0].value == "巡检"  # kept for the session
    at.sidebar.segmented_control(key="lang_pick").set_value("en").run()
    assert at.title[0].value == "Inspections"


def test_the_sign_in_form_speaks_the_chosen_language(empty_db, nav):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    assert at.subheader[0].value == "登录"
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
