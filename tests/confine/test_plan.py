"""The plan builder: what a runtime may reach, from what the host says about its app."""

from __future__ import annotations

from pathlib import Path

import pytest

from superapp.confine import _landlock, generic_plan, runtime_plan
from superapp.confine._plan import app_folders, x11_abstract_listener
from superapp.core.paths import Paths
from superapp.net import NetPolicy
from superapp.runtime._confine import allowlist_ports

APP = "com.example.plan"


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths.from_env({"SUPERAPP_HOME": str(tmp_path / "home")})


def _covers(roots: tuple[Path, ...], target: Path) -> bool:
    return any(target == r or target.is_relative_to(r) for r in roots)


def test_plan_writes_only_the_apps_own_folders(paths: Paths) -> None:
    plan = runtime_plan(paths, APP, egress_port=4000, env={})
    app_dir = paths.app_dir(APP)
    assert set(app_folders(paths, APP)) <= set(plan.write_paths)
    assert not _covers(plan.write_paths, app_dir / "bundle")  # the bundle is read-only
    assert _covers(plan.read_paths, app_dir / "bundle")
    for secret in (
        paths.registry_db, paths.data / "keys" / "master-1.key", paths.trust,
        paths.app_dir("com.other.app") / "storage", paths.audit_log, Path.home() / ".ssh",
    ):  # fmt: skip
        assert not _covers(plan.write_paths, secret), secret
        assert not _covers(plan.read_paths, secret), secret
    assert plan.notes == {}


def test_a_read_root_that_would_expose_the_data_folder_or_home_is_dropped(
    paths: Paths, tmp_path: Path
) -> None:
    plan = runtime_plan(
        paths, APP, egress_port=4000, extra_read=[tmp_path, Path.home(), Path("/")], env={}
    )
    assert tmp_path not in plan.read_paths
    assert Path.home() not in plan.read_paths
    assert Path("/") not in plan.read_paths


def test_no_plan_reaches_the_hosts_state(paths: Paths, tmp_path: Path) -> None:
    """The runtime opens neither the registry, the keys nor the policy file (the host's
    ``bind`` carries what it needs): neither plan names them, nor the data folder itself."""
    slot = tmp_path / "slot"
    cold = runtime_plan(paths, APP, egress_port=4000, extra_write=[slot], env={})
    pooled = generic_plan(paths, slot=slot, egress_port=4000, env={})
    for plan in (cold, pooled):
        for secret in (
            paths.data, paths.registry_db, paths.data / "keys" / "master-1.key",
            paths.policy_file, paths.app_dir("com.other.app") / "storage",
        ):  # fmt: skip
            assert not _covers(plan.write_paths, secret), secret
            assert not _covers(plan.read_paths, secret), secret
        assert "landlock_fs" not in plan.notes
    assert _covers(cold.write_paths, slot)
    # The pooled plan: its slot read-write, the trust store read-only, no app's folder at all.
    assert _covers(pooled.write_paths, slot)
    assert _covers(pooled.read_paths, paths.trust)
    assert not _covers(pooled.write_paths, paths.trust)
    assert not _covers(pooled.read_paths, paths.app_dir(APP))
    assert not _covers(pooled.write_paths, paths.app_dir(APP))
    assert pooled.connect_ports == (53, 80, 443, 4000)


def test_ports_are_the_egress_port_and_the_allowlists(paths: Paths) -> None:
    policy = NetPolicy.from_manifest(APP, ["api.example.com", "x.example.org:8443"], [])
    ports = allowlist_ports(policy, {})
    assert ports == {443, 8443, 53}
    plan = runtime_plan(paths, APP, egress_port=4000, net_ports=ports, cdp_port=9222, env={})
    assert plan.connect_ports == (53, 443, 4000, 8443)
    assert plan.bind_ports == (9222,)


def test_an_app_without_hosts_may_connect_only_to_its_proxy(paths: Paths) -> None:
    policy = NetPolicy.from_manifest(APP, [], [])
    assert allowlist_ports(policy, {"SUPERAPP_TEST_HOSTS": "evil.test=5000"}) == set()
    plan = runtime_plan(paths, APP, egress_port=4000, net_ports=allowlist_ports(policy, {}), env={})
    assert plan.connect_ports == (4000,)
    assert plan.bind_ports == ()


def test_only_listed_test_hosts_add_their_loopback_ports() -> None:
    policy = NetPolicy.from_manifest(APP, ["widgets.test", "*.cdn.test"], [])
    env = {
        "SUPERAPP_TEST_HOSTS": "widgets.test=5001,evil.test=5002,a.cdn.test=5003",
        "SUPERAPP_TEST_DNS": "widgets.test=10.0.0.1/5004,other.test=10.0.0.2/5005",
    }
    assert allowlist_ports(policy, env) == {443, 53, 5001, 5003, 5004}


def test_http_hosts_add_port_80(paths: Paths) -> None:
    policy = NetPolicy.from_manifest(APP, [], ["plain.example.com"])
    assert allowlist_ports(policy, {}) == {80, 443, 53}


def test_xauthority_is_readable(paths: Paths, tmp_path: Path) -> None:
    cookie = tmp_path / "xauth"
    plan = runtime_plan(paths, APP, egress_port=1, env={"XAUTHORITY": str(cookie)})
    assert cookie in plan.read_paths


@pytest.mark.parametrize(
    ("display", "table", "expected"),
    [
        (":7", "0: 00 01 /tmp/.X11-unix/X7\n0: 00 01 @/tmp/.X11-unix/X7\n", True),
        (":7", "0: 00 01 /tmp/.X11-unix/X7\n", False),
        (":7.0", "0: 00 01 @/tmp/.X11-unix/X7\n", True),
        (":7", "0: 00 01 @/tmp/.X11-unix/X70\n", False),
        ("host:7", "0: 00 01 @/tmp/.X11-unix/X7\n", False),
    ],
    ids=["abstract", "path_only", "screen", "other_number", "remote"],
)
def test_x11_abstract_listener(tmp_path: Path, display: str, table: str, expected: bool) -> None:
    unix = tmp_path / "unix"
    unix.write_text(table)
    assert x11_abstract_listener({"DISPLAY": display}, str(unix)) is expected


def test_abstract_scope_is_dropped_only_for_such_an_x_server(paths: Paths) -> None:
    plan = runtime_plan(paths, APP, egress_port=1, env={})
    assert plan.scope_abstract_unix is True


@pytest.mark.parametrize(
    ("abi", "fs", "net", "scoped"),
    [
        (1, (1 << 13) - 1, 0, 0),
        (3, (1 << 15) - 1, 0, 0),
        (4, (1 << 15) - 1, 3, 0),
        (6, (1 << 15) - 1, 3, 3),
        (7, (1 << 15) - 1, 3, 3),
    ],
)
def test_handled_rights_are_cut_to_the_kernels_abi(
    abi: int, fs: int, net: int, scoped: int
) -> None:
    handled = _landlock.Handled.for_abi(abi, fs=True, net=True, scope=True)
    assert (handled.fs, handled.net, handled.scoped) == (fs, net, scoped)
