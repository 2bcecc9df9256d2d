"""Special-use and local-only names: one function refuses them at validate, pack, install, in
the matcher and in the egress proxy (issue 12, class 2)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.bundles import install_bundle, pack_dir, parse_manifest
from superapp.core.errors import ManifestError
from superapp.core.paths import Paths
from superapp.net import NetPolicy, RequestKind, local_address, local_target, normalise_host
from tests.bundles.builders import (
    app_files,
    entries_of,
    make_env,
    manifest,
    signed_raw_bundle,
    state_of,
    write_tree,
)

REFUSED = [
    "localhost",
    "api.localhost",
    "*.localhost",
    "printer.local",
    "*.local",
    "nas.home.arpa",
    "ipv4only.arpa",
    "db.internal",
    "abc.onion",
    "never.invalid",
    "x.alt",
    "router.lan",
    "box.home",
    "dc.corp",
    "wiki.intranet",
    "git.private",
]
ACCEPTED = ["api.example.com", "*.cdn.example.com", "widgets.test", "docs.example", "localhost.com"]


@pytest.mark.parametrize("name", [n.removeprefix("*.") for n in REFUSED])
def test_local_target_names_every_special_use_domain(name: str) -> None:
    found = local_target(normalise_host(name))
    assert found is not None and found[0] == "special-use-name"


@pytest.mark.parametrize("name", [n.removeprefix("*.") for n in ACCEPTED])
def test_ordinary_names_and_rfc6761_test_names_are_not_special(name: str) -> None:
    assert local_target(normalise_host(name)) is None


@pytest.mark.parametrize(
    "ip", ["127.0.0.1", "10.1.2.3", "192.168.1.1", "169.254.169.254", "::1", "fd00::1",
           "::ffff:127.0.0.1", "64:ff9b::a00:1", "0.0.0.0", "100.64.0.1"],  # noqa: S104
)  # fmt: skip
def test_every_non_public_address_is_local(ip: str) -> None:
    assert local_address(ipaddress.ip_address(ip)) is not None
    found = local_target(normalise_host(f"[{ip}]" if ":" in ip else ip))
    assert found is not None and found[0] == "local-address"


def test_public_address_is_not_local() -> None:
    assert local_address(ipaddress.ip_address("93.184.216.34")) is None


@pytest.mark.parametrize("host", REFUSED)
def test_manifest_refuses_special_use_names(host: str) -> None:
    doc = manifest(superapp={"allowed_hosts": [host]})
    with pytest.raises(ManifestError, match=r"allowed_hosts\[0\]"):
        parse_manifest(json.dumps(doc).encode())


@pytest.mark.parametrize("host", ACCEPTED)
def test_manifest_accepts_ordinary_and_test_names(host: str) -> None:
    doc = manifest(superapp={"allowed_hosts": [host]})
    assert parse_manifest(json.dumps(doc).encode()).superapp.allowed_hosts == [host]


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.1", "[::1]", "api.example.com:8443"])
def test_manifest_refuses_ip_literals_and_ports(host: str) -> None:
    doc = manifest(superapp={"allowed_hosts": [host]})
    with pytest.raises(ManifestError, match="allowed_hosts"):
        parse_manifest(json.dumps(doc).encode())


@pytest.mark.parametrize("host", ["api.localhost", "printer.local"])
def test_pack_refuses_a_special_use_name(host: str, tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", app_files(superapp={"allowed_hosts": [host]}))
    with pytest.raises(ManifestError, match=host.replace(".", r"\.")):
        pack_dir(src, Ed25519PrivateKey.generate())


@pytest.mark.parametrize("host", ["*.localhost", "nas.home.arpa"])
def test_install_refuses_a_signed_bundle_listing_a_special_use_name(
    host: str, superapp_home: Paths
) -> None:
    env = make_env(superapp_home)
    before = state_of(env.paths)
    # Signed with a trusted key, built byte by byte: only the manifest check stands in the way.
    data = signed_raw_bundle(entries_of(app_files(superapp={"allowed_hosts": [host]})), env.key)
    with pytest.raises(ManifestError, match="allowed_hosts"):
        install_bundle(env.paths, data)
    assert state_of(env.paths) == before


@pytest.mark.parametrize("host", REFUSED)
def test_matcher_refuses_special_use_entries(host: str) -> None:
    with pytest.raises(ManifestError, match="allowed_hosts"):
        NetPolicy.from_manifest("com.example.app", [host])


@pytest.mark.parametrize(
    "url",
    ["https://api.localhost/", "http://localhost:8080/", "wss://printer.local/",
     "https://x.onion/", "https://LOCALHOST./"],
)  # fmt: skip
def test_matcher_refuses_special_use_urls_even_under_a_wildcard(url: str) -> None:
    policy = NetPolicy.from_manifest("com.example.app", ["*.example.com"])
    decision = policy.decide(url, kind=RequestKind.FETCH, top_level=False)
    assert (decision.allowed, decision.rule) == (False, "special-use-name")
