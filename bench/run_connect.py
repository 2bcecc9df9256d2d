"""How long ``superapp run APP`` takes, from its process start, to send its request to a
running launcher: the command's own start on a delegated launch's path (issue 16).

A fake launcher (this process) listens on ``<state>/run/launcher.sock`` of a fresh
``SUPERAPP_HOME`` with the samples installed, takes each request line, and answers
``NOT_INSTALLED`` (the command then exits 2 at once). Timed from ``Popen`` to the request
line's arrival. Several source trees can be compared in one run, alternating, each started
from its own folder so that it imports its own ``superapp`` (e.g. this tree against an older
commit exported with ``git archive``).

Bytecode: ``PYTHONDONTWRITEBYTECODE`` is unset and a discarded first round compiles.

Usage: python bench/run_connect.py [--runs 10] [--tree DIR ...]   (default: this repository)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
APP = "dev.superapp.converter"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--tree", action="append", type=Path, help="a source tree (repeatable)")
    args = parser.parse_args()
    trees = [t.resolve() for t in (args.tree or [REPO])]
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["SUPERAPP_HOME"] = home
        env.pop("SUPERAPP_CONSENT", None)  # or the command would run its own host
        subprocess.run(
            [sys.executable, "-m", "superapp", "samples", "install"], cwd=trees[0],
            env={**env, "PYTHONPATH": str(trees[0])}, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        run = Path(home) / "state" / "run"
        run.mkdir(parents=True, exist_ok=True, mode=0o700)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(run / "launcher.sock"))
        listener.listen(4)
        load = os.getloadavg()[0]
        times: dict[Path, list[float]] = {t: [] for t in trees}
        for i in range(args.runs + 1):
            for tree in trees:
                t = _one(listener, tree, {**env, "PYTHONPATH": str(tree)})
                if i:  # the first round compiles
                    times[tree].append(t)
        listener.close()
    print(f"load average {load:.1f} at start, {args.runs} runs each, alternating")
    print("| tree | process start → request sent (median) | min | max |")
    print("|---|---|---|---|")
    for tree, v in times.items():
        print(f"| {tree} | {statistics.median(v) * 1000:.0f} ms | {min(v) * 1000:.0f} ms "
              f"| {max(v) * 1000:.0f} ms |")  # fmt: skip
    return 0


def _one(listener: socket.socket, tree: Path, env: dict[str, str]) -> float:
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "superapp", "run", APP], cwd=tree, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    conn, _ = listener.accept()
    with conn:
        line = conn.makefile("rb").readline()
        took = time.monotonic() - start
        conn.sendall(json.dumps({"code": "NOT_INSTALLED", "detail": ""}).encode() + b"\n")
    _, err = proc.communicate(timeout=60)
    if proc.returncode != 2 or json.loads(line) != {"app_id": APP}:
        raise RuntimeError(f"unexpected: exit {proc.returncode}, {line!r}, {err!r}")
    return took


if __name__ == "__main__":
    sys.exit(main())
