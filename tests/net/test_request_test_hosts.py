"""``net.request``'s test-only host map (``SUPERAPP_TEST_HOSTS``, as the egress proxy has it).

The end-to-end tests allowlist real host names (``widgets.test``) served by recording servers
on 127.0.0.1. The map sends exactly those ``.test`` names to loopback, after the policy has
allowed them; everything else is resolved and vetted as in production, so a client without
the map (every production runtime) still refuses a name that resolves to loopback.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from bridge.capabilities import net
from bridge.context import CallContext
from bridge.errors import NetworkBlockedError
from superapp.audit import AuditLog
from superapp.net import IPAddress, NetClient, NetPolicy
from tests.helpers.recorder import Recorder
from tests.helpers.tls import make_tls

APP = "com.example.netapp"
MakeCtx = Callable[..., CallContext]


def _to_loopback(host: str, port: int) -> list[IPAddress]:
    """A resolver that answers 127.0.0.1 for every name (a developer's ``*.test`` set-up, or
    DNS rebinding)."""
    return [ipaddress.ip_address("127.0.0.1")]


def _ctx(
    make_ctx: MakeCtx,
    allowed: Sequence[str],
    test_hosts: dict[str, int] | None,
    *,
    http: Sequence[str] = (),
) -> CallContext:
    """A context as the runtime seeds it (the policy, and the map only when given), with a
    client whose resolver answers loopback for every name."""
    ctx = make_ctx(APP, tuple(allowed))
    policy = NetPolicy.from_manifest(APP, allowed, http)
    ctx.set_resource(net.POLICY_RESOURCE, policy)
    client = NetClient(policy, ctx.audit, resolver=_to_loopback, test_hosts=test_hosts)
    ctx.set_resource(net.CLIENT_RESOURCE, client)
    return ctx


def _call(ctx: CallContext, **params: Any) -> net.HttpResponse:
    return net.request(ctx, net.NetRequestParams.model_validate(params))


def _blocked(audit: AuditLog) -> list[dict[str, Any]]:
    return [dict(e["superapp"]) for e in audit.events() if e["event"]["action"] == "net.blocked"]


def test_mapped_test_host_reaches_its_loopback_server_by_name(
    make_ctx: MakeCtx, recorder: Recorder
) -> None:
    # The client net.request builds itself (``client_for``) from the map the runtime seeds;
    # the system resolver knows no widgets.test, so only the map can reach the server.
    ctx = make_ctx(APP, ("widgets.test",))
    ctx.set_resource(
        net.POLICY_RESOURCE, NetPolicy.from_manifest(APP, ["widgets.test"], ["widgets.test"])
    )
    ctx.set_resource(net.TEST_HOSTS_RESOURCE, {"widgets.test": recorder.port})
    resp = _call(ctx, url="http://widgets.test/ping")
    assert resp.status == 200
    assert resp.url == "http://widgets.test/ping"
    (hit,) = recorder.hits
    assert hit.path == "/ping"
    # The URL's authority, not the loopback port: the server sees what a real one would.
    assert hit.header("Host") == "widgets.test"


def test_mapped_https_test_host_verifies_the_certificate_against_the_name(
    make_ctx: MakeCtx, recorder_factory: Callable[..., Recorder]
) -> None:
    tls = make_tls("widgets.test")
    rec = recorder_factory(ssl_context=tls.server_context)
    ctx = make_ctx(APP, ("widgets.test",))
    policy = NetPolicy.from_manifest(APP, ["widgets.test"])
    ctx.set_resource(net.POLICY_RESOURCE, policy)
    ctx.set_resource(
        net.CLIENT_RESOURCE,
        NetClient(
            policy, ctx.audit, ssl_context=tls.client_context, test_hosts={"widgets.test": rec.port}
        ),
    )
    resp = _call(ctx, url="https://widgets.test/hello.txt")
    assert (resp.status, resp.body) == (200, "ok")
    assert rec.hits[0].header("Host") == "widgets.test"

    # Another allowlisted name mapped to the same server: the certificate does not name it.
    other = make_ctx(APP, ("other.test",))
    other_policy = NetPolicy.from_manifest(APP, ["other.test"])
    other.set_resource(net.POLICY_RESOURCE, other_policy)
    other.set_resource(
        net.CLIENT_RESOURCE,
        NetClient(
            other_policy, other.audit, ssl_context=tls.client_context,
            test_hosts={"other.test": rec.port},
        ),
    )  # fmt: skip
    with pytest.raises(Exception, match="certificate") as info:
        _call(other, url="https://other.test/hello.txt")
    assert getattr(info.value, "code", None) == "NETWORK_BLOCKED"
    assert len(rec.hits) == 1


def test_without_the_map_a_test_name_resolving_to_loopback_is_refused(
    make_ctx: MakeCtx, recorder: Recorder, audit: AuditLog
) -> None:
    # The recorder's port is listed, so the policy allows the URL and the address check is
    # what refuses it.
    listed = f"widgets.test:{recorder.port}"
    ctx = _ctx(make_ctx, [listed], None, http=[listed])
    with pytest.raises(NetworkBlockedError):
        _call(ctx, url=f"http://{listed}/ping")
    assert recorder.contacts == 0
    (event,) = _blocked(audit)
    assert event["rule"] == "private-address"


@pytest.mark.parametrize(
    "name", ["api.example.com", "widgets.test.example.com", "test"], ids=["real", "suffix", "tld"]
)
def test_map_entries_outside_the_test_domain_are_ignored(
    make_ctx: MakeCtx, recorder: Recorder, audit: AuditLog, name: str
) -> None:
    ctx = _ctx(make_ctx, [name], {name: recorder.port}, http=[name])
    with pytest.raises(NetworkBlockedError):
        _call(ctx, url=f"http://{name}/ping")
    assert recorder.contacts == 0
    assert [e["rule"] for e in _blocked(audit)] == ["private-address"]


def test_mapped_name_the_policy_does_not_allow_is_refused_before_any_connection(
    make_ctx: MakeCtx, recorder: Recorder, audit: AuditLog
) -> None:
    ctx = _ctx(
        make_ctx, ["widgets.test"], {"widgets.test": recorder.port, "evil.test": recorder.port},
        http=["widgets.test"],
    )  # fmt: skip
    with pytest.raises(NetworkBlockedError):
        _call(ctx, url="http://evil.test/steal")
    # An app allowing no network at all: nothing is mapped for it either.
    none = _ctx(make_ctx, [], {"widgets.test": recorder.port})
    with pytest.raises(NetworkBlockedError):
        _call(none, url="http://widgets.test/ping")
    assert recorder.contacts == 0
    assert len(_blocked(audit)) == 2


def test_redirect_from_a_mapped_host_to_loopback_is_refused(
    make_ctx: MakeCtx, recorder_factory: Callable[..., Recorder], audit: AuditLog
) -> None:
    target = recorder_factory()
    rec = recorder_factory()
    rec.route("/go", status=302, headers={"Location": target.url("/inside")})
    ctx = _ctx(make_ctx, ["widgets.test"], {"widgets.test": rec.port}, http=["widgets.test"])
    with pytest.raises(NetworkBlockedError):
        _call(ctx, url="http://widgets.test/go")
    assert [h.path for h in rec.hits] == ["/go"]
    assert target.contacts == 0
    assert len(_blocked(audit)) == 1
