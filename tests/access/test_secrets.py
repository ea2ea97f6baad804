"""Secrets come only from the environment or .streamlit/secrets.toml, which git ignores."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _tracked() -> list[str]:
    done = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                          check=True)
    return done.stdout.splitlines()


def test_secrets_file_is_ignored_and_not_tracked():
    ignored = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=REPO)
    assert ignored.returncode == 0
    assert not [f for f in _tracked() if f.endswith("secrets.toml")]


def test_no_credentials_in_tracked_text_files():
    pattern = re.compile(r"""(?<!\w)(client_secret|cookie_secret|password)\s*=\s*["'][^"'{<]{8,}["']""",
                         re.IGNORECASE)
    found = []
    for name in _tracked():
        path = REPO / name
        if path.suffix not in {".py", ".toml", ".yaml", ".yml", ".md", ".cfg", ".ini", ".env"}:
            continue
        if name.startswith("tests/"):
            continue  # test fixtures use throw-away passwords on throw-away databases
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{name}: {m.group(0)[:40]}" for m in pattern.finditer(text)]
    assert found == []
