"""Rules: browse rule files, edit with live validation, diff, what-if preview, save, history."""

import re

import streamlit as st

from pipeline import i18n
from pipeline.dashboard import frame, loaders
from pipeline.dashboard.auth import as_text
from pipeline.dashboard.formatting import column_config, labels_for, pct
from pipeline.errors import ShelfAuditError
from pipeline.i18n import N_, _, ngettext
from pipeline.queries import rule_edits, rule_files, what_if

TEXT = "rules_text"
FILE = "rules_file"
LOADED = "rules_loaded"  # which file (and saved text) the editor holds
KINDS = {rule_files.RULE_SET: N_("rule set"), rule_files.STORES: N_("stores"),
         rule_files.CATALOG: N_("catalog"), rule_files.PLANOGRAM: N_("planogram")}

st.title(_("Rules"))
scope = frame.scope()
files = rule_files.rule_files()
names = [f.name for f in files]
kinds = {f.name: f.kind for f in files}


def _load(name: str) -> None:
    text = rule_files.read_text(name)
    st.session_state[TEXT] = text
    st.session_state[LOADED] = (name, text)
    st.session_state.pop("rules_whatif_result", None)


def _opened() -> None:
    _load(st.session_state[FILE])


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


def _what_if(name: str, text: str) -> None:
    if st.button(_("Preview on last week's photos"), key="rules_whatif",
                 help=_("Re-judge the stored detections of the cameras this file reaches")):
        with st.spinner(_("Re-judging last week's photos…")):
            try:
                st.session_state["rules_whatif_result"] = (
                    text, what_if.what_if(name, text, frame.scope(), frame.week()))
            except ShelfAuditError as exc:
                st.error(str(exc))
    found = st.session_state.get("rules_whatif_result")
    if not found or found[0] != text:
        return
    result = found[1]
    cols = st.columns(3)
    cols[0].metric(_("Violations that appear"), result.appear, delta_color="inverse",
                   border=True)
    cols[1].metric(_("Violations that disappear"), result.disappear, border=True)
    cols[2].metric(_("Compliance"), pct(result.compliance_after),
                   None if result.compliance_before is None or result.compliance_after is None
                   else i18n.points(result.compliance_after - result.compliance_before),
                   border=True)
    photos = ngettext("{n} photo", "{n} photos", result.photos).format(n=result.photos)
    cameras = ngettext("{n} camera", "{n} cameras", len(result.cameras)).format(
        n=len(result.cameras))
    st.caption(_("{photos} of week {week} from {cameras}").format(
        photos=photos, week=result.week or "—", cameras=cameras)
        + (" " + _("(newest photos only)") if result.sampled else ""))
    changed = result.by_rule[(result.by_rule["appear"] + result.by_rule["disappear"]) > 0]
    table = changed if not changed.empty else result.by_rule
    st.dataframe(table, hide_index=True, column_config=column_config(table.columns))


def _save(name: str, text: str, errors: list, saved: str) -> None:
    comment = st.text_input(_("Comment"), key="rules_comment",
                            max_chars=rule_edits.MAX_COMMENT,
                            placeholder=_("what changed and why"))
    st.caption(_("The version is recorded under your name ({user}).").format(
        user=as_text(scope.user)))
    may = scope.can_edit()
    if st.button(_("Save as new version"), key="rules_save", type="primary",
                 disabled=bool(errors) or text == saved or not may,
                 help=None if may else _("your role may not change rules")):
        try:
            result = rule_edits.save_text(name, text, scope, comment)
        except ShelfAuditError as exc:
            st.error(str(exc))
            return
        loaders.refresh()
        st.session_state["rules_reload"] = True
        st.session_state["rules_notice"] = (
            _("Saved {file} as version #{id}.") if result.new_version else
            _("{file} is back to version #{id}.")).format(file=name, id=result.version_id)
        st.rerun()


def _history(name: str) -> None:
    hist = loaders.load(rule_edits.history, name, scope)
    if hist.empty:
        st.caption(_("No saved versions yet (the first save records the text it replaces)."))
        return
    st.dataframe(hist, hide_index=True, key="rules_history_table",
                 column_config=column_config(hist.columns))
    ids = [int(i) for i in hist["id"]]
    c1, c2 = st.columns([2, 1])
    pick = c1.selectbox(_("Version"), ids, key="rules_version",
                        format_func=labels_for(ids, lambda i: f"#{i}" + (
                            " " + _("(in force)") if bool(hist.set_index("id").loc[i, "in_force"])
                            else "")))
    with st.expander(_("Text of version #{id}").format(id=pick)):
        st.code(rule_edits.version_text(name, pick), language="yaml", line_numbers=True)
    if c2.button(_("Roll back to this version"), key="rules_rollback",
                 disabled=not scope.can_edit()):
        try:
            result = rule_edits.rollback(name, pick, scope)
        except ShelfAuditError as exc:
            st.error(str(exc))
            return
        loaders.refresh()
        st.session_state["rules_reload"] = True
        st.session_state["rules_notice"] = _("{file} is back to version #{id}.").format(
            file=name, id=result.version_id)
        st.rerun()


if not names:
    st.info(_("The rules folder has no YAML files."))
else:
    if st.session_state.get(FILE) not in names:
        st.session_state[FILE] = names[0]
    name = st.selectbox(_("Rule file"), names, key=FILE, on_change=_opened,
                        format_func=labels_for(names, lambda n: f"{n}  ·  "
                                               + _(KINDS.get(kinds[n], kinds[n]))))
    # Streamlit forgets a widget's value when its page is left: reload the text then too.
    if st.session_state.pop("rules_reload", False) or TEXT not in st.session_state or \
            st.session_state.get(LOADED, (None,))[0] != name:
        _load(name)
    notice = st.session_state.pop("rules_notice", None)
    if notice:
        st.success(notice)
    saved = st.session_state[LOADED][1]
    left, right = st.columns([3, 2])
    with left:
        text = st.text_area("YAML", key=TEXT, height=520, label_visibility="collapsed")
        st.caption(_("Press Ctrl+Enter (or click outside) to check the text."))
    with right:
        errors = _problems(name, text)
        change = rule_files.diff(saved, text, name)
        with st.expander(_("Changes against the saved file"), expanded=bool(change)):
            st.code(change or _("no changes"), language="diff")
        if not errors and change:
            _what_if(name, text)
    _save(name, text, errors, saved)
    st.subheader(_("History"))
    _history(name)
