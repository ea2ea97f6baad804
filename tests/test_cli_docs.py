"""The CLI reference in docs/CLI.md is generated from --help; every command answers --help."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pipeline import clidocs
from pipeline.cli import app

from .conftest import REPO

PATHS = clidocs.command_paths()


def test_cli_reference_is_current():
    expected = clidocs.render()
    actual = (REPO / "docs" / "CLI.md").read_text(encoding="utf-8")
    assert actual == expected, "regenerate: python -m pipeline.clidocs > docs/CLI.md"


def test_design_commands_exist():
    names = {" ".join(p) for p in PATHS}
    for required in ["synth", "inspect", "check", "eval", "bench", "train", "rules validate",
                     "rules schema", "run-once", "scheduler", "report", "demo", "users"]:
        assert required in names


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "shelfaudit")
def test_every_command_has_help(path):
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_readme_mentions_every_top_level_command():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for path in PATHS:
        if len(path) == 1 and path[0] != "version":
            assert f"shelfaudit {path[0]}" in readme, f"README lacks `shelfaudit {path[0]}`"
