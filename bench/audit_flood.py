"""What one flooding page writes to the audit log, in a real window, for a fixed time.

The page is the one of ``tests/attacks/test_audit_flood_window.py``: a refused call, a
blocked exfiltration request, then 50 new blocked names every 20 ms. The host runs with the
default policy (only the network budget lifted, so it is the audit budget that answers), for
``--seconds`` of flooding or until the host stops the app. Run it against any checkout (the
figure "before" is this script run against a checkout without the flood gate):

    .venv/bin/python bench/audit_flood.py [--repo PATH] [--seconds 10]

Prints entries and bytes written, and whether the app was stopped.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
POLICY = """
[monitor]
sample_interval_s = 0.25
[monitor.net_requests]
limit = 1000000
[bridge_rates.cheap]
burst = 100000
per_second = 100000
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", type=Path, default=HERE, help="checkout to run the host from")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    repo = args.repo.resolve()
    sys.path.insert(0, str(HERE))
    from superapp.testing import HostProcess, Xvfb, make_app

    spec = importlib.util.spec_from_file_location(
        "attack", HERE / "tests/attacks/test_audit_flood_window.py"
    )
    assert spec is not None and spec.loader is not None
    attack = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(attack)

    tmp = Path(tempfile.mkdtemp(prefix="audit-flood-"))
    home = tmp / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "policy.toml").write_text(POLICY, encoding="utf-8")
    env = dict(os.environ, SUPERAPP_HOME=str(home), PYTHONPATH=str(repo))
    display = Xvfb()
    try:
        env["DISPLAY"] = display.display
        folder = make_app(tmp, attack.HOSTILE, script=attack.SCRIPT)
        host = HostProcess(["dev", "--no-reload", str(folder)], env)
        try:
            host.wait_for_line(r"running$")
            deadline = time.monotonic() + 1.0 + args.seconds  # the flood starts after 1 s
            while time.monotonic() < deadline and host.proc.poll() is None:
                time.sleep(0.1)
            stopped = [line for line in host.lines if "terminated" in line]
        finally:
            host.stop()
    finally:
        display.stop()
    files = sorted(p for p in (home / "state").glob("audit.jsonl*") if not p.name.endswith(".head"))
    entries = sum(len(p.read_bytes().splitlines()) for p in files)
    size = sum(p.stat().st_size for p in files)
    print(f"repo: {repo}")
    print(f"audit entries: {entries}, bytes: {size}, files: {[p.name for p in files]}")
    print(f"stopped by the host: {stopped[0] if stopped else 'no'}")


if __name__ == "__main__":
    main()
