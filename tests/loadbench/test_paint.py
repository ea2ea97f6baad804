"""``shelfaudit bench pages`` end to end, briefly: its own dashboard (``server.py``) on the
small store history and headless Chromium opening two pages by URL and by sidebar link.

What is asserted is that the harness does what it reports — it signs in, each page's heading
is seen and its run finishes, the times are in the order the browser lives them — never how
fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.loadbench.paint import CHROMIUM

pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing")]


@pytest.fixture
def small_home(tmp_path):
    from pipeline.loadbench import servers
    from tests.factories.demo_db import build_small_db

    home = tmp_path / "bench" / "home"
    with servers.home_env(home):
        build_small_db(home)
    return home


def test_two_pages_open_by_url_and_by_link_with_their_times(small_home):
    result = CliRunner().invoke(app, ["bench", "pages", "--home", str(small_home), "--pages",
                                      "overview,inspections", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{"):])
    assert set(report["pages"]) == {"overview", "inspections"}
    assert report["pages"]["inspections"]["load"]["heading"] == "Inspections"
    for row in report["pages"].values():
        load, click = row["load"], row["switch"]
        assert load["error"] is None and click["error"] is None, row
        assert 0 < load["response"] <= load["dom_ready"] <= load["ready"]
        assert 0 < load["fcp"] <= load["ready"] and 0 < load["shown"] <= load["ready"]
        assert 0 < click["shown"] <= click["ready"]
        assert row["met"] == (max(load["ready"], click["ready"]) < 1.5)
    assert report["sign_in_s"] > 0
    assert report["tracebacks_in_log"] == 0
    assert report["met"]["no_errors"] is True
    assert len(report["machine"]["load_avg_before"]) == 3


def test_a_home_whose_photos_are_gone_is_not_taken_as_built(small_home):
    from sqlalchemy import select

    from pipeline.db import session_scope, tables
    from pipeline.loadbench import servers

    assert servers._photos_there(small_home)
    with servers.home_env(small_home), session_scope() as session:
        newest = session.scalar(select(tables.Photo.path).order_by(tables.Photo.id.desc()))
    Path(newest).unlink()
    assert not servers._photos_there(small_home)
    assert not servers._photos_there(small_home.parent / "nowhere")
