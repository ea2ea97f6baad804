"""Words through the catalog: every message id in the code has a zh-CN translation; numbers,
percentages and times read as the locale writes them; names come from the product catalog."""

from __future__ import annotations

import gettext
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from pipeline import i18n

REPO = Path(__file__).resolve().parent.parent
PO = REPO / "pipeline" / "locale" / "zh_CN" / "LC_MESSAGES" / "shelfaudit.po"
BRACES = re.compile(r"\{[^{}]*\}")


def _code_messages() -> dict[str | tuple[str, ...], str]:
    """Every message id in the code, extracted by Babel with the project's ``babel.cfg``."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(REPO / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            REPO, method_map, options_map, keywords=keywords):
        if "/.venv/" in f"/{filename}" or filename.startswith(("tests/", "data/")):
            continue
        found[message] = f"{filename}:{lineno}"
    return found


def _catalog():
    from babel.messages.pofile import read_po

    with PO.open("rb") as f:
        return read_po(f, locale="zh_CN")


def test_every_message_in_the_code_has_a_chinese_translation():
    catalog = _catalog()
    missing = []
    for message, where in _code_messages().items():
        key = message if isinstance(message, str) else message[0]
        entry = catalog.get(key)
        strings = [] if entry is None else \
            [entry.string] if isinstance(entry.string, str) else list(entry.string)
        if entry is None or not all(strings) or entry.fuzzy:
            missing.append(f"{where}: {key!r}")
    assert not missing, "untranslated (run the steps in docs/TRANSLATING.md):\n" + \
        "\n".join(missing)


def test_translations_keep_every_placeholder():
    for entry in _catalog():
        if not entry.id:
            continue
        ids = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        strings = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        wanted = set(BRACES.findall(ids[-1]))
        for text in strings:
            assert set(BRACES.findall(text)) == wanted, (entry.id, text)


def test_the_compiled_catalog_matches_the_po_file():
    """The committed ``.mo`` is compiled from the committed ``.po`` (``pybabel compile``)."""
    compiled = gettext.translation(i18n.DOMAIN, i18n.LOCALE_DIR, languages=["zh_CN"])
    for entry in _catalog():
        if not entry.id:
            continue
        if isinstance(entry.id, str):
            assert compiled.gettext(entry.id) == entry.string, entry.id
        else:
            assert compiled.ngettext(entry.id[0], entry.id[1], 2) == entry.string[0], entry.id


def test_no_message_hides_inside_an_f_string():
    """Babel cannot see ``_("...")`` inside an f-string (Python 3.11): such words would never
    reach the catalog."""
    hidden = []
    for path in [*(REPO / "pipeline").rglob("*.py"), *(REPO / "pages").glob("*.py"),
                 REPO / "streamlit_app.py"]:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"""\{\s*(_|ngettext|N_)\(\s*['"]""", line):
                hidden.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert not hidden, "\n".join(hidden)


def test_the_pdf_font_has_every_character_of_the_chinese_catalog_and_product_names(catalog):
    """The PDF embeds ``shelf-sans.ttf`` (a CJK subset): a translation or a catalog name with a
    character outside it would print as an empty box."""
    from reportlab.pdfbase.ttfonts import TTFontFile

    from pipeline.reports.format import FONT_PATH

    glyphs = TTFontFile(str(FONT_PATH)).charToGlyph
    texts = [s for e in _catalog() if e.id
             for s in ([e.string] if isinstance(e.string, str) else e.string)]
    texts += [s.name.zh for s in catalog.skus] + [b.name_zh for b in catalog.brands]
    texts += [c.name_zh for c in catalog.categories]
    printed = re.compile(r"[\u2000-\u206f\u3000-\u9fff\uff00-\uffef]")  # CJK, punctuation
    missing = sorted({ch for text in texts for ch in text if printed.match(ch)
                      and ord(ch) not in glyphs})
    assert not missing, "".join(missing)


@pytest.mark.parametrize(("value", "expected"), [
    ("zh-CN", "zh"), ("zh_Hans", "zh"), ("zh_CN.UTF-8", "zh"), ("en-GB", "en"), ("EN", "en"),
    ("fr", None), ("C.UTF-8", None), ("", None), (None, None),
])
def test_language_tags_read_as_one_of_ours(value, expected):
    assert i18n.normalize(value) == expected


@pytest.mark.parametrize(("header", "expected"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
    ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
    ("fr-FR,fr;q=0.9,zh;q=0.5", "zh"),  # the first language we have, by quality
    ("en;q=0.2, zh;q=0.7", "zh"),
    ("zh;q=0, en", "en"),
    ("de, fr", None), ("", None),
])
def test_the_browser_language_is_the_best_supported_one(header, expected):
    assert i18n.from_accept_language(header) == expected


@pytest.mark.parametrize(("env", "expected"), [
    ({"SHELFAUDIT_LANG": "zh"}, "zh"),
    ({"SHELFAUDIT_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LANG": "C.UTF-8"}, "en"), ({}, "en"),
])
def test_the_command_line_language_comes_from_the_environment(env, expected):
    assert i18n.from_environment(env) == expected


def test_using_a_language_translates_inside_the_block_only():
    with i18n.using("zh"):
        assert i18n._("Overview") == "概览"
        assert i18n.ngettext("{n} inspection", "{n} inspections", 3).format(n=3) == "3 次巡检"
        with i18n.using("en"):
            assert i18n._("Overview") == "Overview"
        assert i18n._("Overview") == "概览"
    assert i18n._("Overview") == "Overview"  # the tests run with SHELFAUDIT_LANG=en
    assert i18n._("a sentence nobody translated") == "a sentence nobody translated"


@pytest.mark.parametrize(("lang", "percent", "points", "number"), [
    ("en", "90.5%", "+1.5 pts", "1,234.5"),
    ("zh", "90.5%", "+1.5 个百分点", "1,234.5"),
])
def test_numbers_are_formatted_for_the_locale(lang, percent, points, number):
    assert i18n.percent(90.46, lang=lang) == percent
    assert i18n.points(1.5, lang=lang) == points
    assert i18n.number(1234.5, lang=lang) == number
    assert i18n.percent(None, lang=lang) == i18n.MISSING


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "Mon, Nov 16, 2026, 01:00 Asia/Shanghai"),
    ("zh", "2026年11月16日周一 01:00 Asia/Shanghai"),
])
def test_a_utc_moment_is_shown_on_the_stores_clock_with_its_zone(lang, expected):
    # 17:00 UTC on Sunday is 01:00 on Monday in Shanghai: the store's day and week
    assert i18n.moment(datetime(2026, 11, 15, 17, 0), "Asia/Shanghai", lang=lang) == expected


def test_days_read_in_the_locale():
    assert i18n.day(date(2026, 11, 16), lang="en") == "Mon, Nov 16, 2026"
    assert i18n.day(date(2026, 11, 16), lang="zh") == "2026年11月16日周一"


@pytest.mark.parametrize(("item", "lang", "expected"), [
    ("colaco-cola-330", "en", "ColaCo Cola 330ml can"),
    ("colaco-cola-330", "zh", "可乐可 可乐 330毫升 罐装"),
    ("colaco", "zh", "可乐可"),
    ("soft-drinks", "zh", "碳酸饮料"),
    ("soft-drinks", "en", "Soft drinks"),
    ("unknown", "zh", "unknown"),
    ("", "zh", ""),
])
def test_products_brands_and_categories_are_named_in_the_readers_language(item, lang, expected):
    from pipeline.catalog import display_name

    assert display_name(item, lang) == expected
