"""Admin: accounts (add, role, stores, disable, new password) and the audit log.

Render only: every change goes through :mod:`pipeline.access.admin`, which checks the admin
role itself. User-typed text is shown in tables or escaped, never as markup.
"""

import streamlit as st

from pipeline.access import admin as accounts_admin
from pipeline.access.audit import audit_entries
from pipeline.access.roles import ROLES, AccessDenied
from pipeline.dashboard import auth
from pipeline.errors import ShelfAuditError
from pipeline.queries import pickers
from pipeline.queries.scope import ALL_STORES

st.title("Admin")
me = auth.user()
if me is None or not me.is_admin:
    st.error("This page is for admins.")
    st.stop()

notice = st.session_state.pop("admin_notice", None)
if notice:
    st.success(notice[0])
    if notice[1]:
        st.code(notice[1], language=None)
        st.caption("Shown once: pass it on safely and ask them to change it.")

store_ids = [s for s, _ in pickers.stores(ALL_STORES)]
users_tab, audit_tab = st.tabs(["Users", "Audit log"])

with users_tab:
    table = accounts_admin.users_table(me)
    st.dataframe(table, hide_index=True, key="admin_users")

    with st.expander("Add a user"), st.form("admin_add", clear_on_submit=True):
        name = st.text_input("User name", key="admin_add_name",
                             help="Letters, digits and . _ @ + - (no spaces).")
        display = st.text_input("Display name", key="admin_add_display", max_chars=200)
        role = st.selectbox("Role", ROLES, key="admin_add_role")
        stores = st.multiselect("Stores", store_ids, key="admin_add_stores")
        email = st.text_input("E-mail (single sign-on)", key="admin_add_email")
        if st.form_submit_button("Add user"):
            try:
                made, password = accounts_admin.add_account(
                    me, name, role, stores, display_name=display, email=email or None)
            except (ShelfAuditError, AccessDenied) as exc:
                st.error(auth.as_text(exc))
            else:
                st.session_state["admin_notice"] = (
                    f"Added {auth.as_text(made.username)}. Their first password:", password)
                st.rerun()

    names = list(table["username"])
    if names:
        st.subheader("Change a user")
        who = st.selectbox("User", names, key="admin_pick")
        picked = table.set_index("username").loc[who]
        current = [] if picked["stores"] in ("", "all") else picked["stores"].split(", ")
        with st.form("admin_change"):
            new_role = st.selectbox("Role", ROLES, index=ROLES.index(picked["role"]),
                                    key="admin_change_role")
            new_stores = st.multiselect("Stores", sorted(set(store_ids) | set(current)),
                                        default=current, key="admin_change_stores")
            active = st.toggle("Active", value=bool(picked["active"]), key="admin_change_active")
            if st.form_submit_button("Save changes"):
                try:
                    accounts_admin.change_account(me, who, new_role, new_stores, active)
                except (ShelfAuditError, AccessDenied) as exc:
                    st.error(auth.as_text(exc))
                else:
                    st.session_state["admin_notice"] = (f"Saved {auth.as_text(who)}.", None)
                    st.rerun()
        if st.button("New random password", key="admin_reset"):
            try:
                password = accounts_admin.reset_password(me, who)
            except (ShelfAuditError, AccessDenied) as exc:
                st.error(auth.as_text(exc))
            else:
                st.session_state["admin_notice"] = (
                    f"New password for {auth.as_text(who)} (their sessions ended):", password)
                st.rerun()

with audit_tab:
    left, right = st.columns(2)
    action = left.text_input("Action", key="admin_audit_action",
                             placeholder="login_failed, upload, rule_save …")
    actor = right.text_input("Who", key="admin_audit_actor")
    log = audit_entries(me, action=action.strip() or None, actor=actor.strip() or None)
    st.dataframe(log, hide_index=True, key="admin_audit")
    st.caption(f"{len(log)} newest entries.")
