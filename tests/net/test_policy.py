"""The allowlist matcher: a table of tricky URLs, each with the verdict and the rule that decides.

Every example of issue 5 is here. A row reads: policy, URL, kind, top-level?, initiator →
allowed?, rule. The rule is asserted too, so a URL refused for the wrong reason fails.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superapp.core.errors import ManifestError
from superapp.net import (
    HostError,
    NetDecision,
    NetPolicy,
    RequestKind,
    address_class,
    normalise_host,
    parse_host_entry,
)

OWN = "com.example.notes"
ORIGIN = f"app://{OWN}"
APP = NetPolicy.from_manifest(
    OWN,
    ["api.example.com", "*.cdn.example.com", "legacy.example.com", "bücher.example"],
    allow_http_hosts=["legacy.example.com"],
)
IPS = NetPolicy.from_manifest(
    OWN, ["127.0.0.1:8080", "[::1]:8443", "10.0.0.5"], allow_http_hosts=["127.0.0.1:8080"]
)
POLICIES = {"app": APP, "ips": IPS}

K = RequestKind


class Row(NamedTuple):
    id: str
    url: str
    allowed: bool
    rule: str
    kind: RequestKind = K.FETCH
    top_level: bool = False
    initiator: str | None = ORIGIN
    policy: str = "app"


ALLOW = True
DENY = False
ROWS = [
    # --- the examples ------------------------------------------------------------
    Row("suffix-of-allowed-host", "https://api.example.com.evil.test", DENY, "not-allowlisted"),
    Row("allowed-host-in-fragment", "https://evil.test#api.example.com", DENY, "not-allowlisted"),
    Row("allowed-host-as-userinfo", "https://api.example.com@evil.test", DENY, "userinfo"),
    Row("upper-case-trailing-dot", "HTTPS://API.EXAMPLE.COM.", ALLOW, "allowlist"),
    Row("ipv4-hex-short", "https://0x7f.1/", DENY, "ip-literal"),
    Row("ipv4-mapped-ipv6", "https://[::ffff:127.0.0.1]/", DENY, "ip-literal"),
    Row("idn-homograph-cyrillic-a", "https://аpi.example.com/", DENY, "idn-homograph"),
    Row("idn-homograph-punycode", "https://xn--pi-6kc.example.com/", DENY, "idn-homograph"),
    Row("idn-whole-script-lookalike", "https://аррӏе.com/", DENY, "idn-homograph"),
    Row("other-app-origin", "app://other.app/", DENY, "other-app"),
    # --- host spelling ---------------------------------------------------------------------
    Row("exact-host", "https://api.example.com/v1?q=1", ALLOW, "allowlist"),
    Row("allowed-host-in-query", "https://evil.test/?h=api.example.com", DENY, "not-allowlisted"),
    Row("allowed-host-in-path", "https://evil.test/api.example.com", DENY, "not-allowlisted"),
    Row("userinfo-on-allowed-host", "https://u:p@api.example.com/", DENY, "userinfo"),
    Row("empty-userinfo", "https://@api.example.com/", DENY, "userinfo"),
    Row("encoded-at-sign", "https://api.example.com%40evil.test/", DENY, "malformed"),
    Row("percent-encoded-host", "https://%61pi.example.com/", ALLOW, "allowlist"),
    Row("percent-encoded-dot", "https://api%2eexample.com/", ALLOW, "allowlist"),
    Row("percent-encoded-nul", "https://api.example.com%00.evil.test/", DENY, "malformed"),
    Row("bad-percent-utf8", "https://%ff.example.com/", DENY, "malformed"),
    Row("two-trailing-dots", "https://api.example.com../", DENY, "malformed"),
    Row("empty-label", "https://api..example.com/", DENY, "malformed"),
    Row("label-over-63", "https://" + "a" * 64 + ".example.com/", DENY, "malformed"),
    Row("forbidden-host-char", "https://api.exa$mple.com/", DENY, "malformed"),
    Row("full-width-letters-fold", "https://ａｐｉ．example.com/", ALLOW, "allowlist"),
    Row("leading-space-stripped", "  https://api.example.com/", ALLOW, "allowlist"),
    Row("tab-inside-removed", "https://api.exa\tmple.com/", ALLOW, "allowlist"),
    Row("newline-splits-nothing", "https://evil\n.test/", DENY, "not-allowlisted"),
    Row("backslash-as-slash", "https:\\\\api.example.com\\x", ALLOW, "allowlist"),
    Row(
        "backslash-ends-authority", "https://evil.test\\@api.example.com/", DENY, "not-allowlisted"
    ),
    Row("no-slashes-special-scheme", "https:api.example.com/", ALLOW, "allowlist"),
    Row("slash-backslash-mix", "https:/\\evil.test/", DENY, "not-allowlisted"),
    Row("no-host", "https:///", DENY, "malformed"),
    Row("idn-listed-unicode", "https://bücher.example/", ALLOW, "allowlist"),
    Row("idn-listed-punycode", "https://xn--bcher-kva.example/", ALLOW, "allowlist"),
    Row("idn-upper-case", "https://BÜCHER.example/", ALLOW, "allowlist"),
    Row("idn-invalid-punycode", "https://xn--a.example/", DENY, "idn-invalid"),
    Row("idn-lookalike-of-listed", "https://bücher.example.evil.test/", DENY, "not-allowlisted"),
    # --- IP literals in every notation -----------------------------------------------------
    Row("ipv4-dotted", "https://127.0.0.1/", DENY, "ip-literal"),
    Row("ipv4-decimal", "https://2130706433/", DENY, "ip-literal"),
    Row("ipv4-octal", "https://017700000001/", DENY, "ip-literal"),
    Row("ipv4-octal-dotted", "https://0177.0.0.1/", DENY, "ip-literal"),
    Row("ipv4-two-parts", "https://127.1/", DENY, "ip-literal"),
    Row("ipv4-hex-dotted", "https://0x7f.0x0.0x0.0x1/", DENY, "ip-literal"),
    Row("ipv4-trailing-dot", "https://127.0.0.1./", DENY, "ip-literal"),
    Row("ipv6-loopback", "https://[::1]/", DENY, "ip-literal"),
    Row("ipv6-mapped-hex", "https://[::ffff:7f00:1]/", DENY, "ip-literal"),
    Row("ipv4-octet-too-big", "https://256.0.0.1/", DENY, "malformed"),
    Row("ipv4-five-parts", "https://1.2.3.4.5/", DENY, "malformed"),
    Row("ipv4-last-part-too-big", "https://0x7f.0x100000000/", DENY, "malformed"),
    Row("ipv4-bad-octal-digit", "https://08.0.0.1/", DENY, "malformed"),
    Row("ipv6-zone-id", "https://[::1%25eth0]/", DENY, "malformed"),
    Row("ipv6-unterminated", "https://[::1/", DENY, "malformed"),
    Row("ipv6-junk-after", "https://[::1]x/", DENY, "malformed"),
    Row("ip-listed-exact", "http://127.0.0.1:8080/x", ALLOW, "allowlist", policy="ips"),
    Row("ip-listed-hex-same-address", "http://0x7f.1:8080/", ALLOW, "allowlist", policy="ips"),
    Row("ip-listed-decimal", "http://2130706433:8080/", ALLOW, "allowlist", policy="ips"),
    Row("ip-listed-mapped-v6", "http://[::ffff:127.0.0.1]:8080/", DENY, "ip-literal", policy="ips"),
    Row("ip-listed-other-port", "http://127.0.0.1:8081/", DENY, "port-not-allowed", policy="ips"),
    Row(
        "ip-listed-not-localhost", "http://localhost:8080/", DENY, "special-use-name", policy="ips"
    ),
    Row("localhost-subdomain", "https://api.localhost/", DENY, "special-use-name"),
    Row("mdns-name", "https://printer.local/", DENY, "special-use-name"),
    Row("home-arpa", "https://nas.home.arpa/", DENY, "special-use-name"),
    Row("onion", "https://abc.onion/", DENY, "special-use-name"),
    Row("internal-tld", "https://db.internal/", DENY, "special-use-name"),
    Row("localhost-trailing-dot", "https://app.localhost./", DENY, "special-use-name"),
    Row("localhost-upper", "https://API.LocalHost/", DENY, "special-use-name"),
    Row("ipv6-listed", "https://[::1]:8443/", ALLOW, "allowlist", policy="ips"),
    Row(
        "ipv6-listed-long-form", "https://[0:0:0:0:0:0:0:1]:8443/", ALLOW, "allowlist", policy="ips"
    ),
    Row("ip-listed-default-port", "https://10.0.0.5/", ALLOW, "allowlist", policy="ips"),
    Row("ip-listed-wrong-port", "https://10.0.0.5:80/", DENY, "port-not-allowed", policy="ips"),
    Row("ip-listed-no-http", "http://10.0.0.5/", DENY, "http-not-allowed", policy="ips"),
    Row("ip-octal-is-other-address", "https://010.0.0.5/", DENY, "ip-literal", policy="ips"),
    # --- ports and schemes -----------------------------------------------------------------
    Row("explicit-default-port", "https://api.example.com:443/", ALLOW, "allowlist"),
    Row("default-port-leading-zero", "https://api.example.com:0443/", ALLOW, "allowlist"),
    Row("empty-port-is-default", "https://api.example.com:/", ALLOW, "allowlist"),
    Row("other-port", "https://api.example.com:8443/", DENY, "port-not-allowed"),
    Row("port-out-of-range", "https://api.example.com:65536/", DENY, "malformed"),
    Row("port-not-a-number", "https://api.example.com:8o/", DENY, "malformed"),
    Row("http-not-opted-in", "http://api.example.com/", DENY, "http-not-allowed"),
    Row("http-opted-in", "http://legacy.example.com/", ALLOW, "allowlist"),
    Row("https-to-http-host", "https://legacy.example.com/", ALLOW, "allowlist"),
    Row("wss-allowed", "wss://api.example.com/s", ALLOW, "allowlist", K.WEBSOCKET),
    Row("ws-not-opted-in", "ws://api.example.com/s", DENY, "http-not-allowed", K.WEBSOCKET),
    Row("ws-opted-in", "ws://legacy.example.com/s", ALLOW, "allowlist", K.WEBSOCKET),
    Row("ws-to-evil", "wss://evil.test/", DENY, "not-allowlisted", K.WEBSOCKET),
    Row("http-port-443-needs-entry", "http://legacy.example.com:443/", DENY, "port-not-allowed"),
    # --- wildcard --------------------------------------------------------------------------
    Row("wildcard-one-level", "https://img.cdn.example.com/a.png", ALLOW, "allowlist", K.IMAGE),
    Row("wildcard-deep", "https://a.b.c.cdn.example.com/", ALLOW, "allowlist", K.SCRIPT),
    Row("wildcard-not-apex", "https://cdn.example.com/", DENY, "not-allowlisted"),
    Row("wildcard-not-prefix-glue", "https://evilcdn.example.com/", DENY, "not-allowlisted"),
    Row("wildcard-suffix-attack", "https://x.cdn.example.com.evil.test/", DENY, "not-allowlisted"),
    Row("wildcard-no-http", "http://img.cdn.example.com/", DENY, "http-not-allowed"),
    Row("wildcard-homograph-label", "https://аpple.cdn.example.com/", DENY, "idn-homograph"),
    # --- the app's own scheme --------------------------------------------------------------
    Row("own-origin", f"app://{OWN}/index.html", ALLOW, "own-origin", K.SCRIPT),
    Row("own-origin-navigation", f"app://{OWN}/b.html", ALLOW, "own-origin", K.NAVIGATION, True),
    Row("own-origin-upper-case", "APP://COM.EXAMPLE.NOTES/", ALLOW, "own-origin"),
    Row("other-app-suffix", f"app://{OWN}.evil/", DENY, "other-app"),
    Row("other-app-prefix", f"app://x.{OWN}/", DENY, "other-app"),
    Row("own-origin-with-port", f"app://{OWN}:80/", DENY, "malformed"),
    Row("own-origin-with-userinfo", f"app://x@{OWN}/", DENY, "userinfo"),
    # --- navigation ------------------------------------------------------------------------
    Row(
        "navigate-away-allowed-host",
        "https://api.example.com/",
        DENY,
        "navigation-away",
        K.NAVIGATION,
        True,
    ),
    Row("navigate-away-evil", "https://evil.test/", DENY, "navigation-away", K.NAVIGATION, True),
    Row(
        "main-frame-load-of-any-kind",
        "https://api.example.com/",
        DENY,
        "navigation-away",
        K.OTHER,
        True,
    ),
    Row("iframe-allowed-host", "https://api.example.com/", ALLOW, "allowlist", K.SUBFRAME),
    Row("iframe-evil", "https://evil.test/", DENY, "not-allowlisted", K.SUBFRAME),
    Row("beacon-evil", "https://evil.test/b", DENY, "not-allowlisted", K.BEACON),
    Row("prefetch-evil", "https://evil.test/p", DENY, "not-allowlisted", K.PREFETCH),
    Row("service-worker-own", f"app://{OWN}/sw.js", ALLOW, "own-origin", K.SERVICE_WORKER),
    Row("worker-import-evil", "https://evil.test/w.js", DENY, "not-allowlisted", K.WORKER),
    # --- local schemes ---------------------------------------------------------------------
    Row("file-passwd", "file:///etc/passwd", DENY, "scheme-file", K.NAVIGATION, True),
    Row("file-upper-case", "FILE:///etc/passwd", DENY, "scheme-file"),
    Row("file-localhost", "file://localhost/etc/passwd", DENY, "scheme-file", K.SUBFRAME),
    Row("chrome-scheme", "chrome://settings", DENY, "scheme-chrome", K.NAVIGATION, True),
    Row("chrome-extension", "chrome-extension://abc/x.js", DENY, "scheme-chrome-extension"),
    Row("chrome-error", "chrome-error://chromewebdata/", DENY, "scheme-chrome-error"),
    Row("devtools-scheme", "devtools://devtools/bundled/x.html", DENY, "scheme-devtools"),
    Row("view-source", "view-source:https://api.example.com/", DENY, "scheme-view-source"),
    Row("qrc-scheme", "qrc:/qtwebchannel/qwebchannel.js", DENY, "scheme-qrc", K.SCRIPT),
    Row("filesystem-scheme", f"filesystem:app://{OWN}/temporary/x", DENY, "scheme-filesystem"),
    Row("about-blank", "about:blank", ALLOW, "about-blank", K.SUBFRAME),
    Row("about-blank-top", "about:blank", ALLOW, "about-blank", K.NAVIGATION, True),
    Row("about-blank-upper", "ABOUT:BLANK", ALLOW, "about-blank", K.SUBFRAME),
    Row("about-srcdoc", "about:srcdoc", DENY, "scheme-about", K.SUBFRAME),
    Row("about-config", "about:config", DENY, "scheme-about", K.NAVIGATION, True),
    Row("javascript-nav", "javascript:alert(1)", DENY, "scheme-javascript", K.NAVIGATION, True),
    Row(
        "javascript-tab-split",
        "java\tscript:alert(1)",
        DENY,
        "scheme-javascript",
        K.NAVIGATION,
        True,
    ),
    Row("javascript-leading-space", " javascript:alert(1)", DENY, "scheme-javascript", K.SUBFRAME),
    Row("data-image-own", "data:image/png;base64,iVBO", ALLOW, "inline-subresource", K.IMAGE),
    Row(
        "data-top-level",
        "data:text/html,<script>1</script>",
        DENY,
        "inline-top-level",
        K.NAVIGATION,
        True,
    ),
    Row("data-iframe", "data:text/html,hi", DENY, "inline-top-level", K.SUBFRAME),
    Row(
        "data-from-foreign-frame",
        "data:image/png,x",
        DENY,
        "inline-foreign",
        K.IMAGE,
        initiator="https://api.example.com",
    ),
    Row(
        "data-unknown-initiator",
        "data:image/png,x",
        DENY,
        "inline-foreign",
        K.IMAGE,
        initiator=None,
    ),
    Row("blob-own", f"blob:app://{OWN}/4f1c", ALLOW, "inline-subresource", K.MEDIA),
    Row("blob-worker-own", f"blob:app://{OWN}/4f1c", ALLOW, "inline-subresource", K.WORKER),
    Row("blob-other-origin", "blob:https://evil.test/4f1c", DENY, "inline-foreign", K.MEDIA),
    Row("blob-other-app", "blob:app://other.app/4f1c", DENY, "inline-foreign", K.IMAGE),
    Row("blob-top-level", f"blob:app://{OWN}/4f1c", DENY, "inline-top-level", K.NAVIGATION, True),
    # --- unknown schemes and junk --------------------------------------------------------
    Row("mailto", "mailto:a@example.com", DENY, "scheme-unknown", K.NAVIGATION, True),
    Row("tel", "tel:+100", DENY, "scheme-unknown", K.NAVIGATION, True),
    Row("ftp", "ftp://api.example.com/", DENY, "scheme-unknown"),
    Row("intent", "intent://x#Intent;end", DENY, "scheme-intent", K.NAVIGATION, True),
    Row("custom-protocol-handler", "web+evil:payload", DENY, "scheme-unknown", K.NAVIGATION, True),
    Row("ms-settings", "ms-settings:privacy", DENY, "scheme-unknown", K.NAVIGATION, True),
    Row("scheme-relative", "//api.example.com/", DENY, "malformed"),
    Row("bare-host", "api.example.com", DENY, "malformed"),
    Row("empty", "", DENY, "malformed"),
    Row("absurdly-long", "https://api.example.com/" + "a" * 20000, DENY, "malformed"),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_tricky_url_verdict(row: Row) -> None:
    decision = POLICIES[row.policy].decide(
        row.url, kind=row.kind, top_level=row.top_level, initiator=row.initiator
    )
    assert (decision.allowed, decision.rule) == (row.allowed, row.rule), decision.reason
    assert decision.reason


def test_table_ids_are_unique() -> None:
    assert len({r.id for r in ROWS}) == len(ROWS)


def test_allowed_network_decision_carries_the_canonical_url_and_entry() -> None:
    d = APP.decide("HTTPS://Img.CDN.example.com.:443/a b?x#f", kind=K.IMAGE, top_level=False)
    assert d == NetDecision(
        True,
        "allowlist",
        d.reason,
        url="https://img.cdn.example.com/a%20b?x",
        entry="*.cdn.example.com",
        exact=False,
    )
    exact = APP.decide("https://api.example.com/", kind=K.FETCH, top_level=False)
    assert (exact.entry, exact.exact) == ("api.example.com", True)


def test_request_kinds_cover_every_engine_resource_family() -> None:
    assert {k.value for k in K} == {
        "navigation", "subframe", "fetch", "script", "style", "image", "font", "media",
        "websocket", "beacon", "worker", "service_worker", "prefetch", "other",
    }  # fmt: skip


# --- allowlist entries ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("https://api.example.com", "scheme or path"),
        ("api.example.com/v1", "scheme or path"),
        ("user@api.example.com", "forbidden characters"),
        (" api.example.com", "forbidden characters"),
        ("*.com", "registrable domain"),
        ("*", "only wildcard form"),
        ("a.*.example.com", "only wildcard form"),
        ("**.example.com", "only wildcard form"),
        ("*.127.0.0.1", "IP address cannot have a wildcard"),
        ("0x7f.1", "canonical form"),
        ("2130706433", "canonical form"),
        ("0.0.0.0", "not an address"),  # noqa: S104 - a refused entry, nothing binds
        ("224.0.0.1", "not an address"),
        ("[::]", "not an address"),
        ("api.example.com:99999", "not a valid port"),
        ("api%2eexample.com", "percent-encoding"),
        ("аpi.example.com", "mixes scripts"),
        ("exa mple.com", "forbidden characters"),
        ("", "non-empty"),
        ("localhost", "loopback name"),
        ("*.localhost", "loopback name"),
        ("api.localhost:8080", "loopback name"),
        ("printer.local", "multicast DNS"),
        ("nas.home.arpa", "home-network"),
        ("1.0.0.127.in-addr.arpa", "infrastructure"),
        ("*.internal", "private-network"),
        ("x.onion", "onion"),
        ("never.invalid", "never resolves"),
        ("router.lan", "private-network"),
    ],
    ids=lambda v: repr(v),
)
def test_bad_allowlist_entry_is_refused(entry: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_host_entry(entry)


def test_from_manifest_names_the_field_and_index() -> None:
    with pytest.raises(ManifestError, match=r"superapp\.allow_http_hosts\[1\]: .*scheme or path"):
        NetPolicy.from_manifest(OWN, ["a.example.com"], ["a.example.com", "http://b.example.com"])


def test_from_manifest_refuses_a_bare_string() -> None:
    with pytest.raises(ManifestError, match="must be a list"):
        NetPolicy.from_manifest(OWN, "api.example.com")


def test_entries_are_normalised_like_urls() -> None:
    pat = parse_host_entry("API.Example.COM.")
    assert (pat.host.name, pat.wildcard, pat.port) == ("api.example.com", False, None)
    assert parse_host_entry("*.cdn.example.com:8443").port == 8443
    assert parse_host_entry("bücher.example").host.name == "xn--bcher-kva.example"
    assert parse_host_entry("[0:0::1]:8443").host.name == "::1"


# --- host normalisation and address classes ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("0x7f.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.01", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("[::FFFF:127.0.0.1]", "::ffff:7f00:1"),
        ("Example.COM.", "example.com"),
        ("faß.de", "xn--fa-hia.de"),
        ("%65xample.com", "example.com"),
        ("例え.jp", "xn--r8jz45g.jp"),
        ("москва.рф", "xn--80adxhks.xn--p1ai"),
    ],
)
def test_host_normalisation(text: str, canonical: str) -> None:
    assert normalise_host(text).name == canonical


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("paypa1.com\u0430", "idn-homograph"),
        ("xn--80ak6aa92e.com", "idn-homograph"),  # аррӏе
        ("a\u2488b.com", "idn-invalid"),
        ("x" * 2000, "malformed"),
    ],
)
def test_host_refusals(text: str, rule: str) -> None:
    with pytest.raises(HostError) as err:
        normalise_host(text)
    assert err.value.rule == rule


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("8.8.8.8", "public"),
        ("2606:4700::1111", "public"),
        ("127.0.0.1", "private"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "private"),
        ("100.64.0.1", "private"),
        ("::1", "private"),
        ("fe80::1", "private"),
        ("fc00::1", "private"),
        ("::ffff:127.0.0.1", "private"),
        ("::ffff:8.8.8.8", "public"),
        ("64:ff9b::7f00:1", "private"),
        ("2002:7f00:1::", "private"),
        ("0.0.0.0", "forbidden"),  # noqa: S104 - classified, nothing binds
        ("::", "forbidden"),
        ("::ffff:0.0.0.0", "forbidden"),
        ("224.0.0.1", "forbidden"),
        ("ff02::1", "forbidden"),
        ("255.255.255.255", "forbidden"),
        ("240.0.0.1", "forbidden"),
    ],
)
def test_address_class(address: str, expected: str) -> None:
    import ipaddress

    assert address_class(ipaddress.ip_address(address)) == expected


# --- properties -------------------------------------------------------------------------

_LISTED_EXACT = {"api.example.com", "legacy.example.com", "xn--bcher-kva.example"}
_LISTED_WILD = ("cdn.example.com",)
_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
_hosts = st.one_of(
    st.lists(_label, min_size=1, max_size=5).map(".".join),
    st.lists(_label, min_size=0, max_size=3).map(lambda ls: ".".join([*ls, "cdn.example.com"])),
    st.sampled_from([*sorted(_LISTED_EXACT), "example.com", "cdn.example.com"]),
)


def _listed(name: str) -> bool:
    return name in _LISTED_EXACT or any(name.endswith("." + w) for w in _LISTED_WILD)


@given(
    host=_hosts,
    upper=st.booleans(),
    dot=st.booleans(),
    scheme=st.sampled_from(["https", "wss"]),
    path=st.text(max_size=30),
)
def test_any_url_whose_host_is_not_listed_is_refused(
    host: str, upper: bool, dot: bool, scheme: str, path: str
) -> None:
    spelled = (host.upper() if upper else host) + ("." if dot else "")
    decision = APP.decide(f"{scheme}://{spelled}/{path}", kind=K.FETCH, top_level=False)
    try:
        name = normalise_host(spelled).name
    except HostError:
        assert not decision.allowed
        return
    assert decision.allowed == _listed(name), decision


@given(st.text(max_size=300))
def test_decide_never_raises_and_allows_only_listed_hosts(url: str) -> None:
    for kind, top in ((K.FETCH, False), (K.NAVIGATION, True), (K.IMAGE, False)):
        decision = APP.decide(url, kind=kind, top_level=top, initiator=ORIGIN)
        if decision.allowed and decision.rule == "allowlist":
            assert decision.url is not None
            host = decision.url.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
            assert _listed(host)
        elif decision.allowed:
            assert decision.rule in {"own-origin", "about-blank", "inline-subresource"}


@given(
    prefix=st.sampled_from(["https://", "http://", "wss://", "https:", "https:\\\\"]),
    junk=st.text(alphabet="@:/\\#?.%[]0123456789abcdefxAPI \t", max_size=40),
)
def test_url_shaped_junk_never_reaches_an_unlisted_host(prefix: str, junk: str) -> None:
    decision = APP.decide(prefix + junk, kind=K.FETCH, top_level=False)
    if decision.allowed:
        assert decision.url is not None
        host = decision.url.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
        assert _listed(host)
