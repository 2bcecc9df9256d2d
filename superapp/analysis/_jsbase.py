"""Names, kinds and small helpers shared by the JavaScript rules (see ``_js`` for the procedure).

What the rules look for is listed here once: the tree-sitter query that collects candidate
nodes, the global names that resolve to ``eval``/``Function``/timers, the sink and decoder
names, and the ``Kind``/``Ref`` values that resolution returns. Also the bundle-wide state
(``BundleState``) and the per-file ``Context``, and URL helpers shared with the HTML rules.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import urlsplit

import tree_sitter_javascript
from tree_sitter import Language, Node, Query, TreeCursor

from superapp.analysis._limits import ScanLimits
from superapp.analysis._model import Finding

__all__ = [
    "JS_LANGUAGE",
    "SUPPRESS_RE",
    "BundleState",
    "Context",
    "Emit",
    "Kind",
    "Ref",
    "Suppression",
    "host_allowed",
    "is_noop_js",
    "is_remote_code_url",
    "remote_host",
]

JS_LANGUAGE = Language(tree_sitter_javascript.language())

QUERY = Query(
    JS_LANGUAGE,
    """
    (call_expression) @call
    (new_expression) @new
    (member_expression) @member
    (subscript_expression) @subscript
    (identifier) @ident
    (property_identifier) @prop
    (shorthand_property_identifier) @prop
    (string) @string
    (template_string) @template
    (variable_declarator) @declarator
    (assignment_expression) @assign
    (formal_parameters) @params
    (while_statement) @while
    (import_statement) @import
    (export_statement) @import
    (comment) @comment
    (function_declaration) @scope
    (function_expression) @scope
    (arrow_function) @scope
    (method_definition) @scope
    (generator_function) @scope
    (generator_function_declaration) @scope
    (class_static_block) @scope
    """,
)

FUNCTION_SCOPES = frozenset(
    {
        "function_declaration",
        "function_expression",
        "function",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
        "generator_function",
        "class_static_block",
        "program",
    }
)
ASYNCISH = ("async", "*")
#: Expressions whose value is a function written in place.
FUNCTION_VALUES = frozenset(
    {"function_expression", "function", "arrow_function", "generator_function"}
)
#: Names whose result is decoded or fetched data (SA104). Global functions ...
DECODERS = frozenset(
    {"atob", "unescape", "decodeURIComponent", "decodeURI", "fromCharCode", "fromCodePoint"}
)
#: ... properties that are data wherever they are read ...
DECODER_PROPS = frozenset({"fromCharCode", "fromCodePoint", "responseText"})
#: ... and methods that count only when called (``response.text()``, ``decoder.decode()``;
#: ``script.text`` is not fetched data).
DECODER_METHODS = frozenset({"text", "decode"})
NET_CALLS = frozenset({"fetch"})
NET_CTORS = frozenset({"WebSocket", "EventSource"})
CODE_LOADER_CTORS = frozenset({"Worker", "SharedWorker"})
URL_PROPS = frozenset({"src", "href", "action", "formAction", "data"})
NAV_PROPS = frozenset({"href", "src", "location", "action", "formAction"})
HTML_PROPS = frozenset({"innerHTML", "outerHTML"})
SCRIPT_TEXT_PROPS = frozenset({"text", "textContent", "innerHTML", "innerText"})
CODE_ELEMENTS = frozenset({"script", "iframe", "frame", "embed", "object"})
HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
OBF_NAME = re.compile(r"^_0x[0-9a-fA-F]{4,}$")
SUPPRESS_RE = re.compile(
    r"superapp-scan:\s*allow\s+(?P<ids>SA\d{3}(?:\s*,\s*SA\d{3})*)\s*(?:--\s*(?P<reason>.*?))?\s*(?:\*/|-->)?\s*$",
    re.IGNORECASE,
)
LITERALS = frozenset(
    {"array", "string", "template_string", "number", "object", "regex", "true", "false"}
)
#: Value forms that can hide a reference to eval/Function (plain copies are judged at use).
HIDING_FORMS = frozenset(
    {
        "subscript_expression",
        "sequence_expression",
        "parenthesized_expression",
        "ternary_expression",
        "member_expression",
        "call_expression",
        "assignment_expression",
    }
)
#: Constant code that only yields the global object, or nothing (a CSP probe).
IDIOM_CODE = frozenset({"", "this", "return this"})


class Kind(Enum):
    """What a resolved expression is (only the values the rules care about)."""

    EVAL = "eval"
    FUNCTION = "Function"
    ASYNC_FUNCTION = "AsyncFunction"
    TIMER = "timer"
    GLOBAL = "global object"
    DOCUMENT = "document"
    FUNCTION_VALUE = "a function"
    FUNCTION_PROTO = "Function.prototype"
    ASYNC_PROTO = "AsyncFunction.prototype"
    REFLECT = "Reflect"
    HOST = "host internals"


@dataclass(frozen=True)
class Ref:
    kind: Kind
    indirect: bool
    how: str = ""


GLOBAL_NAMES: dict[str, Kind] = {
    "eval": Kind.EVAL,
    "execScript": Kind.EVAL,
    "Function": Kind.FUNCTION,
    "setTimeout": Kind.TIMER,
    "setInterval": Kind.TIMER,
    "setImmediate": Kind.TIMER,
    "document": Kind.DOCUMENT,
    "Reflect": Kind.REFLECT,
}
FUNCTION_GLOBALS = frozenset(
    {
        "Object",
        "Array",
        "String",
        "Number",
        "Boolean",
        "RegExp",
        "Date",
        "Symbol",
        "Promise",
        "Error",
        "Math.max",
        "alert",
        "parseInt",
        "parseFloat",
        "isNaN",
        "escape",
        "unescape",
        "atob",
        "btoa",
        "fetch",
        "Map",
        "Set",
        "WeakMap",
        "Proxy",
        "JSON.parse",
    }
)


@dataclass(frozen=True)
class Suppression:
    line: int  # 1-based line of the comment's last line
    rule_ids: tuple[str, ...]
    reason: str
    text: str
    column: int


Emit = Callable[[Finding], None]


@dataclass
class BundleState:
    """What rules learn across files of one bundle."""

    wasm_sites: list[Finding] = field(default_factory=list)
    spawns_workers: bool = False
    #: (referring file, bundle-relative URL) of code the bundle loads: scanned as JS.
    script_refs: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """What the rules know about the file being analysed."""

    file: str
    allowed_hosts: tuple[str, ...]
    limits: ScanLimits
    shared: BundleState


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    host = host.lower().rstrip(".")
    for entry in allowed:
        e = entry.lower().rstrip(".")
        if e.startswith("*."):
            if host.endswith(e[1:]):
                return True
        elif host == e:
            return True
    return False


def remote_host(url: str) -> str | None:
    """The host of an absolute or protocol-relative URL, or None for bundle-relative ones."""
    u = url.strip()
    low = u.lower()
    if low.startswith("//"):
        u = "https:" + u
    elif not low.startswith(("http://", "https://", "ws://", "wss://", "ftp://")):
        return None
    try:
        host = urlsplit(u).hostname
    except ValueError:
        return None
    return host or None


def is_remote_code_url(url: str) -> bool:
    low = url.strip().lower()
    return remote_host(url) is not None or low.startswith(("data:", "blob:"))


def entropy(s: str) -> float:
    counts = Counter(s)
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def array_items(nodes: list[Node]) -> list[Node]:
    if nodes and nodes[0].type == "array":
        return [c for c in nodes[0].named_children if c.type != "comment"]
    return []


@functools.lru_cache(maxsize=8)
def marker_re(markers: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(m) for m in markers), re.IGNORECASE)


def is_idiom(code: str) -> bool:
    return " ".join(code.replace(";", " ").split()) in IDIOM_CODE


def is_noop_js(body: str) -> bool:
    compact = "".join(body.split()).rstrip(";")
    return compact in ("", "0", "void(0)", "void0", "void(null)", "undefined", "false")


def first_error(root: Node) -> Node | None:
    for n in walk(root):
        if n.type == "ERROR" or n.is_missing:
            return n
    return None


def walk(node: Node | None) -> Iterator[Node]:
    if node is None:
        return
    cursor = node.walk()
    visited_children = False
    while True:
        if not visited_children:
            yield cursor.node  # type: ignore[misc]
            if cursor.goto_first_child():
                continue
        if _at(cursor, node):
            return
        if cursor.goto_next_sibling():
            visited_children = False
            continue
        if not cursor.goto_parent():
            return
        visited_children = True
        if _at(cursor, node):
            return


def _at(cursor: TreeCursor, node: Node) -> bool:
    return cursor.node is not None and cursor.node.id == node.id
