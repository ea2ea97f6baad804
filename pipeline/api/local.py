"""A real API server in a child process on a free 127.0.0.1 port (tests and the benchmark)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from pipeline.errors import ShelfAuditError


@dataclass(frozen=True)
class LocalServer:
    """A running server: its base URL and process id."""

    url: str
    pid: int

    def cpu_seconds(self) -> float | None:
        """CPU time the server process has used so far (Linux ``/proc``; else ``None``)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(health_url: str, process: subprocess.Popen, log: Path, timeout_s: float,
               what: str, answers: tuple[int, ...] = (200,), every_s: float = 0.2) -> None:
    """Wait until ``health_url`` answers with one of ``answers``; a server that exits or
    stays silent for ``timeout_s`` is an error naming ``what``, with its log's end."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if process.poll() is not None:
            raise ShelfAuditError(f"{what} exited with code {process.returncode}: "
                                  f"{log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(health_url, timeout=2).status_code in answers:
                return
        except httpx.HTTPError:
            pass
        time.sleep(every_s)
    raise ShelfAuditError(f"{what} did not answer within {timeout_s:.0f} s: "
                          f"{log.read_text(errors='replace')[-2000:]}")


@contextmanager
def api_server(home: Path, *, inspector: str = "fake", env: Mapping[str, str] | None = None,
               preload: bool = False, timeout_s: float = 120) -> Iterator[LocalServer]:
    """``shelfaudit api`` on a free port with ``SHELFAUDIT_HOME=home``; yields the running
    server (base URL, pid) and stops it (SIGTERM, then SIGKILL) on the way out. Its log is ``home/api.log``."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = home / "api.log"
    command = [sys.executable, "-m", "pipeline.cli", "api", "--host", "127.0.0.1",
               "--port", str(port), "--inspector", inspector]
    if preload:
        command.append("--preload")
    child_env = {**os.environ, "SHELFAUDIT_HOME": str(home), **(env or {})}
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=child_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_ready(f"{url}/v1/health", process, log, timeout_s, "the API server",
                   answers=(200, 503))
        yield LocalServer(url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
