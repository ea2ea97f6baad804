"""First start: while the demo history is built in the background, Overview shows how far it
has got; a build that died says so."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.db import tables
from pipeline.demo import progress as demo_progress


def progress_texts(at) -> list[str]:
    return [e.proto.text for e in at.get("progress")]


def test_overview_shows_the_demo_build_while_it_runs(empty_db, app):
    tracker = demo_progress.DemoTracker()  # this process builds it: alive
    tracker.start("inspect", 672)
    tracker.advance(120)
    tracker._write(force=True)
    at = app("pages/overview.py")
    assert not at.exception
    assert any("Building the demo history" in i.value for i in at.info)
    assert not any("No inspections yet" in i.value for i in at.info)
    assert progress_texts(at) == ["Step 3 of 4: inspecting the photos — 120 of 672"]
    tracker.finish(tables.OK)
    at.run()
    assert progress_texts(at) == [] and not at.exception


def test_overview_in_chinese_shows_the_build_in_chinese(empty_db, app):
    tracker = demo_progress.DemoTracker()
    tracker.start("render", 672)
    at = app("pages/overview.py")
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    (text,) = progress_texts(at)
    assert "672" in text and "Step" not in text


def test_a_build_that_died_says_so_and_how_to_try_again(empty_db, app):
    from pipeline.db import session_scope

    tracker = demo_progress.DemoTracker()
    tracker.start("render", 672)
    with session_scope() as s:  # its process is gone
        s.get(tables.JobRun, tracker.run_id).pid = 2 ** 22 + 1
    assert demo_progress.latest().status == "interrupted"
    at = app("pages/overview.py")
    assert not at.exception and progress_texts(at) == []
    assert any("could not be built" in w.value and "shelfaudit demo --force" in w.value
               for w in at.warning)


@pytest.mark.parametrize(("step", "done", "total", "fraction"), [
    ("prepare", 0, 0, 0.0), ("render", 0, 672, 0.25), ("render", 336, 672, 0.375),
    ("inspect", 672, 672, 0.75), ("reports", 24, 24, 1.0)])
def test_the_bar_covers_the_four_steps(step, done, total, fraction):
    from datetime import datetime

    status = demo_progress.DemoStatus("running", step, done, total, datetime(2026, 1, 1))
    assert status.fraction == pytest.approx(fraction)


def test_build_demo_keeps_its_progress_row(empty_db):
    from pipeline.demo.build import DemoOptions, build_demo
    from pipeline.sites import load_sites

    store = load_sites().stores[0]
    one = store.__class__(id=store.id, name=store.name, timezone=store.timezone,
                          cameras=dict(list(store.cameras.items())[:1]))
    build_demo(DemoOptions(weeks=1, inspector="truth", width=640, progress=False,
                           stores=[one], today=date(2026, 11, 25)))
    status = demo_progress.latest()
    assert (status.status, status.step, status.done, status.total) == ("ok", "reports", 1, 1)


def test_serve_makes_the_row_first_and_the_build_takes_it_over(empty_db, app):
    from pipeline.db import session_scope

    run_id = demo_progress.begin()
    at = app("pages/overview.py")
    assert progress_texts(at) == ["Step 1 of 4: getting ready"]
    with session_scope() as s:  # the build's process takes the row over
        s.get(tables.JobRun, run_id).pid = 2 ** 22 + 1
    tracker = demo_progress.DemoTracker(run_id=run_id)
    assert tracker.run_id == run_id and demo_progress.latest().running
    demo_progress.fail_if_running(run_id, "exit code 2")
    assert (demo_progress.latest().status, demo_progress.latest().message) == \
        ("error", "exit code 2")
