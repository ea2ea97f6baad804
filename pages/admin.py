"""Users & audit: accounts (add, role, stores, disable, new password) and the audit log.

Render only: every change goes through :mod:`pipeline.access.admin`, which checks the admin
role itself. User-typed text is shown in tables or escaped, never as markup. No account is
chosen until the admin picks one, and a new password is made only after a confirmation.
"""

import streamlit as st

from pipeline.access import admin as accounts_admin
from pipeline.access.audit import audit_entries
from pipeline.access.roles import ROLES, AccessDenied
from pipeline.access.scope import ALL_STORES
from pipeline.dashboard import auth
from pipeline.dashboard.auth import ROLE_LABELS
from pipeline.dashboard.formatting import column_config, labels_for
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _, ngettext
from pipeline.queries import pickers

st.title(_("Users & audit"))
me = auth.user()
if me is None or not me.is_admin:
    st.error(_("This page is for admins."))
    st.stop()

notice = st.session_state.pop("admin_notice", None)
if notice:
    st.success(notice[0])
    if notice[1]:
        st.code(notice[1], language=None)
        st.caption(_("Shown once: pass it on safely and ask them to change it."))


def _role(value: str) -> str:
    return _(ROLE_LABELS.get(value, value))


def _change(who: str, picked) -> None:
    current = [] if picked["stores"] in ("", "all") else picked["stores"].split(", ")
    with st.form("admin_change"):
        new_role = st.selectbox(_("Role"), ROLES, index=ROLES.index(picked["role"]),
                                key="admin_change_role", format_func=labels_for(ROLES, _role))
        new_stores = st.multiselect(_("Stores"), sorted(set(store_ids) | set(current)),
                                    default=current, key="admin_change_stores")
        active = st.toggle(_("Active"), value=bool(picked["active"]), key="admin_change_active")
        if st.form_submit_button(_("Save changes")):
            try:
                accounts_admin.change_account(me, who, new_role, new_stores, active)
            except (ShelfAuditError, AccessDenied) as exc:
                st.error(auth.as_text(exc))
            else:
                st.session_state["admin_notice"] = (
                    _("Saved {user}.").format(user=auth.as_text(who)), None)
                st.rerun()


def _reset(who: str) -> None:
    """A new random password for ``who``, after the admin confirms it is meant for them."""
    if st.session_state.get("admin_reset_for") != who:
        if st.button(_("New random password…"), key="admin_reset"):
            st.session_state["admin_reset_for"] = who
            st.rerun()
        return
    st.warning(_("Make a new password for {user}? Their current password stops working and "
                 "their sessions end.").format(user=auth.as_text(who)))
    yes, no = st.columns(2)
    if no.button(_("Cancel"), key="admin_reset_cancel"):
        st.session_state.pop("admin_reset_for", None)
        st.rerun()
    if yes.button(_("Yes, new password for {user}").format(user=auth.as_text(who)),
                  key="admin_reset_confirm", type="primary"):
        st.session_state.pop("admin_reset_for", None)
        try:
            password = accounts_admin.reset_password(me, who)
        except (ShelfAuditError, AccessDenied) as exc:
            st.error(auth.as_text(exc))
        else:
            st.session_state["admin_notice"] = (
                _("New password for {user} (their sessions ended):").format(
                    user=auth.as_text(who)), password)
            st.rerun()


store_ids = [s for s, _name in pickers.stores(ALL_STORES)]
users_tab, audit_tab = st.tabs([_("Users"), _("Audit log")])

with users_tab:
    table = accounts_admin.users_table(me)
    st.dataframe(table, hide_index=True, key="admin_users",
                 column_config=column_config(table.columns))

    with st.expander(_("Add a user")), st.form("admin_add", clear_on_submit=True):
        name = st.text_input(_("User name"), key="admin_add_name",
                             help=_("Letters, digits and . _ @ + - (no spaces)."))
        display = st.text_input(_("Display name"), key="admin_add_display", max_chars=200)
        role = st.selectbox(_("Role"), ROLES, key="admin_add_role",
                            format_func=labels_for(ROLES, _role))
        stores = st.multiselect(_("Stores"), store_ids, key="admin_add_stores")
        email = st.text_input(_("E-mail (single sign-on)"), key="admin_add_email")
        if st.form_submit_button(_("Add user")):
            try:
                made, password = accounts_admin.add_account(
                    me, name, role, stores, display_name=display, email=email or None)
            except (ShelfAuditError, AccessDenied) as exc:
                st.error(auth.as_text(exc))
            else:
                st.session_state["admin_notice"] = (
                    _("Added {user}. Their first password:").format(
                        user=auth.as_text(made.username)), password)
                st.rerun()

    names = list(table["username"])
    if names:
        st.subheader(_("Change a user"))
        who = st.selectbox(_("User"), names, key="admin_pick", index=None,
                           placeholder=_("Choose a user"))
        if who is not None:
            _change(who, table.set_index("username").loc[who])
            _reset(who)

with audit_tab:
    left, right = st.columns(2)
    action = left.text_input(_("Action"), key="admin_audit_action",
                             placeholder="login_failed, upload, rule_save …")
    actor = right.text_input(_("Who"), key="admin_audit_actor")
    log = audit_entries(me, action=action.strip() or None, actor=actor.strip() or None)
    st.dataframe(log, hide_index=True, key="admin_audit", column_config=column_config(log.columns))
    st.caption(ngettext("{n} newest entry.", "{n} newest entries.", len(log)).format(n=len(log)))
