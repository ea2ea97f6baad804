"""The demo history's build, shown on Overview while ``make run`` makes it in the background.

:func:`show` draws a progress bar that refreshes itself every :data:`REFRESH_S` seconds (a
fragment, so only it re-runs) and, once the build is done, reloads the whole page so the new
weeks appear. When the newest build failed or was interrupted and there is no data yet, it
says so and how to try again.
"""

from __future__ import annotations

import streamlit as st

from pipeline.dashboard import loaders
from pipeline.dashboard.auth import as_text
from pipeline.demo import progress as demo_progress
from pipeline.i18n import N_, _

REFRESH_S = 2
STEP_WORDS = {"prepare": N_("getting ready"), "render": N_("drawing shelf photos"), "inspect": N_("inspecting the photos"),
              "reports": N_("writing the weekly reports")}


def _status() -> demo_progress.DemoStatus | None:
    from pipeline.db import get_engine

    return demo_progress.latest(get_engine(loaders.db_url()))


def _draw(status: demo_progress.DemoStatus) -> None:
    st.info(_("Building the demo history for the first start. The dashboard is ready; the "
              "figures appear here as soon as the history is built."), icon=":material/build:")
    what = _(STEP_WORDS.get(status.step, status.step))
    steps = len(demo_progress.STEPS)
    text = _("Step {step} of {steps}: {what} — {done} of {total}").format(
        step=status.step_number, steps=steps, what=what, done=status.done, total=status.total) \
        if status.total else _("Step {step} of {steps}: {what}").format(
            step=status.step_number, steps=steps, what=what)
    st.progress(status.fraction, text=text)


@st.fragment(run_every=REFRESH_S)
def _live() -> None:
    status = _status()
    if status is None or not status.running:
        loaders.refresh()
        st.rerun(scope="app")
    _draw(status)


def show(have_data: bool) -> bool:
    """Draw the demo build's progress (or its failure, when there is no data); whether a
    build is running now."""
    status = _status()
    if status is None:
        return False
    if status.running:
        _live()
        return True
    if not have_data and status.status in ("error", "interrupted"):
        reason = as_text(status.message) or _("the process ended before it was done")
        st.warning(_("The demo history could not be built ({reason}). Run `shelfaudit demo "
                     "--force` to build it again.").format(reason=reason))
    return False
