"""Rules: browse rule files, edit with live validation, diff, what-if preview, save, history.

A file the user may not save opens read-only, with the reason, before any edit; a supervisor
makes her store's own rule files here (``rules/stores/<id>/``, reaching that store only).
"""

import re

import streamlit as st

from pipeline import i18n
from pipeline.actions import rule_edits
from pipeline.dashboard import frame, loaders
from pipeline.dashboard.auth import as_text
from pipeline.dashboard.formatting import column_config, labels_for, pct
from pipeline.errors import ShelfAuditError
from pipeline.i18n import N_, _, ngettext
from pipeline.queries import rule_files, rule_history, what_if
from pipeline.rules.book import owner_of

TEXT = "rules_text"
FILE = "rules_file"
LOADED = "rules_loaded"  # which file (and saved text) the editor holds
CONFIRM = "rules_confirm_rollback"  # the version a rollback waits to be confirmed for
KINDS = {rule_files.RULE_SET: N_("rule set"), rule_files.STORES: N_("stores"),
         rule_files.CATALOG: N_("catalog"), rule_files.PLANOGRAM: N_("planogram")}

st.title(_("Rules"))
scope = frame.scope()


def _kind(name: str, kind: str) -> str:
    owner = owner_of(name)
    if owner is not None:
        return _("rules of store {store} only").format(store=owner)
    return _(KINDS.get(kind, kind))


def _load(name: str) -> None:
    text = rule_files.read_text(name)
    st.session_state[TEXT] = text
    st.session_state[LOADED] = (name, text)
    st.session_state.pop("rules_whatif_result", None)
    st.session_state.pop(CONFIRM, None)


def _opened() -> None:
    _load(st.session_state[FILE])


def _new_file() -> None:
    """"New rule file for my store": a store's own file, created with an example rule that is
    switched off, then opened in the editor."""
    stores = rule_edits.editable_stores(scope)
    if not stores:
        return
    title = _("New rule file for my store") if not scope.all_stores else \
        _("New rule file for one store")
    with st.expander(title), st.form("rules_new"):
        st.caption(_("Its rules reach this store only and apply after the shared rule files: "
                     "a rule with the `id` of a shared rule replaces it for this store, and "
                     "`enabled: false` switches it off here."))
        store = st.selectbox(_("Store"), stores, key="rules_new_store")
        name = st.text_input(_("File name"), key="rules_new_name", max_chars=64,
                             placeholder="late-deliveries",
                             help=_("Letters, digits, - and _; .yaml is added."))
        if not st.form_submit_button(_("Create the file")):
            return
    try:
        made = rule_edits.create_store_file(store, name, scope)
    except ShelfAuditError as exc:
        st.error(as_text(exc))
        return
    st.session_state[FILE] = made.name
    _written(_("Created {file} (version #{id}). Change the example rule and save.").format(
        file=made.name, id=made.version_id))


def _problem_md(problem, text: str) -> str:
    """``**line 6, col 11:** message`` (as plain text) and the offending line in a code block."""
    where = (_("line {line}, col {column}") if problem.column else _("line {line}")).format(
        line=problem.line, column=problem.column) if problem.line else _("file")
    out = f"**{where}:** {as_text(problem.message)}"
    lines = text.splitlines()
    if 0 < problem.line <= len(lines):
        shown = lines[problem.line - 1]
        fence = "`" * max(3, 1 + max((len(r) for r in re.findall("`+", shown)), default=0))
        out += f"\n{fence}\n{problem.line:>4} | {shown}\n{fence}"
    return out


def _problems(name: str, text: str) -> list:
    problems = rule_files.validate_text(name, text)
    errors = rule_files.errors(problems)
    if errors:
        st.error(ngettext("**{n} error** — this text cannot be saved:",
                          "**{n} errors** — this text cannot be saved:", len(errors))
                 .format(n=len(errors)) + "\n\n"
                 + "\n\n".join(_problem_md(p, text) for p in errors))
    else:
        st.success(_("Valid ✓"))
    for p in problems:
        if p.severity != "error":
            st.warning(_problem_md(p, text))
    return errors


def _what_if_result(result) -> None:
    cameras = ngettext("{n} camera", "{n} cameras", len(result.cameras)).format(
        n=len(result.cameras))
    if not result.photos:
        st.info(_("No photos to compare: the cameras this file reaches ({cameras}) have no "
                  "inspections in the last complete week ({week}).").format(
            cameras=cameras, week=result.week or "—"))
        return
    cols = st.columns(3)
    cols[0].metric(_("Violations that appear"), result.appear, delta_color="inverse",
                   border=True)
    cols[1].metric(_("Violations that disappear"), result.disappear, border=True)
    cols[2].metric(_("Compliance"), pct(result.compliance_after),
                   None if result.compliance_before is None or result.compliance_after is None
                   else i18n.points(result.compliance_after - result.compliance_before),
                   border=True)
    photos = ngettext("{n} photo", "{n} photos", result.photos).format(n=result.photos)
    st.caption(_("{photos} of week {week} from {cameras}").format(
        photos=photos, week=result.week or "—", cameras=cameras)
        + (" " + _("(newest photos only)") if result.sampled else ""))
    changed = result.by_rule[(result.by_rule["appear"] + result.by_rule["disappear"]) > 0]
    table = changed if not changed.empty else result.by_rule
    st.dataframe(table, hide_index=True, column_config=column_config(table.columns))


def _what_if(name: str, text: str) -> None:
    if st.button(_("Preview on the last complete week"), key="rules_whatif",
                 help=_("Re-judge the stored detections of the last complete week (whatever "
                        "week the sidebar shows) from the cameras this file reaches")):
        with st.spinner(_("Re-judging the last complete week's photos…")):
            try:
                st.session_state["rules_whatif_result"] = (
                    text, what_if.what_if(name, text, frame.scope()))
            except ShelfAuditError as exc:
                st.error(as_text(exc))
    found = st.session_state.get("rules_whatif_result")
    if found and found[0] == text:
        _what_if_result(found[1])


def _save(name: str, text: str, errors: list, saved: str) -> None:
    comment = st.text_input(_("Comment"), key="rules_comment",
                            max_chars=rule_edits.MAX_COMMENT,
                            placeholder=_("what changed and why"))
    st.caption(_("The version is recorded under your name ({user}).").format(
        user=as_text(scope.user)))
    if st.button(_("Save as new version"), key="rules_save", type="primary",
                 disabled=bool(errors) or text == saved):
        try:
            result = rule_edits.save_text(name, text, scope, comment)
        except ShelfAuditError as exc:
            st.error(as_text(exc))
            return
        _written((_("Saved {file} as version #{id}.") if result.new_version else
                  _("{file} is back to version #{id}.")).format(file=name, id=result.version_id))


def _written(notice: str) -> None:
    """After a file was written (created, saved, rolled back): cached rules dropped, the
    editor reloaded from disk on the next run, ``notice`` shown there."""
    loaders.refresh()
    st.session_state["rules_reload"] = True
    st.session_state["rules_notice"] = notice
    st.rerun()


def _editor(name: str, saved: str) -> None:
    left, right = st.columns([3, 2])
    with left:
        edit, numbered = st.tabs([_("Edit"), _("With line numbers")])
        with edit:
            text = st.text_area("YAML", key=TEXT, height=520, label_visibility="collapsed")
            st.caption(_("Press Ctrl+Enter (or click outside) to check the text."))
        with numbered:
            st.code(text, language="yaml", line_numbers=True)
    with right:
        errors = _problems(name, text)
        change = rule_files.diff(saved, text, name)
        with st.expander(_("Changes against the saved file"), expanded=bool(change)):
            st.code(change or _("no changes"), language="diff")
        if not errors and change:
            _what_if(name, text)
    _save(name, text, errors, saved)


def _event(row) -> str:
    if row["event"] == "rollback":
        return _("rolled back to #{id}").format(id=row["to_version"])
    return _("saved")


def _rollback(name: str, pick: int) -> None:
    """Roll back only after the user confirms; the rollback is a row of the history."""
    if st.session_state.get(CONFIRM) != pick:
        if st.button(_("Roll back to this version"), key="rules_rollback"):
            st.session_state[CONFIRM] = pick
            st.rerun()
        return
    st.warning(_("Put version #{id} of {file} back in force? It replaces the text in force "
                 "now for every camera the file reaches (recorded in the history).").format(
        id=pick, file=name))
    yes, no = st.columns(2)
    if no.button(_("Cancel"), key="rules_rollback_cancel"):
        st.session_state.pop(CONFIRM, None)
        st.rerun()
    if yes.button(_("Yes, roll back"), key="rules_rollback_confirm", type="primary"):
        st.session_state.pop(CONFIRM, None)
        try:
            result = rule_edits.rollback(name, pick, scope)
        except ShelfAuditError as exc:
            st.error(as_text(exc))
            return
        _written(_("{file} is back to version #{id}.").format(file=name, id=result.version_id))


def _history(name: str, may_edit: bool) -> None:
    hist = loaders.load(rule_history.history, name, scope)
    if hist.empty:
        st.caption(_("No saved versions yet (the first save records the text it replaces)."))
        return
    shown = hist.assign(event=[_event(r) for _, r in hist.iterrows()]).drop(
        columns="to_version")
    st.dataframe(shown, hide_index=True, key="rules_history_table",
                 column_config=column_config(shown.columns, event=st.column_config.Column(
                     _("What")), id=st.column_config.NumberColumn(_("Version"), format="%d")))
    versions = hist[hist["event"] == "saved"]
    ids = [int(i) for i in versions["id"]]
    in_force = dict(zip(ids, versions["in_force"], strict=True))
    # keyed by the versions it offers: a picker whose options change under the same key
    # keeps showing the old labels in the browser
    pick = st.selectbox(_("Version"), ids, key=f"rules_version_{len(ids)}_{ids[0]}",
                        format_func=labels_for(ids, lambda i: f"#{i}" + (
                            " " + _("(in force)") if bool(in_force[i]) else "")))
    with st.expander(_("Text of version #{id}").format(id=pick)):
        st.code(rule_history.version_text(name, pick), language="yaml", line_numbers=True)
    if may_edit:
        _rollback(name, pick)


files = [f for f in rule_files.rule_files()  # other stores' own files are theirs
         if owner_of(f.name) is None or scope.allows(owner_of(f.name))]
names = [f.name for f in files]
kinds = {f.name: f.kind for f in files}
_new_file()
if not names:
    st.info(_("The rules folder has no YAML files."))
else:
    if st.session_state.get(FILE) not in names:
        st.session_state[FILE] = names[0]
    name = st.selectbox(_("Rule file"), names, key=FILE, on_change=_opened,
                        format_func=labels_for(names, lambda n: f"{n}  ·  "
                                               + _kind(n, kinds[n])))
    # Streamlit forgets a widget's value when its page is left: reload the text then too.
    if st.session_state.pop("rules_reload", False) or TEXT not in st.session_state or \
            st.session_state.get(LOADED, (None,))[0] != name:
        _load(name)
    notice = st.session_state.pop("rules_notice", None)
    if notice:
        st.success(notice)
    saved = st.session_state[LOADED][1]
    reason = rule_edits.read_only_reason(scope, name)
    if reason:
        st.info(_("Read only — {reason}.").format(reason=as_text(reason)),
                icon=":material/lock:")
        st.code(saved, language="yaml", line_numbers=True)
    else:
        _editor(name, saved)
    st.subheader(_("History"))
    _history(name, reason is None)
