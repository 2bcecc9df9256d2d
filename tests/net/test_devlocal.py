"""``--allow-local`` origins in the net policy: exactly one loopback origin, developer mode's only."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

import pytest

from superapp.net import EgressProxy, NetPolicy, RequestKind, parse_allow_local
from tests.helpers.recorder import Recorder

APP = "com.example.mock"


def _decide(policy: NetPolicy, url: str, *, top_level: bool = False) -> tuple[bool, str]:
    d = policy.decide(url, kind=RequestKind.FETCH, top_level=top_level)
    return d.allowed, d.rule


def test_parse_accepts_a_loopback_http_origin_with_its_port() -> None:
    assert parse_allow_local("http://127.0.0.1:8080") == (ipaddress.ip_address("127.0.0.1"), 8080)
    assert parse_allow_local("http://[::1]:3000/") == (ipaddress.ip_address("::1"), 3000)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("http://localhost:8080", "a name is not accepted"),
        ("http://192.168.1.2:8080", "not a loopback address"),
        ("https://127.0.0.1:8080", "only http://"),
        ("http://127.0.0.1", "give the port explicitly"),
        ("http://127.0.0.1:8080/api", "no path"),
        ("127.0.0.1:8080", "http://127.0.0.1:PORT"),
    ],
    ids=["name", "private", "https", "no-port", "path", "no-scheme"],
)
def test_parse_refuses_anything_else(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=r"http://127\.0\.0\.1:PORT") as info:
        parse_allow_local(text)
    assert says in str(info.value)


def test_a_manifest_policy_never_reaches_loopback() -> None:
    policy = NetPolicy.from_manifest(APP, ["api.example.com"])
    assert policy.dev_local == frozenset()
    assert _decide(policy, "http://127.0.0.1:8080/todos") == (False, "ip-literal")


def test_dev_local_allows_exactly_that_origin() -> None:
    policy = NetPolicy.from_manifest(APP, []).with_dev_local(
        [parse_allow_local("http://127.0.0.1:8080")]
    )
    assert _decide(policy, "http://127.0.0.1:8080/todos") == (True, "dev-allow-local")
    assert _decide(policy, "ws://127.0.0.1:8080/live") == (True, "dev-allow-local")
    assert _decide(policy, "http://127.0.0.1:8081/")[0] is False
    assert _decide(policy, "https://127.0.0.1:8080/")[0] is False
    assert _decide(policy, "http://127.0.0.2:8080/")[0] is False
    assert _decide(policy, "http://localhost:8080/")[0] is False
    # The window still never navigates away from the app.
    assert _decide(policy, "http://127.0.0.1:8080/", top_level=True) == (False, "navigation-away")


def test_egress_proxy_forwards_only_the_dev_local_origin(
    recorder_factory: Callable[..., Recorder],
) -> None:
    """One layer below the policy: real sockets through the app's egress proxy."""
    mock, other = recorder_factory(), recorder_factory()
    policy = NetPolicy.from_manifest(APP, []).with_dev_local(
        [parse_allow_local(f"http://127.0.0.1:{mock.port}")]
    )
    refusals: list[tuple[str, ...]] = []
    proxy = EgressProxy(policy, lambda *r: refusals.append(r))
    proxy.start()
    try:
        for target in (mock, other):
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
                url = f"http://127.0.0.1:{target.port}/todos"
                sock.sendall(
                    f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
                )
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
            assert answer.startswith(b"HTTP/1.1 200" if target is mock else b"HTTP/1.1 403")
    finally:
        proxy.close()
    assert [h.path for h in mock.hits] == ["/todos"]
    assert other.contacts == 0 and [r[1] for r in refusals] == ["ip-literal"]
