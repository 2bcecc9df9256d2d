"""Process start → first ``loaded``, and PSS of the process tree: superapp vs bare pywebview.

Both load the Unit Converter sample's page in the same run, alternating, under a private Xvfb:
superapp through ``superapp run`` (host + runtime process, verified bundle, app:// scheme,
guards), the baseline through a plain pywebview script serving the same folder.

``--lockdown both`` (default) measures superapp with the runtime's OS-level lockdown on
(``superapp.confine``) and off (``SUPERAPP_NO_CONFINE=1``) in the same run; ``on``/``off`` one.

Usage: python bench/startup.py [--runs 10] [--lockdown both|on|off]
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
    parser.add_argument("--lockdown", choices=("both", "on", "off"), default="both")
    args = parser.parse_args()
    modes = ("on", "off") if args.lockdown == "both" else (args.lockdown,)
    with tempfile.TemporaryDirectory() as home, xvfb():
        env = dict(os.environ, SUPERAPP_HOME=home, PYTHONPATH=str(REPO))
        subprocess.run(
            [sys.executable, "-m", "superapp", "samples", "install"], env=env, check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        ours: dict[str, list[float]] = {m: [] for m in modes}
        ours_pss: dict[str, list[float]] = {m: [] for m in modes}
        bare, bare_pss = [], []
        for _ in range(args.runs):
            for mode in modes:
                mode_env = dict(env, SUPERAPP_NO_CONFINE="1") if mode == "off" else env
                t, m = _time_until(
                    [sys.executable, "-m", "superapp", "run", APP], f"{APP} running", mode_env
                )
                ours[mode].append(t)
                ours_pss[mode].append(m)
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
    for mode in modes:
        t, p = ours[mode], ours_pss[mode]
        print(
            f"| superapp run, lockdown {mode} | {median(t):.3f} s | {min(t):.3f} s "
            f"| {max(t):.3f} s | {median(p):.0f} MB |"
        )
    for mode in modes:
        print(f"\nsuperapp (lockdown {mode}) / bare: {median(ours[mode]) / median(bare):.2f}× "
              f"time, {median(ours_pss[mode]) / median(bare_pss):.2f}× memory")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
