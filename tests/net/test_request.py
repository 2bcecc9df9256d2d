"""``net.request`` against real servers on 127.0.0.1: what it sends, and every way it refuses.

Loopback is reachable here only through the paths the policy documents: an IP literal the
allowlist names exactly (``127.0.0.1:<port>``), or a name listed exactly with the operator
switch ``private_names_allowed`` and a resolver seam that answers 127.0.0.1. The rebinding
defence itself is tested with that seam: the same name is refused without the switch.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bridge.capabilities import net
from bridge.context import CallContext
from bridge.errors import (
    BridgeError,
    InvalidParamsError,
    NetworkBlockedError,
    PayloadTooLargeError,
    RateLimitedError,
)
from superapp.audit import AuditLog
from superapp.net import IPAddress, NetClient, NetError, NetLimits, NetPolicy, NetRequest
from tests.helpers.recorder import Recorder
from tests.helpers.tls import make_tls

APP = "com.example.netapp"
LOOPBACK = ipaddress.ip_address("127.0.0.1")

MakeCtx = Callable[..., CallContext]


def _ctx(
    make_ctx: MakeCtx,
    allowed: Sequence[str],
    http: Sequence[str] = (),
    *,
    limits: NetLimits | None = None,
    resolver: Callable[[str, int], Sequence[IPAddress]] | None = None,
    tls: Any = None,
) -> CallContext:
    ctx = make_ctx(APP, tuple(allowed))
    policy = NetPolicy.from_manifest(APP, allowed, http)
    ctx.set_resource(net.POLICY_RESOURCE, policy)
    kwargs: dict[str, Any] = {"limits": limits or NetLimits()}
    if resolver is not None:
        kwargs["resolver"] = resolver
    if tls is not None:
        kwargs["ssl_context"] = tls
    ctx.set_resource(net.CLIENT_RESOURCE, NetClient(policy, ctx.audit, **kwargs))
    return ctx


def _call(ctx: CallContext, **params: Any) -> net.HttpResponse:
    return net.request(ctx, net.NetRequestParams.model_validate(params))


def _listed(*recs: Recorder) -> tuple[list[str], list[str]]:
    hosts = [r.netloc for r in recs]
    return hosts, hosts


def _blocked_events(audit: AuditLog) -> list[dict[str, Any]]:
    return [dict(e["superapp"]) for e in audit.events() if e["event"]["action"] == "net.blocked"]


def _resolver_to(ip: str, calls: list[str] | None = None) -> Callable[[str, int], list[IPAddress]]:
    def resolve(host: str, port: int) -> list[IPAddress]:
        if calls is not None:
            calls.append(host)
        return [ipaddress.ip_address(ip)]

    return resolve


# --- what it sends and returns -----------------------------------------------------------


def test_get_to_listed_loopback_address_returns_status_headers_and_body(
    make_ctx: MakeCtx, recorder: Recorder
) -> None:
    ctx = _ctx(make_ctx, *_listed(recorder))
    resp = _call(ctx, url=recorder.url("/echo?x=1"), headers={"X-Api-Key": "k1"})
    assert (resp.status, resp.status_text, resp.redirected) == (200, "OK", False)
    assert resp.url == recorder.url("/echo?x=1")
    assert resp.headers["content-type"] == "application/json"
    echo = json.loads(resp.body)
    sent = {k.lower(): v for k, v in echo["headers"]}
    assert sent["host"] == recorder.netloc
    assert sent["x-api-key"] == "k1"
    assert sent["accept-encoding"] == "identity"
    assert sent["user-agent"].startswith("superapp-net/")
    assert "cookie" not in sent and "authorization" not in sent
    assert recorder.hits[0].path == "/echo?x=1"


def test_post_text_and_base64_bodies_arrive_intact(make_ctx: MakeCtx, recorder: Recorder) -> None:
    ctx = _ctx(make_ctx, *_listed(recorder))
    _call(
        ctx,
        url=recorder.url("/t"),
        method="POST",
        body="héllo",
        headers={"Content-Type": "text/plain"},
    )
    _call(ctx, url=recorder.url("/b"), method="PUT", body=base64.b64encode(b"\x00\xff").decode(),
          bodyEncoding="base64")  # fmt: skip
    text, binary = recorder.wait_for_hits(2)
    assert (text.method, text.body) == ("POST", "héllo".encode())
    assert (binary.method, binary.body) == ("PUT", b"\x00\xff")


def test_binary_response_as_base64(make_ctx: MakeCtx, recorder: Recorder) -> None:
    ctx = _ctx(make_ctx, *_listed(recorder))
    resp = _call(ctx, url=recorder.url("/pixel.png"), responseType="base64")
    assert resp.body_encoding == "base64"
    assert base64.b64decode(resp.body).startswith(b"\x89PNG")


def test_result_serialises_with_camel_case_names(make_ctx: MakeCtx, recorder: Recorder) -> None:
    ctx = _ctx(make_ctx, *_listed(recorder))
    dumped = _call(ctx, url=recorder.url("/a.txt")).model_dump(mode="json")
    assert set(dumped) == {
        "status", "statusText", "url", "redirected", "headers", "body", "bodyEncoding",
    }  # fmt: skip


# --- the allowlist ------------------------------------------------------------------------


def test_unlisted_url_is_blocked_audited_and_nothing_is_sent(
    make_ctx: MakeCtx, recorder: Recorder, audit: AuditLog, home: Any
) -> None:
    ctx = _ctx(make_ctx, ["api.example.com"])
    target = recorder.url("/steal?d=1")
    with pytest.raises(NetworkBlockedError) as err:
        _call(ctx, url=target)
    assert err.value.code == "NETWORK_BLOCKED"
    assert target in err.value.message
    assert str(home.data) not in err.value.message
    assert recorder.hits == []
    (event,) = _blocked_events(audit)
    assert event["app_id"] == APP
    assert (event["url"], event["rule"], event["via"]) == (target, "ip-literal", "net.request")


def test_file_url_is_blocked_and_audited(make_ctx: MakeCtx, audit: AuditLog) -> None:
    ctx = _ctx(make_ctx, ["api.example.com"])
    with pytest.raises(NetworkBlockedError, match="file:///etc/passwd"):
        _call(ctx, url="file:///etc/passwd")
    assert _blocked_events(audit)[0]["rule"] == "scheme-file"


def test_own_origin_is_not_a_network_url(make_ctx: MakeCtx) -> None:
    ctx = _ctx(make_ctx, ["api.example.com"])
    with pytest.raises(InvalidParamsError, match="http: and https:"):
        _call(ctx, url=f"app://{APP}/data.json")


def test_http_to_a_host_not_opted_in_is_blocked(make_ctx: MakeCtx, recorder: Recorder) -> None:
    ctx = _ctx(make_ctx, [recorder.netloc], [])
    with pytest.raises(NetworkBlockedError, match="allow_http_hosts"):
        _call(ctx, url=recorder.url("/x"))
    assert recorder.hits == []


# --- redirects --------------------------------------------------------------------------


def test_redirect_to_unlisted_host_is_refused_and_second_hop_gets_nothing(
    make_ctx: MakeCtx, recorder_factory: Callable[..., Recorder], audit: AuditLog
) -> None:
    allowed, evil = recorder_factory(), recorder_factory()
    ctx = _ctx(make_ctx, *_listed(allowed))
    stolen = evil.url("/stolen?token=1")
    with pytest.raises(NetworkBlockedError) as err:
        _call(ctx, url=allowed.url(f"/redirect?to={stolen}"))
    assert stolen in err.value.message
    assert [h.path for h in allowed.hits] == [f"/redirect?to={stolen}"]
    assert evil.hits == []
    (event,) = _blocked_events(audit)
    assert (event["url"], event["rule"]) == (stolen, "port-not-allowed")


def test_redirect_within_the_allowlist_is_followed(
    make_ctx: MakeCtx, recorder_factory: Callable[..., Recorder]
) -> None:
    first, second = recorder_factory(), recorder_factory()
    ctx = _ctx(make_ctx, *_listed(first, second))
    resp = _call(ctx, url=first.url(f"/redirect?to={second.url('/final.json')}&code=307"))
    assert (resp.status, resp.redirected, resp.url) == (200, True, second.url("/final.json"))
    assert second.hits[0].path == "/final.json"


def test_303_turns_post_into_get_without_body(make_ctx: MakeCtx, recorder: Recorder) -> None:
    ctx = _ctx(make_ctx, *_listed(recorder))
    _call(ctx, url=recorder.url("/redirect?to=/echo&code=303"), method="POST", body="x")
    post, get = recorder.wait_for_hits(2)
    assert (post.method, get.method, get.body) == ("POST", "GET", b"")


def test_authorization_is_dropped_on_cross_origin_redirect_only(
    make_ctx: MakeCtx, recorder_factory: Callable[..., Recorder]
) -> None:
    first, second = recorder_factory(), recorder_factory()
    ctx = _ctx(make_ctx, *_listed(first, second))
    auth = {"Authorization": "Bearer app-token"}
    _call(ctx, url=first.url("/redirect?to=/same"), headers=auth)
    _call(ctx, url=first.url(f"/redirect?to={second.url('/other')}"), headers=auth)
    hop1, same, hop2 = first.hits
    assert [h.header("Authorization") for h in (hop1, same, hop2)] == ["Bearer app-token"] * 3
    assert same.path == "/same"
    (other,) = second.hits
    assert other.path == "/other" and other.header("Authorization") is None


def test_redirect_loop_stops_at_the_limit(make_ctx: MakeCtx, recorder: Recorder) -> None:
    recorder.route("/loop", status=302, headers={"Location": "/loop"})
    ctx = _ctx(make_ctx, *_listed(recorder), limits=NetLimits(max_redirects=3))
    with pytest.raises(net.NetworkFailedError, match="more than 3 redirects"):
        _call(ctx, url=recorder.url("/loop"))
    assert len(recorder.hits) == 4


def test_manual_redirect_returns_the_3xx_without_following(
    make_ctx: MakeCtx, recorder: Recorder
) -> None:
    ctx = _ctx(make_ctx, *_listed(recorder))
    resp = _call(ctx, url=recorder.url("/redirect?to=https://evil.test/"), redirect="manual")
    assert (resp.status, resp.headers["location"]) == (302, "https://evil.test/")
    assert len(recorder.hits) == 1


# --- DNS: rebinding and vetted addresses -------------------------------------------------


def test_dns_rebinding_public_name_resolving_to_loopback_is_refused(
    make_ctx: MakeCtx, recorder: Recorder, audit: AuditLog
) -> None:
    name = f"api.example.com:{recorder.port}"
    ctx = _ctx(make_ctx, [name], [name], resolver=_resolver_to("127.0.0.1"))
    with pytest.raises(NetworkBlockedError, match=r"private address 127\.0\.0\.1"):
        _call(ctx, url=f"http://{name}/data")
    assert recorder.hits == []
    assert _blocked_events(audit)[0]["rule"] == "private-address"


@pytest.mark.parametrize(
    "answer", ["10.0.0.1", "169.254.169.254", "::1", "::ffff:127.0.0.1", "fd00::1"]
)
def test_wildcard_name_never_reaches_a_private_address(make_ctx: MakeCtx, answer: str) -> None:
    limits = NetLimits(private_names_allowed=True)
    ctx = _ctx(make_ctx, ["*.example.com"], limits=limits, resolver=_resolver_to(answer))
    with pytest.raises(NetworkBlockedError, match="private address"):
        _call(ctx, url="https://evil.example.com/")


@pytest.mark.parametrize("answer", ["0.0.0.0", "224.0.0.1", "::"])  # noqa: S104 - DNS answers
def test_forbidden_answer_is_refused_even_for_a_listed_name(make_ctx: MakeCtx, answer: str) -> None:
    limits = NetLimits(private_names_allowed=True)
    ctx = _ctx(make_ctx, ["api.example.com"], limits=limits, resolver=_resolver_to(answer))
    with pytest.raises(NetworkBlockedError, match="never reachable"):
        _call(ctx, url="https://api.example.com/")


def test_one_bad_answer_among_good_ones_refuses_the_request(make_ctx: MakeCtx) -> None:
    def resolve(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("93.184.215.14"), LOOPBACK]

    ctx = _ctx(make_ctx, ["api.example.com"], resolver=resolve)
    with pytest.raises(NetworkBlockedError, match=r"127\.0\.0\.1"):
        _call(ctx, url="https://api.example.com/")


def test_listed_name_connects_to_the_vetted_address_once_resolved(
    make_ctx: MakeCtx, recorder: Recorder
) -> None:
    """The operator switch for intranets: resolved once, connected by address, Host = name."""
    name = f"intranet.example.com:{recorder.port}"
    calls: list[str] = []
    ctx = _ctx(
        make_ctx,
        [name],
        [name],
        limits=NetLimits(private_names_allowed=True),
        resolver=_resolver_to("127.0.0.1", calls),
    )
    resp = _call(ctx, url=f"http://{name}/echo")
    assert resp.status == 200
    assert calls == ["intranet.example.com"]
    assert recorder.hits[0].header("Host") == name


def test_https_verifies_the_certificate_against_the_name_via_sni(
    make_ctx: MakeCtx, recorder_factory: Callable[..., Recorder]
) -> None:
    tls = make_tls("api.example.com")
    rec = recorder_factory(ssl_context=tls.server_context)
    name = f"api.example.com:{rec.port}"
    common: dict[str, Any] = {
        "limits": NetLimits(private_names_allowed=True),
        "resolver": _resolver_to("127.0.0.1"),
        "tls": tls.client_context,
    }
    ctx = _ctx(make_ctx, [name], **common)
    resp = _call(ctx, url=f"https://{name}/hello.txt")
    assert (resp.status, resp.body) == (200, "ok")
    assert rec.hits[0].header("Host") == name

    other = f"other.example.com:{rec.port}"
    ctx2 = _ctx(make_ctx, [other], **common)
    with pytest.raises(net.NetworkFailedError, match=r"TLS certificate of other\.example\.com"):
        _call(ctx2, url=f"https://{other}/hello.txt")
    assert len(rec.hits) == 1


def test_unresolvable_name_fails_cleanly(make_ctx: MakeCtx) -> None:
    def resolve(host: str, port: int) -> list[IPAddress]:
        raise OSError("no such host")

    ctx = _ctx(make_ctx, ["api.example.com"], resolver=resolve)
    with pytest.raises(net.NetworkFailedError, match=r"could not resolve api\.example\.com"):
        _call(ctx, url="https://api.example.com/")


# --- limits ------------------------------------------------------------------------------


def test_timeout_ends_a_request_the_server_never_answers(
    make_ctx: MakeCtx, recorder: Recorder
) -> None:
    ctx = _ctx(make_ctx, *_listed(recorder))
    with pytest.raises(net.NetworkFailedError, match="timed out"):
        _call(ctx, url=recorder.url("/hang"), timeoutMs=200)
    assert recorder.hits[0].path == "/hang"


def test_timeout_above_the_maximum_is_invalid(make_ctx: MakeCtx) -> None:
    with pytest.raises(ValidationError):
        net.NetRequestParams.model_validate({"url": "https://a.example/", "timeoutMs": 10**7})


def test_response_over_the_cap_is_refused(make_ctx: MakeCtx, recorder: Recorder) -> None:
    limits = NetLimits(max_response_bytes=1000)
    ctx = _ctx(make_ctx, *_listed(recorder), limits=limits)
    assert len(_call(ctx, url=recorder.url("/bytes/1000")).body) == 1000
    with pytest.raises(PayloadTooLargeError, match="larger than 1000 bytes"):
        _call(ctx, url=recorder.url("/bytes/1001"))


def test_response_over_the_cap_without_content_length_is_refused(
    make_ctx: MakeCtx, recorder: Recorder
) -> None:
    limits = NetLimits(max_response_bytes=10_000, read_chunk_bytes=1024)
    ctx = _ctx(make_ctx, *_listed(recorder), limits=limits)
    assert len(_call(ctx, url=recorder.url("/stream/10000")).body) == 10_000
    with pytest.raises(PayloadTooLargeError, match="larger than 10000 bytes"):
        _call(ctx, url=recorder.url("/stream/50000"))


def test_request_body_over_the_cap_is_refused_before_sending(
    make_ctx: MakeCtx, recorder: Recorder
) -> None:
    ctx = _ctx(make_ctx, *_listed(recorder), limits=NetLimits(max_request_body_bytes=10))
    with pytest.raises(PayloadTooLargeError):
        _call(ctx, url=recorder.url("/up"), method="POST", body="x" * 11)
    assert recorder.hits == []


def test_concurrency_cap_refuses_the_next_call_at_once(
    make_ctx: MakeCtx, recorder_factory: Callable[..., Recorder]
) -> None:
    rec = recorder_factory()
    ctx = _ctx(make_ctx, *_listed(rec), limits=NetLimits(max_concurrent=1))
    outcome: list[BaseException] = []

    def hang() -> None:
        try:
            _call(ctx, url=rec.url("/hang"))
        except BridgeError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=hang)
    worker.start()
    rec.wait_for_hits(1)
    with pytest.raises(RateLimitedError, match="at most 1"):
        _call(ctx, url=rec.url("/second"))
    rec.close()
    worker.join()
    assert len(outcome) == 1
    assert [h.path for h in rec.hits] == ["/hang"]


# --- headers and cookies -----------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["Cookie", "Host", "Transfer-Encoding", "Connection", "Content-Length", "Proxy-Authorization",
     "Sec-Fetch-Site", "Origin", "Referer", "X-HTTP-Method-Override", "Upgrade"],
)  # fmt: skip
def test_forbidden_request_header_is_invalid_and_nothing_is_sent(
    make_ctx: MakeCtx, recorder: Recorder, header: str
) -> None:
    ctx = _ctx(make_ctx, *_listed(recorder))
    with pytest.raises(InvalidParamsError, match=f"the {header} header"):
        _call(ctx, url=recorder.url("/x"), headers={header: "v"})
    assert recorder.hits == []


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X-A": "v\r\nX-Injected: 1"}, "value of header X-A"),
        ({"Bad Name": "v"}, "not a valid header name"),
        ({"X-A": "1", "x-a": "2"}, "given twice"),
    ],
    ids=["crlf-injection", "space-in-name", "duplicate"],
)
def test_malformed_headers_are_invalid(
    make_ctx: MakeCtx, recorder: Recorder, headers: dict[str, str], message: str
) -> None:
    ctx = _ctx(make_ctx, *_listed(recorder))
    with pytest.raises(InvalidParamsError, match=message):
        _call(ctx, url=recorder.url("/x"), headers=headers)
    assert recorder.hits == []


def test_no_cookies_are_kept_or_returned(make_ctx: MakeCtx, recorder: Recorder) -> None:
    ctx = _ctx(make_ctx, *_listed(recorder))
    resp = _call(ctx, url=recorder.url("/set-cookie"))
    assert "set-cookie" not in resp.headers
    _call(ctx, url=recorder.url("/echo"))
    assert recorder.hits[1].header("Cookie") is None


def test_get_with_a_body_is_invalid(make_ctx: MakeCtx, recorder: Recorder) -> None:
    ctx = _ctx(make_ctx, *_listed(recorder))
    with pytest.raises(InvalidParamsError, match="GET request cannot have a body"):
        _call(ctx, url=recorder.url("/x"), body="b")


def test_bad_base64_body_is_invalid(make_ctx: MakeCtx, recorder: Recorder) -> None:
    ctx = _ctx(make_ctx, *_listed(recorder))
    with pytest.raises(InvalidParamsError, match="base64"):
        _call(ctx, url=recorder.url("/x"), method="POST", body="!!", bodyEncoding="base64")


@pytest.mark.parametrize(
    "params",
    [
        {"url": "https://a.example/", "method": "CONNECT"},
        {"url": "https://a.example/", "method": "TRACE"},
        {"url": "https://a.example/", "cookieJar": True},
        {"url": ""},
        {"url": 5},
    ],
    ids=["connect", "trace", "unknown-field", "empty-url", "url-not-string"],
)
def test_params_model_refuses_bad_params(params: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        net.NetRequestParams.model_validate(params)


# --- wiring -------------------------------------------------------------------------------


def test_apis_table_exports_net_request() -> None:
    assert dict(net.APIS) == {"net.request": (net.NetRequestParams, net.request)}


def test_default_policy_comes_from_ctx_allowed_hosts_https_only(
    make_ctx: MakeCtx, recorder: Recorder
) -> None:
    ctx = make_ctx(APP, (recorder.netloc,))
    client = net.client_for(ctx)
    assert client is net.client_for(ctx)
    assert client.policy.app_id == APP
    with pytest.raises(NetworkBlockedError, match="allow_http_hosts"):
        _call(ctx, url=recorder.url("/x"))


def test_each_app_gets_its_own_client(make_ctx: MakeCtx) -> None:
    a, b = make_ctx("com.example.a", ("a.example.com",)), make_ctx("com.example.b", ())
    assert net.client_for(a) is not net.client_for(b)
    assert net.client_for(b).policy.entries == ()


def test_limits_are_frozen() -> None:
    limits = NetLimits()
    with pytest.raises(AttributeError):
        limits.max_redirects = 100  # type: ignore[misc]
    assert replace(limits, max_redirects=1).max_redirects == 1


# --- redirect targets resolved as the browser resolves them ---------------------------------


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/next?a=1", "https://api.example.com/next?a=1"),
        ("next", "https://api.example.com/v1/next"),
        ("//evil.test/x", "https://evil.test/x"),
        ("\\\\evil.test/x", "https://evil.test/x"),
        ("https:\\\\evil.test/x", "https:\\\\evil.test/x"),
        ("https:/\\evil.test/x", "https:/\\evil.test/x"),
        ("https:next", "https://api.example.com/v1/next"),
        ("http:evil.test", "http:evil.test"),
        ("/a\\b?c\\d", "https://api.example.com/a/b?c\\d"),
        (" \t/sp", "https://api.example.com/sp"),
        ("javascript:alert(1)", "javascript:alert(1)"),
    ],
)
def test_location_is_resolved_like_the_browser(location: str, expected: str) -> None:
    from superapp.net import resolve_location
    from superapp.net._url import parse_authority

    base = parse_authority("https", "//api.example.com/v1/page")
    assert resolve_location(base, location) == expected


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{evil}/x",
        "//127.0.0.1:{evil}/x",
        "\\\\127.0.0.1:{evil}/x",
        "http:\\\\127.0.0.1:{evil}/x",
        "http://{allowed}@127.0.0.1:{evil}/x",
        "http://0x7f.1:{evil}/x",
        "http://2130706433:{evil}/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "app://other.app/",
    ],
)
def test_tricky_redirect_to_unlisted_target_reaches_nothing(
    make_ctx: MakeCtx, recorder_factory: Callable[..., Recorder], audit: AuditLog, location: str
) -> None:
    allowed, evil = recorder_factory(), recorder_factory()
    allowed.route(
        "/go",
        status=302,
        headers={"Location": location.format(evil=evil.port, allowed=allowed.netloc)},
    )
    ctx = _ctx(make_ctx, *_listed(allowed))
    with pytest.raises(NetworkBlockedError):
        _call(ctx, url=allowed.url("/go"))
    assert [h.path for h in allowed.hits] == ["/go"]
    assert evil.hits == []
    assert len(_blocked_events(audit)) == 1


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    headers=st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=5),
    method=st.text(max_size=8),
    body=st.none() | st.binary(max_size=64),
    url=st.text(max_size=60),
)
def test_any_request_fails_only_with_a_net_error_and_reaches_no_unlisted_host(
    headers: dict[str, str], method: str, body: bytes | None, url: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        audit = AuditLog(Path(tmp) / "audit.jsonl")
        resolved: list[str] = []

        def resolve(host: str, port: int) -> list[IPAddress]:
            resolved.append(host)
            return []  # "could not resolve": nothing is ever sent

        client = NetClient(
            NetPolicy.from_manifest(APP, ["api.example.com"]), audit, resolver=resolve
        )
        req = NetRequest(url=url, method=method, headers=headers, body=body, timeout_s=1)
        with pytest.raises(NetError):
            client.request(req)
        assert all(host == "api.example.com" for host in resolved)
