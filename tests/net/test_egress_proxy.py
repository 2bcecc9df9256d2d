"""The egress proxy against real sockets: what it forwards, and every way it refuses.

Each refusal is checked one layer below the decision: the recorder behind the proxy counts
TCP connections and UDP datagrams, and must count none.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import pytest

from superapp.net import (
    EgressLimits,
    EgressProxy,
    EgressUnavailableError,
    IPAddress,
    NetPolicy,
)
from superapp.runtime import _env
from tests.helpers.recorder import Recorder

APP = "com.example.egress"
Refusal = tuple[str, str, str, str]


class _Proxy:
    def __init__(self, proxy: EgressProxy, refusals: list[Refusal]) -> None:
        self.proxy, self.refusals = proxy, refusals

    def send(self, raw: bytes, *, heads: int = 0) -> bytes:
        """Send ``raw`` to the proxy; return what it answers until it closes (or, with
        ``heads``, until that many response heads have arrived: a tunnel stays open)."""
        with socket.create_connection(("127.0.0.1", self.proxy.port), timeout=10) as sock:
            sock.sendall(raw)
            out = b""
            while chunk := sock.recv(65536):
                out += chunk
                if heads and out.count(b"\r\n\r\n") >= heads:
                    break
        return out

    @property
    def rules(self) -> list[str]:
        return [r[1] for r in self.refusals]


@pytest.fixture
def make_proxy() -> Iterator[Callable[..., _Proxy]]:
    started: list[EgressProxy] = []

    def make(
        allowed: Sequence[str] = (),
        http: Sequence[str] = (),
        *,
        resolver: Callable[[str, int], Sequence[IPAddress]] | None = None,
        **kwargs: object,
    ) -> _Proxy:
        refusals: list[Refusal] = []
        policy = NetPolicy.from_manifest(APP, allowed, http)
        if resolver is not None:

            async def resolve(host: str, port: int) -> Sequence[IPAddress]:
                return resolver(host, port)

            kwargs["resolver"] = resolve
        proxy = EgressProxy(policy, lambda *r: refusals.append(r), **kwargs)  # type: ignore[arg-type]
        proxy.start()
        started.append(proxy)
        return _Proxy(proxy, refusals)

    yield make
    for proxy in started:
        proxy.close()


def _get(url: str, host: str, connection: str = "close") -> bytes:
    return f"GET {url} HTTP/1.1\r\nHost: {host}\r\nConnection: {connection}\r\n\r\n".encode()


def _connect(target: str) -> bytes:
    return f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode()


# --- what it lets through ---------------------------------------------------------------------


def test_allowed_http_request_is_forwarded_in_origin_form_and_closed(
    make_proxy: Callable[..., _Proxy], recorder: Recorder
) -> None:
    p = make_proxy(["widgets.test"], ["widgets.test"], test_hosts={"widgets.test": recorder.port})
    answer = p.send(_get("http://widgets.test/echo?x=1", "widgets.test"))
    assert answer.startswith(b"HTTP/1.1 200")
    assert b"Connection: close" in answer
    hit = recorder.hits[0]
    assert (hit.path, hit.header("host")) == ("/echo?x=1", "widgets.test")
    assert hit.header("proxy-connection") is None
    assert p.refusals == []


def test_second_request_on_one_connection_cannot_ride_the_first_decision(
    make_proxy: Callable[..., _Proxy], recorder_factory: Callable[..., Recorder]
) -> None:
    good, evil = recorder_factory(), recorder_factory()
    p = make_proxy(
        ["widgets.test"], ["widgets.test"],
        test_hosts={"widgets.test": good.port, "evil.test": evil.port},
    )  # fmt: skip
    answer = p.send(
        _get("http://widgets.test/a", "widgets.test", "keep-alive")
        + _get("http://evil.test/b", "evil.test")
    )
    assert answer.startswith(b"HTTP/1.1 200") and b"HTTP/1.1 403" in answer
    assert p.rules == ["not-allowlisted"]
    assert evil.contacts == 0
    assert [h.path for h in good.hits] == ["/a"]


def test_kept_alive_connection_carries_several_allowed_requests(
    make_proxy: Callable[..., _Proxy], recorder: Recorder
) -> None:
    p = make_proxy(["widgets.test"], ["widgets.test"], test_hosts={"widgets.test": recorder.port})
    last = _get("http://widgets.test/c", "widgets.test")
    answer = p.send(
        _get("http://widgets.test/a", "widgets.test", "keep-alive")
        + b"POST http://widgets.test/echo HTTP/1.1\r\nHost: widgets.test\r\n"
        b"Content-Length: 3\r\n\r\nabc"
        + b"HEAD http://widgets.test/h.txt HTTP/1.1\r\nHost: widgets.test\r\n\r\n"
        + last
    )
    assert answer.count(b"HTTP/1.1 200") == 4
    assert [h.path for h in recorder.hits] == ["/a", "/echo", "/h.txt", "/c"]
    assert recorder.hits[1].body == b"abc"
    assert recorder.connections == 1  # one upstream connection, reused


@pytest.mark.parametrize(
    "extra",
    [
        b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
        b"Content-Length: 3\r\nContent-Length: 4\r\n",
        b"Transfer-Encoding: gzip, chunked\r\n",
    ],
    ids=["cl-and-te", "two-lengths", "other-coding"],
)
def test_ambiguous_request_framing_closes_the_connection(
    extra: bytes, make_proxy: Callable[..., _Proxy], recorder_factory: Callable[..., Recorder]
) -> None:
    good, evil = recorder_factory(), recorder_factory()
    p = make_proxy(
        ["widgets.test"], ["widgets.test"],
        test_hosts={"widgets.test": good.port, "evil.test": evil.port},
    )  # fmt: skip
    smuggled = _get("http://evil.test/s", "evil.test")
    p.send(
        b"POST http://widgets.test/a HTTP/1.1\r\nHost: widgets.test\r\n" + extra + b"\r\n"
        + b"0\r\n\r\n" + smuggled
    )  # fmt: skip
    assert evil.contacts == 0
    assert all(h.path == "/a" for h in good.hits)


def test_forwarded_host_header_is_the_decided_authority(
    make_proxy: Callable[..., _Proxy], recorder: Recorder
) -> None:
    p = make_proxy(["widgets.test"], ["widgets.test"], test_hosts={"widgets.test": recorder.port})
    p.send(_get("http://widgets.test/a", "internal-admin.corp"))
    assert [h.header("host") for h in recorder.hits] == ["widgets.test"]


def test_allowed_connect_is_tunnelled(
    make_proxy: Callable[..., _Proxy], recorder: Recorder
) -> None:
    p = make_proxy(["widgets.test"], ["widgets.test"], test_hosts={"widgets.test": recorder.port})
    answer = p.send(_connect("widgets.test:80") + _get("/through", "widgets.test"), heads=2)
    assert answer.startswith(b"HTTP/1.1 200 Connection Established\r\n\r\nHTTP/1.1 200")
    assert recorder.hits[0].path == "/through"


def test_connect_to_an_https_only_host_on_its_port_is_allowed(
    make_proxy: Callable[..., _Proxy], recorder: Recorder
) -> None:
    p = make_proxy(["widgets.test"], test_hosts={"widgets.test": recorder.port})
    assert p.send(_connect("widgets.test:443"), heads=1).startswith(b"HTTP/1.1 200")
    assert p.send(_connect("widgets.test:80")).startswith(b"HTTP/1.1 403")
    assert p.rules == ["port-not-allowed"]


# --- what it refuses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        (_get("http://evil.test/x", "evil.test"), "not-allowlisted"),
        (_connect("evil.test:443"), "not-allowlisted"),
        (_connect("127.0.0.1:{port}"), "ip-literal"),
        (_connect("[::1]:{port}"), "ip-literal"),
        (_get("http://127.0.0.1:{port}/", "127.0.0.1"), "ip-literal"),
        (_get("http://0x7f.1:{port}/", "x"), "ip-literal"),
        (_connect("api.localhost:{port}"), "special-use-name"),
        (_get("http://localhost:{port}/", "localhost"), "special-use-name"),
        (_connect("printer.local:443"), "special-use-name"),
        (_get("https://widgets.test/", "widgets.test"), "malformed"),
        (_connect("widgets.test"), "malformed"),
        (_connect("user@widgets.test:443"), "malformed"),
        (_get("/relative", "widgets.test"), "malformed"),
    ],
    ids=[
        "http-unlisted", "connect-unlisted", "connect-loopback-v4", "connect-loopback-v6",
        "http-ip", "http-hex-ip", "connect-localhost-sub", "http-localhost", "connect-mdns",
        "absolute-https", "connect-no-port", "connect-userinfo", "origin-form",
    ],
)  # fmt: skip
def test_refused_connection_reaches_nothing_and_is_reported(
    raw: bytes, rule: str, make_proxy: Callable[..., _Proxy], recorder: Recorder
) -> None:
    p = make_proxy(["widgets.test"], ["widgets.test"], test_hosts={"evil.test": recorder.port})
    answer = p.send(raw.replace(b"{port}", str(recorder.port).encode()))
    assert answer.startswith(b"HTTP/1.1 403")
    assert p.rules == [rule]
    assert p.refusals[0][3] == "connect"
    assert recorder.contacts == 0


@pytest.mark.parametrize(
    "answer", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "::1", "::ffff:127.0.0.1", "fd00::2"]
)
def test_listed_name_resolving_to_a_local_address_is_refused(
    answer: str, make_proxy: Callable[..., _Proxy], recorder: Recorder
) -> None:
    p = make_proxy(
        ["api.example.com"], ["api.example.com"],
        resolver=lambda host, port: [ipaddress.ip_address(answer)],
    )  # fmt: skip
    assert p.send(_connect("api.example.com:443")).startswith(b"HTTP/1.1 403")
    assert p.send(_get("http://api.example.com/", "api.example.com")).startswith(b"HTTP/1.1 403")
    assert p.rules == ["private-address", "private-address"]
    assert "api.example.com resolves to" in p.refusals[0][2]
    assert recorder.contacts == 0


def test_one_local_answer_among_public_ones_refuses_the_name(
    make_proxy: Callable[..., _Proxy],
) -> None:
    answers = [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("127.0.0.1")]
    p = make_proxy(["api.example.com"], resolver=lambda host, port: answers)
    assert p.send(_connect("api.example.com:443")).startswith(b"HTTP/1.1 403")
    assert p.rules == ["private-address"]


def test_test_dns_answer_is_vetted_and_never_connected(
    make_proxy: Callable[..., _Proxy], recorder: Recorder
) -> None:
    p = make_proxy(
        ["rebind.test"], ["rebind.test"],
        test_dns={"rebind.test": (ipaddress.ip_address("127.0.0.1"), recorder.port)},
    )  # fmt: skip
    assert p.send(_get("http://rebind.test/x", "rebind.test")).startswith(b"HTTP/1.1 403")
    assert p.rules == ["private-address"]
    assert recorder.contacts == 0


def test_test_host_map_applies_to_dot_test_names_only(
    make_proxy: Callable[..., _Proxy], recorder: Recorder
) -> None:
    p = make_proxy(
        ["api.example.com"], ["api.example.com"],
        test_hosts={"api.example.com": recorder.port},
        resolver=lambda host, port: [ipaddress.ip_address("127.0.0.1")],
    )  # fmt: skip
    assert p.send(_get("http://api.example.com/", "api.example.com")).startswith(b"HTTP/1.1 403")
    assert recorder.contacts == 0


def test_unresolvable_allowed_host_answers_502_without_a_refusal(
    make_proxy: Callable[..., _Proxy],
) -> None:
    p = make_proxy(["api.example.com"], resolver=lambda host, port: [])
    assert p.send(_connect("api.example.com:443")).startswith(b"HTTP/1.1 502")
    assert p.refusals == []


def test_oversized_head_is_dropped(make_proxy: Callable[..., _Proxy], recorder: Recorder) -> None:
    p = make_proxy(
        ["widgets.test"], ["widgets.test"], test_hosts={"widgets.test": recorder.port},
        limits=EgressLimits(max_head_bytes=1024),
    )  # fmt: skip
    raw = b"GET http://widgets.test/ HTTP/1.1\r\nX: " + b"a" * 4096 + b"\r\n\r\n"
    try:
        answer = p.send(raw)
    except ConnectionResetError:
        answer = b""
    assert not answer.startswith(b"HTTP/1.1 200")
    assert recorder.contacts == 0


# --- liveness ---------------------------------------------------------------------------------


def test_check_live_passes_for_the_running_proxy(make_proxy: Callable[..., _Proxy]) -> None:
    make_proxy().proxy.check_live()


def test_check_live_fails_once_the_proxy_is_closed(make_proxy: Callable[..., _Proxy]) -> None:
    p = make_proxy()
    p.proxy.close()
    with pytest.raises(EgressUnavailableError, match="not answering"):
        p.proxy.check_live()


def test_check_live_fails_when_something_else_answers_on_the_port(
    make_proxy: Callable[..., _Proxy], recorder: Recorder
) -> None:
    p = make_proxy()
    p.proxy.close()
    p.proxy.port = recorder.port  # a foreign server where the proxy should be
    with pytest.raises(EgressUnavailableError, match="something else"):
        p.proxy.check_live()


def test_probe_without_the_token_is_not_answered_as_live(
    make_proxy: Callable[..., _Proxy],
) -> None:
    p = make_proxy()
    answer = p.send(b"OPTIONS * HTTP/1.1\r\nx-superapp-egress: guess\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")


def test_check_live_before_start_fails() -> None:
    proxy = EgressProxy(NetPolicy.from_manifest(APP, []), lambda *r: None)
    with pytest.raises(EgressUnavailableError, match="never started"):
        proxy.check_live()


# --- engine switches and test seams -------------------------------------------------------------


def test_engine_switches_force_the_proxy_with_no_loopback_bypass() -> None:
    switches = _env.engine_switches({}, proxy_port=4321)
    assert "--proxy-server=http://127.0.0.1:4321" in switches
    assert "--proxy-bypass-list=<-loopback>" in switches
    assert "--force-webrtc-ip-handling-policy=disable_non_proxied_udp" in switches
    assert not any(s.startswith("--host-resolver-rules") for s in switches)


def test_engine_switches_need_a_proxy_port() -> None:
    with pytest.raises(ValueError, match="no port"):
        _env.egress_switches(0)


def test_test_maps_accept_dot_test_names_only() -> None:
    env = {
        "SUPERAPP_TEST_HOSTS": "widgets.test=8080,api.example.com=80,bad.test=x,big.test=99999",
        "SUPERAPP_TEST_DNS": "rebind.test=127.0.0.1/9000,v6.test=::1,evil.com=127.0.0.1",
    }
    assert _env.test_host_map(env) == {"widgets.test": 8080}
    assert _env.test_dns_map(env) == {
        "rebind.test": (ipaddress.ip_address("127.0.0.1"), 9000),
        "v6.test": (ipaddress.ip_address("::1"), None),
    }
    assert _env.test_host_map({}) == {} and _env.test_dns_map({}) == {}


def test_limits_are_frozen() -> None:
    limits = EgressLimits()
    with pytest.raises(AttributeError):
        limits.max_connections = 1  # type: ignore[misc]
    assert replace(limits, max_connections=1).max_connections == 1
