"""A local Ray cluster for tests: ``ray start --head`` on 127.0.0.1 with 2 CPUs, stopped after.

Started in a session of its own so that stopping it kills exactly its processes (``ray stop``
would stop every Ray cluster on the machine).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.api.local import free_port


@dataclass
class RayCluster:
    address: str
    process: subprocess.Popen
    temp_dir: str

    def processes(self) -> list[int]:
        """Process ids in the cluster's session (the head's processes and its workers)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[3]) == self.process.pid:  # its session
                found.append(int(entry.name))
        return found

    def stop(self, timeout_s: float = 20) -> None:
        """Kill the cluster's processes (only those of its session) and wait for them."""
        end = time.monotonic() + timeout_s
        while True:
            alive = self.processes()
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if self.process.poll() is None:
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            if not alive or time.monotonic() > end:
                break
            time.sleep(0.2)
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def start_ray_cluster(num_cpus: int = 2, timeout_s: float = 120) -> RayCluster:
    """Start a head node and wait until a driver can connect; raises ``RuntimeError``."""
    ray_bin = Path(sys.executable).parent / "ray"
    if not ray_bin.exists():
        raise RuntimeError("Ray is not installed (pip install 'shelfaudit[ray]')")
    port = free_port()
    temp_dir = tempfile.mkdtemp(prefix="shelfaudit-ray-", dir="/tmp")
    log = open(os.path.join(temp_dir, "start.log"), "w")  # noqa: SIM115 - lives with the cluster
    command = [str(ray_bin), "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
               "--port", str(port), "--num-cpus", str(num_cpus), "--num-gpus", "0",
               "--include-dashboard=false", "--dashboard-port", str(free_port()),
               "--disable-usage-stats",
               "--temp-dir", temp_dir]
    # bound to 127.0.0.1 and thrown away: no token (a ~/.ray/auth_token left by a local
    # ray.init elsewhere would otherwise switch the head to token mode but not the driver)
    os.environ["RAY_AUTH_MODE"] = "disabled"  # this process is the driver
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                               start_new_session=True)
    cluster = RayCluster(f"127.0.0.1:{port}", process, temp_dir)
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if process.poll() is not None:
            tail = Path(log.name).read_text(errors="replace")[-600:]
            cluster.stop()
            raise RuntimeError(f"ray start exited ({process.returncode}): {tail}")
        if _listening(port) and list(Path(temp_dir).glob("session_*/sockets/raylet*")):
            return cluster
        time.sleep(0.5)
    cluster.stop()
    raise RuntimeError(f"the Ray head did not come up in {timeout_s:.0f} s")


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0
