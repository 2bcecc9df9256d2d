"""A real runtime locks itself down (issue 14) and still serves its app: storage, files,
net.request to an allowlisted host, consent; the host records the report (audit, ps) and
checks the engine's sandbox on the renderer itself; the policy can refuse an app that lacks
a layer."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest

from superapp.confine import _landlock
from superapp.core.paths import Paths
from tests.attacks.hostile import audit_events, call, make_app, wait_for_audit
from tests.e2e.fixtures import NetHosts
from tests.e2e.harness import HostProcess

APP = "com.example.confined"
OFFLINE = "com.example.offline"
PERMISSIONS = [
    ("storage", "Keep notes"),
    ("files", "Save files"),
    ("net:request", "Fetch widgets"),
    ("user:readProfile", "Greet you"),
]
pytestmark = pytest.mark.skipif(_landlock.abi_version() < 6, reason="no Landlock ABI 6 here")


def _status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def _tree(pid: int) -> list[int]:
    return [p.pid for p in psutil.Process(pid).children(recursive=True)]


def _filters(pid: int) -> int:
    try:
        return int(_status(pid).get("Seccomp_filters", "0"))
    except OSError:  # exited meanwhile
        return 0


def _connect_ports(layers: dict[str, Any]) -> list[int]:
    """The TCP ports the runtime's Landlock domain lets it connect to, from its report."""
    match = re.search(r"connect \[([0-9, ]*)\]", layers["landlock_net"]["detail"])
    assert match, layers["landlock_net"]
    return [int(p) for p in match.group(1).split(",") if p.strip()]


def _ps(env: dict[str, str]) -> list[dict[str, Any]]:
    out = subprocess.run(
        [sys.executable, "-m", "superapp", "ps", "--json"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    rows: list[dict[str, Any]] = json.loads(out.stdout)
    return rows


def test_confined_app_works_and_the_host_records_its_confinement(
    tmp_path: Path, open_app: Any, net_hosts: NetHosts, superapp_home: Paths
) -> None:
    folder = make_app(
        tmp_path, APP, permissions=PERMISSIONS, allowed_hosts=["widgets.test"],
        allow_http_hosts=["widgets.test"],
    )  # fmt: skip
    env = dict(net_hosts.env, SUPERAPP_CONSENT="allow_once")
    host, page = open_app("dev", folder, env=env)

    # The app works with the lockdown on.
    assert call(page, "storage.set", {"key": "k", "value": "v"})["ok"]
    assert call(page, "storage.get", {"key": "k"})["result"] == "v"
    assert call(page, "files.write", {"path": "a.txt", "data": "hello"})["ok"]
    assert call(page, "files.read", {"path": "a.txt"})["result"]["data"] == "hello"
    # net.request to the allowlisted test host: the runtime's own client connects (through
    # the test-only host map, as the egress proxy has it), so the lockdown must allow the port.
    fetched = call(page, "net.request", {"url": "http://widgets.test/widget?via=net.request"})
    assert fetched["ok"] and fetched["result"]["status"] == 200, fetched
    (hit,) = net_hosts.good.wait_for_hits(where=lambda h: h.path.endswith("via=net.request"))
    assert (hit.header("Host") or "") == "widgets.test"
    assert (hit.header("User-Agent") or "").startswith("superapp-net/")  # not the engine
    # And the engine's fetch, through the egress proxy (whose port the plan allows too).
    status = page.evaluate("() => fetch('http://widgets.test/ping').then(r => r.status)")
    assert status == 200
    net_hosts.good.wait_for_hits(where=lambda h: h.path == "/ping")
    assert call(page, "user.profile")["ok"]  # consent asked of the host, answered

    # The runtime process itself is confined (one layer below its report).
    runtime = next(r for r in _ps(env) if r["app_id"] == APP)
    proc = _status(runtime["pid"])
    assert proc["NoNewPrivs"] == "1"
    assert proc["Seccomp"] == "2"
    assert int(proc["CapEff"], 16) == 0

    # The report: in the run record (ps) and, for every layer not on, in the audit log.
    layers = runtime["confinement"]
    for layer in (
        "no_new_privs", "capabilities", "not_dumpable", "seccomp", "landlock_fs", "landlock_net",
    ):  # fmt: skip
        # landlock_fs is on, not partial: the runtime no longer opens the registry or keys.
        assert layers[layer]["status"] == "on", (layer, layers[layer])
    assert net_hosts.good.port in _connect_ports(layers)  # the allowlist's (mapped) port
    assert net_hosts.evil.port not in _connect_ports(layers)
    # Signals are always scoped; abstract sockets only when the X server has none (Xvfb here
    # listens on one, and libxcb would not fall back to the path: the report says so).
    scope = layers["landlock_scope"]
    assert scope["status"] == "on" or "signals scoped" in scope["detail"], scope
    missing = {name for name, state in layers.items() if state["status"] != "on"}
    for layer in missing:
        wait_for_audit(
            superapp_home, lambda e, layer=layer: e["superapp"].get("layer") == layer,
            action="confinement.layer_missing", app_id=APP,
        )  # fmt: skip
    audited = {
        e["superapp"]["layer"]
        for e in audit_events(superapp_home, "confinement.layer_missing", APP)
    }
    assert audited == missing
    # The engine's sandbox is checked by the host on the renderer, not taken on trust.
    assert "engine_sandbox" in layers

    # A root host's runtime leaves root in a user namespace of its own, so Chromium's sandbox
    # runs: its seccomp-bpf on the renderer (its namespace layer needs /proc writes Landlock
    # refuses; the report says so).
    assert layers["engine_sandbox"]["status"] in ("on", "partial"), layers["engine_sandbox"]
    if os.geteuid() == 0:
        assert os.readlink(f"/proc/{runtime['pid']}/ns/user") != os.readlink("/proc/self/ns/user")
    # The process tree, not only the report: renderers (forked by the zygote, so they carry its
    # command line) run under Chromium's own seccomp filter, stacked on the runtime's.
    own = int(proc["Seccomp_filters"])
    stacked = [pid for pid in _tree(runtime["pid"]) if _filters(pid) > own]
    assert stacked, "no engine process runs under Chromium's seccomp filter"
    text = subprocess.run(
        [sys.executable, "-m", "superapp", "ps"], env=env, capture_output=True, text=True,
        timeout=60, check=True,
    ).stdout  # fmt: skip
    assert "confinement:" in text
    host.stop()


def test_policy_refuses_an_app_without_a_required_layer(
    tmp_path: Path, hosts: list[HostProcess], host_env: dict[str, str], superapp_home: Paths
) -> None:
    superapp_home.policy_file.parent.mkdir(parents=True, exist_ok=True)
    superapp_home.policy_file.write_text('[confinement]\nrequire = ["seccomp"]\n')
    folder = make_app(tmp_path, APP)
    # The benchmarks' switch: this runtime reports every layer off.
    host = HostProcess(["dev", str(folder)], dict(host_env, SUPERAPP_NO_CONFINE="1"))
    hosts.append(host)
    event = wait_for_audit(superapp_home, lambda e: True, action="confinement.refused", app_id=APP)
    assert "seccomp is required" in event["event"]["reason"]
    host.wait_for_line(rf"{APP} terminated")


def test_app_whose_policy_allows_no_network_reaches_no_test_host(
    tmp_path: Path, open_app: Any, net_hosts: NetHosts, superapp_home: Paths
) -> None:
    # net:request granted, but no allowed host: the test host map is in the environment (as
    # above) and must not help it reach anything.
    folder = make_app(tmp_path, OFFLINE, permissions=[("net:request", "Fetch widgets")])
    env = dict(net_hosts.env, SUPERAPP_CONSENT="allow_once")
    host, page = open_app("dev", folder, env=env)

    refused = call(page, "net.request", {"url": "http://widgets.test/ping"})
    assert (refused["ok"], refused.get("code")) == (False, "NETWORK_BLOCKED"), refused
    wait_for_audit(
        superapp_home, lambda e: e["superapp"].get("via") == "net.request",
        action="net.blocked", app_id=OFFLINE,
    )  # fmt: skip
    fetched = page.evaluate(
        "() => fetch('http://widgets.test/ping').then(r => r.status, () => 'refused')"
    )
    assert fetched == "refused"

    # One layer below the policy: this runtime's Landlock domain lets it connect to one port,
    # its own egress proxy's, and to no test server.
    runtime = next(r for r in _ps(env) if r["app_id"] == OFFLINE)
    layers = runtime["confinement"]
    assert layers["landlock_net"]["status"] == "on", layers["landlock_net"]
    ports = _connect_ports(layers)
    assert len(ports) == 1, ports
    assert not {net_hosts.good.port, net_hosts.evil.port} & set(ports)
    # At the test servers: not a connection, not a datagram.
    assert net_hosts.good.contacts == 0
    assert net_hosts.evil.contacts == 0
    host.stop()
