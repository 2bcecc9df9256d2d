"""Process start → first ``loaded``, and PSS of the process tree: superapp vs bare pywebview.

Both load the Unit Converter sample's page in the same run, alternating, under a private Xvfb:
superapp through ``superapp run`` (host + runtime process, verified bundle, app:// scheme,
guards), the baseline through a plain pywebview script serving the same folder.

Usage: python bench/startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import machine, median, tree_pss_mb, xvfb  # noqa: E402

APP = "dev.superapp.converter"


def _time_until(cmd: list[str], needle: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from process start to a stdout line containing ``needle``; PSS then (MB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        start_new_session=True,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if needle in line:
                elapsed = time.perf_counter() - start
                break
        else:
            raise RuntimeError(f"{cmd} exited before {needle!r}")
        pss = tree_pss_mb(proc.pid)
        return elapsed, pss
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home, xvfb():
        env = dict(os.environ, SUPERAPP_HOME=home, PYTHONPATH=str(REPO))
        subprocess.run(
            [sys.executable, "-m", "superapp", "samples", "install"], env=env, check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        ours, bare, ours_pss, bare_pss = [], [], [], []
        for _ in range(args.runs):
            t, m = _time_until(
                [sys.executable, "-m", "superapp", "run", APP], f"{APP} running", env
            )
            ours.append(t)
            ours_pss.append(m)
            t, m = _time_until(
                [sys.executable, str(REPO / "bench" / "_bare_pywebview.py"),
                 str(REPO / "miniapps" / "converter")],
                "loaded", env,
            )  # fmt: skip
            bare.append(t)
            bare_pss.append(m)
    print(f"## Startup ({machine()}, {args.runs} runs each, alternating)\n")
    print("| | process start → loaded (median) | min | max | PSS of process tree (median) |")
    print("|---|---|---|---|---|")
    print(
        f"| bare pywebview | {median(bare):.3f} s | {min(bare):.3f} s | {max(bare):.3f} s "
        f"| {median(bare_pss):.0f} MB |"
    )
    print(
        f"| superapp run | {median(ours):.3f} s | {min(ours):.3f} s | {max(ours):.3f} s "
        f"| {median(ours_pss):.0f} MB |"
    )
    print(f"\nsuperapp / bare: {median(ours) / median(bare):.2f}× time, "
          f"{median(ours_pss) / median(bare_pss):.2f}× memory")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
