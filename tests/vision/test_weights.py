"""``shelfaudit models pull|list`` against a real HTTP server on 127.0.0.1 (no other network).

The test registry points at a local ``http.server`` serving copies of the starter detector and
recognizer; the real download code runs end to end.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import socket
import sys
import threading
import urllib.error
from functools import partial
from pathlib import Path

import pytest
import yaml

from pipeline.settings import REPO_ROOT, STARTER_MODELS_DIR, get_settings
from pipeline.vision import weights
from pipeline.vision.weights_registry import load_registry

STARTER_DETECTOR = STARTER_MODELS_DIR / "detector.pt"
STARTER_RECOGNIZER = STARTER_MODELS_DIR / "recognizer"
pytestmark = pytest.mark.skipif(not STARTER_DETECTOR.exists(), reason="no starter models")


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the folder; ``/short/NAME`` promises more bytes than it sends (a cut transfer)."""

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path.startswith("/short/"):
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def served(tmp_path):
    """A running server on 127.0.0.1 with weights/det.pt and clip/* (the starter's files)."""
    root = tmp_path / "served"
    (root / "weights").mkdir(parents=True)
    shutil.copy(STARTER_DETECTOR, root / "weights" / "det.pt")
    shutil.copytree(STARTER_RECOGNIZER, root / "clip")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_registry(path: Path, base: str, clip_pin: str | None = None) -> Path:
    clip_files = [{"path": "model.safetensors", "primary": True,
                   "sha256": clip_pin or sha(STARTER_RECOGNIZER / "model.safetensors")}]
    clip_files += sorted(p.name for p in STARTER_RECOGNIZER.iterdir()
                         if p.name != "model.safetensors")
    doc = {"models": [
        {"name": "test-detector", "role": "detector", "title": "starter copy",
         "source": f"{base}/card", "licence": "test", "base_url": base,
         "files": ["weights/det.pt"]},
        {"name": "test-clip", "role": "recognizer", "title": "starter CLIP copy",
         "source": f"{base}/card", "licence": "test", "base_url": f"{base}/clip",
         "files": clip_files},
        {"name": "test-short", "role": "detector", "title": "cut short", "source": base,
         "licence": "test", "base_url": f"{base}/short", "files": ["det.pt"]},
    ]}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def run_cli(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    from pipeline import cli

    monkeypatch.setattr(sys, "argv", ["shelfaudit", *map(str, args)])
    with pytest.raises(SystemExit) as done:
        cli.main()
    out = capsys.readouterr()
    get_settings.cache_clear()
    return int(done.value.code or 0), out.out, out.err


def home_models() -> Path:
    return get_settings().home_dir / "models"


def leftovers() -> list[str]:
    """Staging folders or temporary files left in the models folder (there must be none)."""
    return [p.name for p in home_models().rglob("*") if ".partial" in p.name
            or p.name.endswith(".tmp")]


def test_pull_writes_models_yaml_keeps_comments_and_records_the_hash(
        served, tmp_path, monkeypatch, capsys):
    root, base = served
    registry = write_registry(tmp_path / "registry.yaml", base)
    settings_file = get_settings().home_dir / "models.yaml"
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text("# our shop's models\nimgsz: 320  # keep me\n", encoding="utf-8")

    code, out, err = run_cli(monkeypatch, capsys, "models", "pull", "test-detector",
                             "--registry", registry, "--json")

    assert code == 0, err
    result = json.loads(out)
    target = home_models() / "test-detector" / "det.pt"
    assert result["path"] == str(target) and sha(target) == sha(STARTER_DETECTOR)
    assert result["smoke"]["ok"] and result["smoke"]["per_photo_ms"] > 0
    assert result["smoke"]["imgsz"] == 320  # the smoke test runs with the settings in force
    text = settings_file.read_text(encoding="utf-8")
    assert "# our shop's models" in text and "# keep me" in text
    assert yaml.safe_load(text) == {"imgsz": 320, "detector": str(target)}
    record = json.loads((home_models() / "pulled.json").read_text())["models"]["test-detector"]
    assert record["files"]["det.pt"] == {"sha256": sha(STARTER_DETECTOR),
                                         "bytes": STARTER_DETECTOR.stat().st_size,
                                         "pinned_by": "first download",
                                         "from": f"{base}/weights/det.pt"}
    assert any("shelfaudit inspect" in step for step in result["next"])
    assert leftovers() == []


def test_pull_a_recognizer_folder_and_list_where_each_model_came_from(
        served, tmp_path, monkeypatch, capsys):
    _, base = served
    registry = write_registry(tmp_path / "registry.yaml", base)
    code, _, err = run_cli(monkeypatch, capsys, "models", "pull", "test-clip",
                           "--registry", registry)
    assert code == 0, err

    code, out, err = run_cli(monkeypatch, capsys, "models", "list", "--json",
                             "--registry", registry)

    assert code == 0, err
    listing = json.loads(out)
    rows = {row["role"]: row for row in listing["configured"]}
    clip = rows["recognizer"]
    assert clip["source"] == "registry" and clip["registry_name"] == "test-clip"
    assert clip["url"] == f"{base}/clip/model.safetensors"
    assert clip["sha256"] == sha(STARTER_RECOGNIZER / "model.safetensors")
    assert clip["figures"]["embed_dim"] > 0 and clip["figures"]["device"] == "cpu"
    assert rows["detector"]["source"] == "starter" and rows["embedder"]["source"] == "none"
    assert {a["name"] for a in listing["available"]} == {"test-detector", "test-clip",
                                                         "test-short"}
    record = weights.load_records()["test-clip"]["files"]
    assert record["model.safetensors"]["pinned_by"] == "registry"
    assert record["config.json"]["pinned_by"] == "first download"


def test_a_changed_file_fails_the_recorded_hash_and_changes_nothing(
        served, tmp_path, monkeypatch, capsys):
    root, base = served
    registry = write_registry(tmp_path / "registry.yaml", base)
    assert run_cli(monkeypatch, capsys, "models", "pull", "test-detector", "--registry",
                   registry, "--no-smoke")[0] == 0
    target = home_models() / "test-detector" / "det.pt"
    before, record_before = sha(target), weights.load_records()
    with (root / "weights" / "det.pt").open("ab") as fh:
        fh.write(b"replaced upstream")

    code, out, err = run_cli(monkeypatch, capsys, "models", "pull", "test-detector",
                             "--registry", registry, "--no-smoke", "--force")

    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "recorded at its first download" in err
    assert "nothing was changed" in err and "Traceback" not in err
    assert sha(target) == before and weights.load_records() == record_before
    assert leftovers() == []
    # the way to accept a deliberate change: pin the new hash on the command line
    new = sha(root / "weights" / "det.pt")
    code, _, err = run_cli(monkeypatch, capsys, "models", "pull", "test-detector", "--registry",
                           registry, "--no-smoke", "--force", "--sha256", new)
    assert code == 0, err
    assert sha(target) == new
    assert weights.load_records()["test-detector"]["files"]["det.pt"]["pinned_by"] == "--sha256"


@pytest.mark.parametrize("name, args, message", [
    ("test-detector", ["--sha256", "0" * 64], "given with --sha256"),
    ("test-clip", ["--sha256", f"config.json={'1' * 64}"], "given with --sha256"),
    ("test-short", [], "stopped after 10 of 100000 bytes"),
])
def test_a_download_that_does_not_verify_leaves_nothing(
        served, tmp_path, monkeypatch, capsys, name, args, message):
    _, base = served
    registry = write_registry(tmp_path / "registry.yaml", base)

    code, _, err = run_cli(monkeypatch, capsys, "models", "pull", name, "--registry",
                           registry, "--no-smoke", *args)

    assert code == 1 and message in err and err.count("\n") == 1
    assert not (home_models() / name).exists() and leftovers() == []
    assert not (get_settings().home_dir / "models.yaml").exists()


def test_a_registry_pin_that_does_not_match_is_refused(served, tmp_path, monkeypatch, capsys):
    _, base = served
    registry = write_registry(tmp_path / "registry.yaml", base, clip_pin="2" * 64)
    code, _, err = run_cli(monkeypatch, capsys, "models", "pull", "test-clip", "--registry",
                           registry, "--no-smoke")
    assert code == 1 and "the registry's 2222" in err
    assert not (home_models() / "test-clip").exists()


def test_pull_from_a_mirror_folder_without_network(served, tmp_path, monkeypatch, capsys):
    root, _ = served
    registry = write_registry(tmp_path / "registry.yaml", closed_port_url())
    mirror = tmp_path / "usb"
    mirror.mkdir()
    shutil.copy(root / "weights" / "det.pt", mirror / "det.pt")

    code, out, err = run_cli(monkeypatch, capsys, "models", "pull", "test-detector",
                             "--registry", registry, "--from", mirror, "--no-smoke", "--json")

    assert code == 0, err
    assert json.loads(out)["files"][0]["origin"] == str(mirror / "det.pt")
    assert sha(home_models() / "test-detector" / "det.pt") == sha(STARTER_DETECTOR)
    # a second pull finds the verified files here and copies nothing (no source needed)
    code, out, err = run_cli(monkeypatch, capsys, "models", "pull", "test-detector",
                             "--registry", registry, "--no-smoke", "--json")
    assert code == 0, err
    assert json.loads(out)["files"][0]["reused"] is True
    assert weights.load_records()["test-detector"]["files"]["det.pt"]["from"] == str(
        mirror / "det.pt")


def test_server_down_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    url = closed_port_url()
    registry = write_registry(tmp_path / "registry.yaml", url)

    code, out, err = run_cli(monkeypatch, capsys, "models", "pull", "test-detector",
                             "--registry", registry)

    host = url.removeprefix("http://")
    assert code == 2 and out == ""
    assert err == (f"error: cannot reach {host}: connection refused; copy the files with "
                   "--from DIR\n")
    assert leftovers() == []


@pytest.mark.parametrize("args, message", [
    (["models", "pull", "no-such-model"], "no model 'no-such-model' in the registry"),
    (["models", "pull", "yolo11s-sku110k", "--sha256", "abc"], "not a sha256"),
    (["models", "pull", "yolo11s-sku110k", "--from", "/no/such/folder"], "no such folder"),
    (["models", "pull", "yolo11s-sku110k", "--sha256", f"x.bin={'0' * 64}"], "no such file"),
])
def test_input_errors_exit_2(monkeypatch, capsys, args, message):
    code, _, err = run_cli(monkeypatch, capsys, *args)
    assert code == 2 and message in err and err.count("\n") == 1


def test_offline_reasons_are_named():
    dns = urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))
    assert str(weights._offline("https://huggingface.co/x", dns)) == (
        "cannot reach huggingface.co: name not resolved (no DNS); copy the files with --from DIR")
    timeout = urllib.error.URLError(TimeoutError("timed out"))
    assert "cannot reach h:81: timed out" in str(weights._offline("http://h:81/x", timeout))


def test_progress_is_reported_while_streaming(served, tmp_path):
    _, base = served
    registry = load_registry(write_registry(tmp_path / "r.yaml", base))
    seen = []
    options = weights.PullOptions(on_progress=lambda name, done, total: seen.append(
        (name, done, total)))
    weights.pull(registry["test-detector"], options)
    size = STARTER_DETECTOR.stat().st_size
    assert seen[-1] == ("det.pt", size, size)


def test_builtin_registry_entries_are_pinned_licensed_and_documented():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Real weights in one command", 1)[-1].split("\n## ", 1)[0]
    registry = load_registry()
    assert {e.role for e in registry.values()} >= {"detector", "recognizer"}
    for entry in registry.values():
        assert entry.base_url.startswith("https://") and entry.source.startswith("https://")
        assert entry.primary.sha256 and entry.licence
        assert f"`{entry.name}`" in section, f"README lacks {entry.name}"
        assert entry.source in section
