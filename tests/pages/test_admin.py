"""Users & audit (the admin page): its title, no account chosen until the admin picks one, and
a new password only after a confirmation naming the account — in English and Chinese."""

from __future__ import annotations

import pytest

from pipeline.access import accounts
from tests.factories.accounts import make_user

WORDS = {"en": {"title": "Users & audit", "reset": "New random password…", "yes": "Yes, new "
                "password for vera", "cancel": "Cancel", "warn": "Make a new password for vera"},
         "zh": {"title": "用户与审计", "reset": "生成新的随机密码…", "yes": "确定，为 vera 生成新密码",
                "cancel": "取消", "warn": "为 vera 生成新密码"}}


def _page(lang: str):
    from streamlit.testing.v1 import AppTest

    from tests.factories.accounts import sign_in
    from tests.factories.dashboard_fixtures import APP

    at = AppTest.from_file(APP, default_timeout=60)
    sign_in(at, "admin")
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("pages/admin.py").run()
    assert not at.exception, at.exception
    return at


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_password_is_reset_only_for_the_chosen_user_after_a_confirmation(small_db, lang):
    words = WORDS[lang]
    make_user("vera", "viewer", ["s001"], password="vera-old-password-1")
    at = _page(lang)
    assert at.title[0].value == words["title"]
    assert at.selectbox(key="admin_pick").value is None  # nobody chosen for the admin
    assert "admin_reset" not in [b.key for b in at.button]
    assert "admin_change_role" not in [s.key for s in at.selectbox]

    at.selectbox(key="admin_pick").set_value("vera").run()
    _button(at, words["reset"]).click().run()
    assert not at.exception and not at.code  # no new password yet
    assert any(words["warn"] in w.value for w in at.warning)
    _button(at, words["cancel"]).click().run()
    assert words["yes"] not in [b.label for b in at.button]
    assert accounts.authenticate("vera", "vera-old-password-1").username == "vera"

    _button(at, words["reset"]).click().run()
    _button(at, words["yes"]).click().run()
    assert not at.exception, at.exception
    password = at.code[0].value
    assert accounts.authenticate("vera", password).username == "vera"
    with pytest.raises(Exception, match="wrong user name or password"):
        accounts.authenticate("vera", "vera-old-password-1")
