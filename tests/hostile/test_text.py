"""Hostile text in user names, display names, rule comments, file names and store names:
stored exactly (or refused with a clear reason), rendered as text and never as markup, the
database intact and the app still serving."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.access import accounts
from pipeline.access.accounts import AccountError, LoginError
from pipeline.access.audit import audit_entries
from pipeline.db import has_table
from pipeline.queries import rule_history
from tests.factories.accounts import make_user, sign_in
from tests.factories.dashboard_fixtures import rules_copy  # noqa: F401 - fixture reused

REPO = Path(__file__).resolve().parents[2]
HOSTILE = {
    "script-tag": "<script>alert('owned')</script>",
    "img-onerror": '<img src=x onerror="alert(1)">',
    "sql": "'; DROP TABLE users;--",
    "markdown": "**bold** [click](javascript:alert(1)) :red[red] $x^2$ `code`",
    "rtl-override": "abc\u202eexe.jpg",
    "emoji-unicode": "🛒🙂 Ünïcødé 名前 مرحبا",
    "ten-thousand": "x" * 10_000,
}
CASES = list(HOSTILE.items())
IDS = list(HOSTILE)


def _walk(node, found):
    found.append(node)
    for child in getattr(node, "children", {}).values():
        _walk(child, found)
    return found


def assert_no_markup(at) -> None:
    """No element of the page may render HTML (st.html, components, unsafe markdown)."""
    for node in _walk(at._tree, []):
        assert getattr(node, "type", None) not in ("html", "iframe", "components_v1"), node
        assert getattr(getattr(node, "proto", None), "allow_html", False) is not True, node


def _texts(at) -> list[str]:
    """Every plain-text value on the page (st.text, table cells, select options)."""
    values = [t.value for t in at.text]
    for frame in at.dataframe:
        values += [str(v) for v in frame.value.astype(str).to_numpy().ravel()]
    for box in at.selectbox:
        values += [str(o) for o in box.options]
    return values


def _unescaped(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def _all_escaped(markdown: str) -> bool:
    """Every markdown-active character is backslash-escaped (so it shows as itself)."""
    return re.search(r"(?<!\\)[*_`\[\]<>:$|#]", markdown) is None


@pytest.mark.parametrize("text", [v for _, v in CASES], ids=IDS)
def test_display_names_are_stored_exactly_or_refused(db, text):
    if len(text) > accounts.MAX_DISPLAY_NAME:
        with pytest.raises(AccountError, match="at most 200"):
            make_user("hostile", "viewer", display_name=text)
        assert accounts.list_users() == []
        return
    assert make_user("hostile", "viewer", display_name=text).display_name == text
    assert accounts.get_user("hostile").display_name == text


def test_display_names_are_shown_as_text(small_db, app):
    shown = [v for v in HOSTILE.values() if len(v) <= accounts.MAX_DISPLAY_NAME]
    for i, text in enumerate(shown):
        make_user(f"user{i}", "viewer", ["s001"], display_name=text)
    at = app(role=None)
    sign_in(at, "admin", display_name=HOSTILE["markdown"], username="hostile")
    at.run()
    assert not at.exception
    assert f"{HOSTILE['markdown']} (admin)" in [t.value for t in at.sidebar.text]
    at.switch_page("pages/admin.py").run()
    assert not at.exception
    assert set(shown) <= set(_texts(at))  # the users table holds them verbatim
    assert_no_markup(at)


@pytest.mark.parametrize("text", [v for _, v in CASES], ids=IDS)
def test_hostile_user_names_cannot_sign_in_and_are_logged_exactly(db, text):
    make_user("root", "admin", password="root-password")
    with pytest.raises(LoginError, match="^wrong user name or password$"):
        accounts.authenticate(text, "whatever-password")
    assert {u.username for u in accounts.list_users()} == {"root"}  # table intact
    assert has_table("users") and has_table("audit_log")
    row = audit_entries(make_user("root", "admin"), action="login_failed").iloc[0]
    typed = text.strip().lower()
    assert row["target"] == typed[:2000] + (f"… (+{len(typed) - 2000} characters)"
                                            if len(typed) > 2000 else "")
    if text != typed and len(text) <= 2000:
        assert f"entered={text}" in row["detail"]


def test_the_sign_in_form_answers_hostile_names_in_plain_words(small_db, app):
    at = app(role=None)
    for text in (HOSTILE["sql"], HOSTILE["script-tag"], HOSTILE["markdown"]):
        at.text_input(key="auth_username").input(text)
        at.text_input(key="auth_password").input("x' OR '1'='1")
        at.button[0].click().run()
        assert not at.exception  # still serving, after each one
        assert [e.value for e in at.error] == ["wrong user name or password"]
        assert not at.dataframe and not at.metric  # still nothing visible
        assert_no_markup(at)


def test_admin_page_refuses_hostile_user_names_clearly(small_db, app):
    at = app("pages/admin.py", role="admin")
    for text in (HOSTILE["script-tag"], HOSTILE["sql"], HOSTILE["markdown"]):
        at.text_input(key="admin_add_name").input(text)
        next(b for b in at.button if b.label == "Add user").click().run()
        assert not at.exception
        assert len(at.error) == 1 and "is not allowed" in at.error[0].value
        assert _all_escaped(at.error[0].value) and text in _unescaped(at.error[0].value)
        assert_no_markup(at)
    assert {u.username for u in accounts.list_users()} == {"test-admin"}


def test_rule_comments_are_stored_and_shown_as_text(small_db, rules_copy, app):  # noqa: F811
    from pipeline.access.scope import ALL_STORES
    from pipeline.actions import rule_edits

    name = "beverages.yaml"
    text = (rules_copy / name).read_text(encoding="utf-8")
    for i, comment in enumerate(HOSTILE.values()):
        text += f"\n# edit {i}\n"
        rule_edits.save_text(name, text, ALL_STORES, comment)
    stored = list(rule_history.history(name, ALL_STORES)["comment"])[: len(HOSTILE)]
    wanted = [c[: rule_edits.MAX_COMMENT].strip() for c in HOSTILE.values()][::-1]
    assert stored == wanted  # exactly, up to the page's stated limit
    at = app("pages/rules.py", role="admin")
    assert not at.exception
    assert set(wanted) <= set(_texts(at))
    assert_no_markup(at)


@pytest.mark.parametrize("text", [v for _, v in CASES], ids=IDS)
def test_file_names_are_cleaned_for_disk_but_logged_exactly(db, rules_copy, text):  # noqa: F811
    from tests.factories import samples
    from tests.hostile.test_images import save_through_the_page_path, stored_path

    make_user("root", "admin")
    item, saved = save_through_the_page_path(samples.jpeg(), text + ".jpg")
    assert re.fullmatch(r"[\w\-]{1,96}\.jpg", item.name), item.name
    path = stored_path(saved)
    assert path.name == path.name.strip() and path.parent.parent.parent.parent.name == "archive"
    row = audit_entries(make_user("root", "admin"), action="upload").iloc[0]
    original = text + ".jpg"
    assert f"original={original[:2000]}" in row["detail"]


def test_store_names_are_shown_as_text(small_db, app):
    from pipeline.db import session_scope, tables

    names = {f"s1{i:02d}": v for i, v in enumerate(HOSTILE.values()) if len(v) <= 200}
    with session_scope() as s:
        for store, name in names.items():
            s.add(tables.Store(id=store, name=name))
    at = app(role="admin")
    assert not at.exception
    options = at.sidebar.selectbox(key="store").options
    assert {f"{store} · {name}" for store, name in names.items()} <= set(options)
    assert_no_markup(at)


def test_no_page_passes_text_to_html_rendering():
    """Static guard: nothing in the dashboard renders HTML from strings."""
    files = [REPO / "streamlit_app.py", *(REPO / "pages").glob("*.py"),
             *(REPO / "pipeline" / "dashboard").glob("*.py")]
    pattern = re.compile(r"unsafe_allow_html\s*=\s*True|st\.html\(|components\.v1|"
                         r"components\.html\(")
    offenders = [f"{f.relative_to(REPO)}:{n}" for f in files
                 for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
                 if pattern.search(line)]
    assert offenders == []
