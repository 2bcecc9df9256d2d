"""The rule catalogue: every rule the analyser can report, with its fixed severity.

Rule ids are stable (``SA`` + family digit + number); ``docs/rules.md`` has one section per
id with examples and fixes. A rule has exactly one severity, so a reader of the docs, the
SARIF ``defaultConfiguration`` and the install policy all agree on what blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["RULES", "Rule", "Severity", "rule"]


class Severity(StrEnum):
    """How install treats a finding: ``block`` refuses, ``warn`` shows, ``info`` records."""

    BLOCK = "block"
    WARN = "warn"
    INFO = "info"

    @property
    def sarif_level(self) -> str:
        return {"block": "error", "warn": "warning", "info": "note"}[self.value]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: Severity
    summary: str
    rationale: str

    @property
    def doc_anchor(self) -> str:
        return f"docs/rules.md#{self.id.lower()}-{self.name}"


_B, _W, _I = Severity.BLOCK, Severity.WARN, Severity.INFO

_ALL = (
    # --- dynamic code -------------------------------------------------------------------
    Rule(
        "SA101",
        "eval-dynamic",
        _B,
        "eval() runs code that is not known when the bundle is scanned",
        "Code built at run time cannot be reviewed or signed; eval of it is how payloads are "
        "fetched or decoded and executed.",
    ),
    Rule(
        "SA102",
        "code-constructor-evasion",
        _B,
        "eval or the Function constructor is reached indirectly (alias, computed member, "
        "comma expression, constructor chain, call/apply/bind)",
        "Legitimate code names eval and Function directly; hiding the reference only serves "
        "to slip past review and scanners.",
    ),
    Rule(
        "SA103",
        "function-constructor",
        _W,
        "new Function()/Function() compiles code built at run time",
        "Template compilers (lodash, Vue, Handlebars, Alpine) do this legitimately, so it is "
        "a warning; the same call fed by decoded or fetched data is SA104.",
    ),
    Rule(
        "SA104",
        "code-from-decoded-data",
        _B,
        "code is compiled from decoded or fetched data (atob, unescape, fromCharCode, "
        "TextDecoder, responseText, .text())",
        "Decoding a string and executing it is the signature of a hidden payload.",
    ),
    Rule(
        "SA105",
        "global-this-idiom",
        _I,
        "Function('return this')() or (0, eval)('this'): the well-known global-object idiom",
        "A constant that only yields the global object; recorded, not held against the bundle.",
    ),
    Rule(
        "SA106",
        "timer-string",
        _B,
        "setTimeout/setInterval/setImmediate called with a string built at run time",
        "A string handler is eval by another name.",
    ),
    Rule(
        "SA107",
        "remote-import",
        _B,
        "import()/import from a URL outside the bundle",
        "Code must ship inside the signed bundle; a remote module bypasses the signature.",
    ),
    Rule(
        "SA108",
        "remote-script-or-frame",
        _B,
        "a script, iframe, worker or importScripts loads code from a URL outside the bundle",
        "Remote code is unsigned and can change after review.",
    ),
    Rule(
        "SA109",
        "javascript-url",
        _W,
        "a javascript: URL (its code is scanned as well)",
        "javascript: URLs are inline code that CSP-style review cannot see; use listeners.",
    ),
    Rule(
        "SA110",
        "constant-code-string",
        _W,
        "eval/Function/timer/javascript: URL with a constant string (the string is scanned)",
        "Constant code is reviewable, so only a warning; the string itself is parsed and "
        "scanned with every rule.",
    ),
    Rule(
        "SA111",
        "dynamic-import-specifier",
        _W,
        "import() of a specifier computed at run time",
        "The analyser cannot tell whether it stays inside the bundle; the runtime confinement "
        "still applies.",
    ),
    Rule(
        "SA112",
        "script-text-injection",
        _W,
        "a created <script> element gets its code set at run time (text/textContent/innerHTML)",
        "Equivalent to eval (jQuery's globalEval does this), so it is a warning; with "
        "decoded data it is SA104.",
    ),
    # --- reaching past the bridge --------------------------------------------------------
    Rule(
        "SA201",
        "host-internals",
        _B,
        "access to host internals (window.pywebview, qt.webChannelTransport, QWebChannel, ...)",
        "The only door into the host is callNative; anything else is an attempt to reach "
        "past the capability checks.",
    ),
    # --- obfuscation ---------------------------------------------------------------------
    Rule(
        "SA301",
        "packer",
        _B,
        "Dean Edwards packer signature: function(p,a,c,k,e,d|r)",
        "Packed code is unreviewable and is unpacked with eval.",
    ),
    Rule(
        "SA302",
        "string-array-rotation",
        _B,
        "string-array rotation loop (while(!![]) … push(shift())) of javascript-obfuscator",
        "This construction exists only to hide strings from review.",
    ),
    Rule(
        "SA303",
        "escaped-identifiers",
        _W,
        "identifiers written with \\u escapes, or many _0x… obfuscator names",
        "Escaped names hide what code refers to; minifiers never produce them.",
    ),
    Rule(
        "SA304",
        "high-entropy-line",
        _W,
        "a very long line with a long high-entropy string (packed or encrypted payload)",
        "Large opaque blobs inside code are where payloads hide; data belongs in files.",
    ),
    # --- crypto-mining -------------------------------------------------------------------
    Rule(
        "SA401",
        "miner-library",
        _B,
        "a known browser crypto-miner (CoinHive, CryptoLoot, CoinIMP, deepMiner, ...)",
        "Mining on users' machines is never an acceptable mini-app feature.",
    ),
    Rule(
        "SA402",
        "mining-pool-protocol",
        _B,
        "a mining pool protocol (stratum+tcp://, mining.subscribe, ...)",
        "Only miners speak stratum.",
    ),
    Rule(
        "SA403",
        "wasm-fetch-worker",
        _W,
        "WebAssembly compiled from fetched bytes in a bundle that also spawns workers",
        "The shape of a miner, but also of legitimate compute apps: review it.",
    ),
    # --- network -------------------------------------------------------------------------
    Rule(
        "SA501",
        "host-not-allowed",
        _W,
        "a network call to a host not listed in the manifest's allowed_hosts",
        "It will be blocked at run time; the manifest is probably incomplete.",
    ),
    Rule(
        "SA502",
        "host-reference",
        _I,
        "a URL to a host not in allowed_hosts appears in a string",
        "Recorded so reviewers see where code may talk to.",
    ),
    # --- integrity and coverage ----------------------------------------------------------
    Rule(
        "SA601",
        "denylisted-file",
        _B,
        "the file's SHA-256 is on the denylist of known-bad files",
        "Known malware, whatever its name or place in the bundle.",
    ),
    Rule(
        "SA602",
        "unscannable-file",
        _B,
        "a file the analyser cannot scan (too large, unreadable, not UTF-8 code)",
        "Fail closed: what cannot be scanned cannot be vouched for.",
    ),
    Rule(
        "SA603",
        "parse-error",
        _W,
        "the code does not parse cleanly; analysis of that region may be incomplete",
        "Browsers reject the same syntax, but review is harder; fix the syntax.",
    ),
    Rule(
        "SA604",
        "suppression-ignored",
        _W,
        "an inline suppression that names a block rule or gives no reason is ignored",
        "Block-level findings cannot be suppressed by the bundle; suppressions must say why.",
    ),
    # --- will not run under the app's CSP (superapp.analysis._csp) -----------------------
    Rule(
        "SA701",
        "csp-inline-script",
        _W,
        "an inline <script> body: the app's CSP refuses it, so it will not run",
        "Pages are served with script-src 'self'; code must come from files in the bundle.",
    ),
    Rule(
        "SA702",
        "csp-inline-handler",
        _W,
        "an on*= handler or javascript: URL in HTML: the app's CSP refuses it",
        "Inline event handlers are inline scripts to the CSP; attach listeners in a script file.",
    ),
    Rule(
        "SA703",
        "csp-import-map",
        _W,
        'a <script type="importmap">: Chromium reads import maps only inline, which the CSP '
        "refuses",
        "Bare module specifiers then fail to resolve; name the map in the manifest "
        "(superapp.importmap, docs/frontend.md) or import by relative path.",
    ),
    Rule(
        "SA704",
        "csp-runtime-code",
        _W,
        "eval, new Function or a string timer: the app's CSP (no 'unsafe-eval') refuses it",
        "The call throws at run time; use functions, JSON.parse, or build-time compilation.",
    ),
    Rule(
        "SA705",
        "csp-library-build",
        _W,
        "a library build that compiles code at run time (Vue full build, standard Alpine)",
        "The library loads but its templates or directives never run; each has a build that "
        "works under the CSP.",
    ),
)

RULES: dict[str, Rule] = {r.id: r for r in _ALL}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]
