"""The edge context: settings, catalog and sites read once per edge — a CLI command, a scheduled
job, the dashboard — and passed down (issue #17 item 6)."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest
from typer.testing import CliRunner

from pipeline.context import edge_context
from pipeline.settings import Settings, get_settings
from tests.conftest import REPO
from tests.factories.reads import count_reads


@pytest.fixture
def reads(monkeypatch) -> Counter:
    return count_reads(monkeypatch)


def test_the_context_reads_each_file_once_and_only_when_asked(tmp_path, reads):
    from pipeline import db

    db.upgrade()  # the sites keep stores.yaml's versions
    folder = tmp_path / "rules"
    shutil.copytree(REPO / "rules", folder)
    context = edge_context(Settings(rules=folder, home=tmp_path / "home"))
    assert reads == Counter()  # nothing read until a part is asked for
    assert context.catalog is context.catalog and context.sites is context.sites
    assert reads == Counter(load_catalog=1, load_sites=1)
    assert {s.id for s in context.sites.stores} >= {"s001", "s002"}
    assert context.catalog.skus
    db.dispose_engines()


def test_the_context_takes_the_settings_it_is_given(tmp_path):
    given = Settings(rules=tmp_path, home=tmp_path / "home")
    assert edge_context(given).settings is given
    assert edge_context().settings is get_settings()  # the edge's default: the process's


def test_a_broken_catalog_is_an_error_each_time_it_is_asked_for(tmp_path):
    from pipeline.yamldoc import YamlFileError

    (tmp_path / "catalog.yaml").write_text("skus: [ {id: x\n", encoding="utf-8")
    context = edge_context(Settings(rules=tmp_path, home=tmp_path / "home"))
    for _attempt in range(2):
        with pytest.raises(YamlFileError, match="catalog.yaml"):
            _ = context.catalog


def test_run_once_reads_the_catalog_and_sites_once(reads, monkeypatch):
    """One command, three stores: the catalog and stores.yaml are each read once (the rules of
    every store are built with the command's catalog)."""
    from pipeline.cli import app
    from tests.factories.sites import drop_photos

    drop_photos(get_settings().home_dir, "s002", "c03", 2)
    result = CliRunner().invoke(app, ["run-once", "--inspector", "fake", "--json"])
    assert result.exit_code == 0, result.output
    assert '"inspected": 2' in result.output
    assert reads == Counter(load_catalog=1, load_sites=1)


def test_a_scheduled_inspection_reads_the_catalog_and_sites_once(reads, monkeypatch):
    from pipeline import db
    from pipeline.db import tables
    from pipeline.schedule import scheduler
    from tests.factories.sites import drop_photos

    db.upgrade()
    monkeypatch.setenv("SHELFAUDIT_INSPECTOR", "fake")
    drop_photos(get_settings().home_dir, "s002", "c03", 2)
    scheduler.scheduled_inspection("s002")
    with db.session_scope() as session:
        run = session.query(tables.JobRun).one()
        assert (run.status, run.counts["inspected"]) == (tables.OK, 2)
    assert reads == Counter(load_catalog=1, load_sites=1)
    db.dispose_engines()



def test_the_demo_reads_the_catalog_and_sites_once(reads):
    """Render, inspect every store and report: one read of each file for the whole build
    (before: the catalog once to render and once per store inspected). The names in the
    report files come from the display names' own cache (per process, re-read when
    catalog.yaml changes), which is not the edge's."""
    from pipeline import db
    from pipeline.demo.build import DemoOptions, build_demo

    db.upgrade()
    summary = build_demo(DemoOptions(weeks=1, inspector="truth", width=480, progress=False),
                         edge_context())
    assert summary["inspections"] > 0 and summary["stores"] >= 2
    edge = [c.split(" from ")[0] for c in reads.callers if "_default_names" not in c]
    assert Counter(edge) == Counter(load_catalog=1, load_sites=1), "\n".join(reads.callers)
    db.dispose_engines()
