"""Resource budgets in real windows (issue 7): a hostile app is stopped within the bound the
host policy sets, with the audit entry and the reason shown to the user, while a well-behaved
app beside it keeps answering calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from superapp.core.paths import Paths
from superapp.testing import call, make_app, wait_for_budget_stop
from tests.e2e.harness import HostProcess

HOSTILE = "com.attacker.hog"
BYSTANDER = "com.example.bystander"

#: Policy common to every attack: fast sampling, and no rate cap in the bridge so the flood
#: reaches the monitor's budget rather than the dispatcher's token bucket.
BASE = """
[monitor]
sample_interval_s = 0.25
[bridge_rates.cheap]
burst = 100000
per_second = 100000
"""

#: name → (page script, the budget it attacks, that budget made tight). Only the attacked
#: budget is tightened; the CPU bound leaves room for an app's own start-up burst (~1–2 s).
ATTACKS = {
    "cpu-burning-loop": (
        "setTimeout(() => { for (;;) {} }, 300);",
        "cpu",
        "[monitor.cpu]\nlimit = 60\nwarn_after_s = 0\nthrottle_after_s = 3\nterminate_after_s = 6\n",
    ),
    "memory-bomb": (
        "const hoard = []; setInterval(() => { const a = new Float64Array(8 * 1024 * 1024);"
        " a.fill(Math.random()); hoard.push(a); }, 50);",
        "memory",
        '[monitor.memory]\nlimit = "900 MB"\nwarn_after_s = 0\nterminate_after_s = 1\n',
    ),
    "bridge-flood": (
        "setInterval(() => { for (let i = 0; i < 200; i++) callNative('app.info', {}); }, 20);",
        "bridge_calls",
        "[monitor.bridge_calls]\nlimit = 50\nwarn_after_s = 0\nthrottle_after_s = 1\nterminate_after_s = 2\n",
    ),
}


@pytest.mark.parametrize("name", list(ATTACKS), ids=list(ATTACKS))
def test_app_over_its_budget_is_stopped_with_a_reason_while_others_keep_answering(
    name: str,
    tmp_path: Path,
    open_app: Any,
    superapp_home: Paths,
    hosts: list[HostProcess],
    host_env: dict[str, str],
) -> None:
    script, metric, budget = ATTACKS[name]
    superapp_home.policy_file.write_text(BASE + budget, encoding="utf-8")
    _bystander_host, bystander = open_app("dev", make_app(tmp_path, BYSTANDER))
    # No page attach for the hostile app: some attacks get it stopped within seconds.
    hostile_host = HostProcess(["dev", str(make_app(tmp_path, HOSTILE, script=script))], host_env)
    hosts.append(hostile_host)

    # The host stops the app and says why (the launcher shows the same sentence).
    line, event = wait_for_budget_stop(hostile_host, superapp_home, HOSTILE, metric)
    assert "was stopped" in line, line
    assert event["event"]["reason"] in line
    assert hostile_host.proc.wait(30) == 0
    # The other app never noticed.
    assert call(bystander, "app.info")["result"]["appId"] == BYSTANDER


def test_request_storm_against_an_allowlisted_host_is_stopped(
    tmp_path: Path,
    open_app: Any,
    superapp_home: Paths,
    hosts: list[HostProcess],
    net_hosts: Any,
) -> None:
    superapp_home.policy_file.write_text(
        BASE + "[monitor.net_requests]\nlimit = 50\nwarn_after_s = 0\nthrottle_after_s = 1\n"
        "terminate_after_s = 2\n",
        encoding="utf-8",
    )
    storm = (
        "setInterval(() => { for (let i = 0; i < 20; i++)"
        " fetch('http://widgets.test/storm?' + Math.random()).catch(() => {}); }, 20);"
    )
    folder = make_app(
        tmp_path, HOSTILE, script=storm,
        allowed_hosts=["widgets.test"], allow_http_hosts=["widgets.test"],
    )  # fmt: skip
    _bystander_host, bystander = open_app("dev", make_app(tmp_path, BYSTANDER), env=net_hosts.env)
    hostile_host = HostProcess(["dev", str(folder)], net_hosts.env)
    hosts.append(hostile_host)
    line, _event = wait_for_budget_stop(hostile_host, superapp_home, HOSTILE, "net_requests")
    assert "was stopped" in line, line
    assert net_hosts.good.hits  # the storm really reached the allowlisted host
    assert call(bystander, "app.info")["result"]["appId"] == BYSTANDER
