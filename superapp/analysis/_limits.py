"""Every limit and word list the analyser uses, in one frozen object with documented defaults."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "ScanLimits"]


@dataclass(frozen=True)
class ScanLimits:
    #: A single file larger than this is SA602 (block): scanning is linear, but a bundle has
    #: no business shipping 16 MiB of script.
    max_file_bytes: int = 16 * 1024 * 1024
    #: Total bytes read from a folder or a .sapp (after decompression).
    max_total_bytes: int = 256 * 1024 * 1024
    #: Number of entries in a folder or a .sapp.
    max_files: int = 20_000
    #: Compression ratio above which a .sapp entry is refused (zip bomb).
    max_compression_ratio: float = 200.0
    #: Nesting of constant code strings scanned inside code (eval('eval("…")')).
    max_code_depth: int = 4
    #: Steps when following aliases (const e = eval; const f = e; ...).
    max_resolve_depth: int = 32
    #: SA304: a line at least this long ...
    long_line_chars: int = 1000
    #: ... holding a string literal at least this long ...
    entropy_min_chars: int = 256
    #: ... whose Shannon entropy is at least this many bits per character (base64 ≈ 6.0,
    #: English ≈ 4.2, minified code ≈ 5.0).
    entropy_min_bits: float = 5.0
    #: ... and at most this share of whitespace (payload blobs have none; embedded shader
    #: or template source is full of it).
    entropy_max_space_ratio: float = 0.02
    #: SA303: this many distinct _0x… identifiers in one file.
    obfuscator_names: int = 10
    #: Most findings of one info-level rule listed per piece of code (file, inline script).
    max_info_per_rule_per_file: int = 25
    #: Most findings of one warn- or block-level rule listed per piece of code.
    max_findings_per_rule_per_file: int = 200
    #: Characters of code shown in a finding's snippet.
    snippet_chars: int = 160
    #: Suppression reasons shorter than this are not reasons.
    min_suppression_reason: int = 3

    #: Global objects: members of these are globals.
    global_objects: tuple[str, ...] = (
        "window",
        "self",
        "globalThis",
        "global",
        "top",
        "parent",
        "frames",
    )
    #: Host internals (SA201), matched as identifiers, properties and exact strings.
    host_internals: tuple[str, ...] = (
        "pywebview",
        "QWebChannel",
        "webChannelTransport",
        "_pywebviewReady",
    )
    #: Miner names (SA401), matched case-insensitively inside identifiers and strings.
    miner_markers: tuple[str, ...] = (
        "coinhive",
        "coin-hive",
        "authedmine",
        "cryptoloot",
        "crypto-loot",
        "coinimp",
        "cryptonight",
        "cryptonoter",
        "deepminer",
        "webminerpool",
        "jsecoin",
        "minero.cc",
        "webmine.pro",
        "coinhave",
        "nfwebminer",
        "xmrig",
        "monerominer",
    )
    #: Pool protocol markers (SA402), matched case-insensitively inside strings.
    pool_markers: tuple[str, ...] = (
        "stratum+tcp://",
        "stratum+ssl://",
        "stratum+tls://",
        "stratum2+tcp://",
        "mining.subscribe",
        "mining.authorize",
        "mining.submit",
    )
    #: Hosts that appear in URLs but are XML namespace names, not network peers.
    namespace_hosts: tuple[str, ...] = ("www.w3.org", "www.w3c.org", "ns.adobe.com")


DEFAULT_LIMITS = ScanLimits()
