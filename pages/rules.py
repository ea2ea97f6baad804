"""Rules: browse rule files, edit with live validation, diff, what-if preview, save, history."""

import re

import streamlit as st

from pipeline.dashboard import frame, loaders
from pipeline.dashboard.auth import as_text
from pipeline.errors import ShelfAuditError
from pipeline.queries import rule_edits, rule_files, what_if

TEXT = "rules_text"
FILE = "rules_file"
LOADED = "rules_loaded"  # which file (and saved text) the editor holds

st.title("Rules")
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
    where = f"line {problem.line}" + (f", col {problem.column}" if problem.column else "") \
        if problem.line else "file"
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
        st.error(f"**{len(errors)} error(s)** — this text cannot be saved:\n\n"
                 + "\n\n".join(_problem_md(p, text) for p in errors))
    else:
        st.success("Valid ✓")
    for p in problems:
        if p.severity != "error":
            st.warning(_problem_md(p, text))
    return errors


def _what_if(name: str, text: str) -> None:
    if st.button("Preview on last week's photos", key="rules_whatif",
                 help="Re-judge the stored detections of the cameras this file reaches"):
        with st.spinner("Re-judging last week's photos…"):
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
    cols[0].metric("Violations that appear", result.appear, delta_color="inverse", border=True)
    cols[1].metric("Violations that disappear", result.disappear, border=True)
    cols[2].metric("Compliance", f"{result.compliance_after or 0:.1f} %",
                   None if result.compliance_before is None or result.compliance_after is None
                   else f"{result.compliance_after - result.compliance_before:+.1f} pts",
                   border=True)
    st.caption(f"{result.photos} photos of week {result.week or '—'} from "
               f"{len(result.cameras)} camera(s)" + (" (newest photos only)" if result.sampled
                                                     else ""))
    changed = result.by_rule[(result.by_rule["appear"] + result.by_rule["disappear"]) > 0]
    st.dataframe(changed if not changed.empty else result.by_rule, hide_index=True)


def _save(name: str, text: str, errors: list, saved: str) -> None:
    comment = st.text_input("Comment", key="rules_comment", max_chars=rule_edits.MAX_COMMENT,
                            placeholder="what changed and why")
    st.caption(f"The version is recorded under your name ({as_text(scope.user)}).")
    may = scope.can_edit()
    if st.button("Save as new version", key="rules_save", type="primary",
                 disabled=bool(errors) or text == saved or not may,
                 help=None if may else "your role may not change rules"):
        try:
            result = rule_edits.save_text(name, text, scope, comment)
        except ShelfAuditError as exc:
            st.error(str(exc))
            return
        loaders.refresh()
        st.session_state["rules_reload"] = True
        st.session_state["rules_notice"] = (f"Saved {name} as version #{result.version_id}."
                                            if result.new_version else
                                            f"{name} is back to version #{result.version_id}.")
        st.rerun()


def _history(name: str) -> None:
    hist = loaders.load(rule_edits.history, name, scope)
    if hist.empty:
        st.caption("No saved versions yet (the first save records the text it replaces).")
        return
    st.dataframe(hist, hide_index=True, key="rules_history_table")
    ids = [int(i) for i in hist["id"]]
    c1, c2 = st.columns([2, 1])
    pick = c1.selectbox("Version", ids, key="rules_version",
                        format_func=lambda i: f"#{i}" + (" (in force)" if bool(
                            hist.set_index("id").loc[i, "in_force"]) else ""))
    with st.expander(f"Text of version #{pick}"):
        st.code(rule_edits.version_text(name, pick), language="yaml", line_numbers=True)
    if c2.button("Roll back to this version", key="rules_rollback",
                 disabled=not scope.can_edit()):
        try:
            result = rule_edits.rollback(name, pick, scope)
        except ShelfAuditError as exc:
            st.error(str(exc))
            return
        loaders.refresh()
        st.session_state["rules_reload"] = True
        st.session_state["rules_notice"] = f"{name} is back to version #{result.version_id}."
        st.rerun()


if not names:
    st.info("The rules folder has no YAML files.")
else:
    if st.session_state.get(FILE) not in names:
        st.session_state[FILE] = names[0]
    name = st.selectbox("Rule file", names, key=FILE, on_change=_opened,
                        format_func=lambda n: f"{n}  ·  {kinds[n]}")
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
        st.caption("Press Ctrl+Enter (or click outside) to check the text.")
    with right:
        errors = _problems(name, text)
        change = rule_files.diff(saved, text, name)
        with st.expander("Changes against the saved file", expanded=bool(change)):
            st.code(change or "no changes", language="diff")
        if not errors and change:
            _what_if(name, text)
    _save(name, text, errors, saved)
    st.subheader("History")
    _history(name)
