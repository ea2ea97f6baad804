"""CLI start-up benchmark: wall time of commands that need no model (``make bench``).

Runs each command N times as a fresh process from an empty temporary folder with
``SHELFAUDIT_RULES`` unset (so the shipped rules are used, as for a new user) and prints the
median wall time and CPU time (user + system). Target: ``shelfaudit rules validate`` under
1 s wall on an idle machine. The load average is printed beside the figures: on a busy
machine wall time grows while CPU time stays near what an idle machine would take.

    python -m pipeline.lab.bench_cli [--runs 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS: dict[str, list[str]] = {
    "shelfaudit rules validate": ["rules", "validate"],
    "shelfaudit --help": ["--help"],
}
TARGET_S = 1.0  # rules validate, idle machine


def _cli() -> list[str]:
    """The installed console script (next to this interpreter), else ``python -c main()``."""
    script = Path(sys.executable).with_name("shelfaudit")
    if script.exists():
        return [str(script)]
    found = shutil.which("shelfaudit")
    return [found] if found else [sys.executable, "-c", "from pipeline.cli import main; main()"]


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(args: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``runs`` fresh runs of the CLI with ``args`` (must exit 0)."""
    env = {k: v for k, v in os.environ.items() if k != "SHELFAUDIT_RULES"}
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as folder:
        env["SHELFAUDIT_HOME"] = str(Path(folder) / "home")
        for _ in range(runs):
            start, cpu = time.perf_counter(), _child_cpu()
            done = subprocess.run([*_cli(), *args], cwd=folder, env=env, capture_output=True,
                                  text=True)
            walls.append(time.perf_counter() - start)
            cpus.append(_child_cpu() - cpu)
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): "
                                 f"{done.stderr.strip()[-300:]}")
    return walls, cpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command (default 7)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    opts = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    figures = {}
    for name, args in COMMANDS.items():
        walls, cpus = time_command(args, max(1, opts.runs))
        figures[name] = {"median_s": round(statistics.median(walls), 3),
                         "min_s": round(min(walls), 3), "max_s": round(max(walls), 3),
                         "cpu_median_s": round(statistics.median(cpus), 3), "runs": len(walls)}
    if opts.json:
        print(json.dumps({"load_average_1min": load, "commands": figures}, indent=2))
        return 0
    busy = f"; load average {load:.2f} on {os.cpu_count()} CPUs" if load is not None else ""
    print(f"CLI start-up, fresh process from an empty folder (shipped rules){busy}")
    print("| command | median wall s | min s | max s | median CPU s | runs |\n"
          "|---|---:|---:|---:|---:|---:|")
    for name, f in figures.items():
        print(f"| `{name}` | {f['median_s']:.2f} | {f['min_s']:.2f} | {f['max_s']:.2f} "
              f"| {f['cpu_median_s']:.2f} | {f['runs']} |")
    validate = figures["shelfaudit rules validate"]
    verdict = "meets" if validate["median_s"] < TARGET_S else "misses"
    print(f"rules validate {verdict} the < {TARGET_S:.0f} s target (idle machine) "
          f"at {validate['median_s']:.2f} s median wall")
    if load is not None and load >= (os.cpu_count() or 1):
        print(f"the machine is busy (load {load:.1f}): wall times are inflated; the process "
              f"itself used {validate['cpu_median_s']:.2f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
