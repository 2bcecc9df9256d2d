"""Rules evaluated on the tree-sitter JavaScript syntax tree.

Procedure for one piece of JavaScript (a file, an inline ``<script>``, an ``on*=``
attribute, a ``javascript:`` URL, or a constant code string found inside code):

1. parse with tree-sitter; an ERROR node anywhere is SA603 (the rest is still analysed);
2. collect candidate nodes with one tree-sitter query (calls, ``new``, members, subscripts,
   identifiers, strings, declarations, assignments, functions, loops, imports, comments);
3. index bindings (declarations, parameters, assignments) per function scope, lazily per
   name, so identifiers can be *resolved* (what global does ``e`` hold?) and *folded*
   (what string does ``x`` hold?);
4. evaluate each rule on its candidates. Resolution sees through aliases, computed members
   with folded keys, comma/logical/conditional expressions, ``.call/.apply/.bind``,
   ``Reflect.apply/construct`` and ``constructor`` chains;
5. constant code strings (``eval('…')``, ``setTimeout('…')``, ``javascript:…``) are parsed
   and analysed in turn, up to ``ScanLimits.max_code_depth``, their findings placed at the
   outer string.

Suppression comments are returned to the caller, which applies them (see ``_scan``).
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import urlsplit

import tree_sitter_javascript
from tree_sitter import Language, Node, Parser, Query, QueryCursor

from superapp.analysis._fold import JsValue, decode_string_node, fold, fold_prefix, js_to_string
from superapp.analysis._limits import ScanLimits
from superapp.analysis._model import Finding
from superapp.analysis._rules import RULES, Severity

__all__ = [
    "JS_LANGUAGE",
    "SUPPRESS_RE",
    "BundleState",
    "Context",
    "Emit",
    "Suppression",
    "analyse_js",
    "host_allowed",
    "is_noop_js",
    "is_remote_code_url",
    "remote_host",
]

JS_LANGUAGE = Language(tree_sitter_javascript.language())

_QUERY = Query(
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

_FUNCTION_SCOPES = frozenset(
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
_ASYNCISH = ("async", "*")
#: Names whose result is decoded or fetched data (SA104). Global functions ...
_DECODERS = frozenset(
    {"atob", "unescape", "decodeURIComponent", "decodeURI", "fromCharCode", "fromCodePoint"}
)
#: ... properties that are data wherever they are read ...
_DECODER_PROPS = frozenset({"fromCharCode", "fromCodePoint", "responseText"})
#: ... and methods that count only when called (``response.text()``, ``decoder.decode()``;
#: ``script.text`` is not fetched data).
_DECODER_METHODS = frozenset({"text", "decode"})
_NET_CALLS = frozenset({"fetch"})
_NET_CTORS = frozenset({"WebSocket", "EventSource"})
_CODE_LOADER_CTORS = frozenset({"Worker", "SharedWorker"})
_URL_PROPS = frozenset({"src", "href", "action", "formAction", "data"})
_NAV_PROPS = frozenset({"href", "src", "location", "action", "formAction"})
_HTML_PROPS = frozenset({"innerHTML", "outerHTML"})
_SCRIPT_TEXT_PROPS = frozenset({"text", "textContent", "innerHTML", "innerText"})
_CODE_ELEMENTS = frozenset({"script", "iframe", "frame", "embed", "object"})
_HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_OBF_NAME = re.compile(r"^_0x[0-9a-fA-F]{4,}$")
SUPPRESS_RE = re.compile(
    r"superapp-scan:\s*allow\s+(?P<ids>SA\d{3}(?:\s*,\s*SA\d{3})*)\s*(?:--\s*(?P<reason>.*?))?\s*(?:\*/|-->)?\s*$",
    re.IGNORECASE,
)
_LITERALS = frozenset(
    {"array", "string", "template_string", "number", "object", "regex", "true", "false"}
)
#: Value forms that can hide a reference to eval/Function (plain copies are judged at use).
_HIDING_FORMS = frozenset(
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
_IDIOM_CODE = frozenset({"", "this", "return this"})


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


_GLOBAL_NAMES: dict[str, Kind] = {
    "eval": Kind.EVAL,
    "execScript": Kind.EVAL,
    "Function": Kind.FUNCTION,
    "setTimeout": Kind.TIMER,
    "setInterval": Kind.TIMER,
    "setImmediate": Kind.TIMER,
    "document": Kind.DOCUMENT,
    "Reflect": Kind.REFLECT,
}
_FUNCTION_GLOBALS = frozenset(
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


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def _entropy(s: str) -> float:
    counts = Counter(s)
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


class _Analysis:
    def __init__(
        self,
        source: bytes,
        ctx: Context,
        emit: Emit,
        depth: int,
        anchor: tuple[int, int, str] | None,
        line_base: int,
        col_base: int,
    ) -> None:
        self.source = source
        self.ctx = ctx
        self.limits = ctx.limits
        self._emit = emit
        self.depth = depth
        self.anchor = anchor
        self.line_base = line_base
        self.col_base = col_base
        self.memo: dict[int, JsValue] = {}
        self._lines: list[bytes] | None = None
        self._by_name: dict[str, list[tuple[Node, Node | None, bool]]] = {}
        self._scope_cache: dict[int, list[int]] = {}
        self._index: dict[str, tuple[set[int | None], dict[int | None, list[Node | None]]]] = {}
        self._info_counts: Counter[str] = Counter()
        self._resolved: dict[int, Ref | None] = {}
        self.suppressions: list[Suppression] = []

    def _t(self, node: Node | None) -> str:
        """Source text of ``node`` (slicing the source is much cheaper than ``Node.text``)."""
        if node is None:
            return ""
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    # --- positions and emitting -----------------------------------------------------------
    def _pos(self, node: Node) -> tuple[int, int]:
        row, col_bytes = node.start_point
        if self._lines is None:
            self._lines = self.source.split(b"\n")
        line = self._lines[row] if row < len(self._lines) else b""
        col = len(line[:col_bytes].decode("utf-8", "replace"))
        if row == 0:
            col += self.col_base
        return row + self.line_base, col + 1

    def emit(self, rule_id: str, node: Node, message: str) -> None:
        cap = (
            self.limits.max_info_per_rule_per_file
            if RULES[rule_id].severity is Severity.INFO
            else self.limits.max_findings_per_rule_per_file
        )
        self._info_counts[rule_id] += 1
        if self._info_counts[rule_id] > cap:
            return  # the report stays readable; one finding already decides the verdict
        if self.anchor is not None:
            line, col, snippet = self.anchor
            message = f"{message} (in code held in a constant string)"
        else:
            line, col = self._pos(node)
            end = min(node.end_byte, node.start_byte + 4 * self.limits.snippet_chars)
            head = self.source[node.start_byte : end].decode("utf-8", "replace")
            snippet = " ".join(head.split())
            if len(snippet) > self.limits.snippet_chars or end < node.end_byte:
                snippet = snippet[: self.limits.snippet_chars - 1] + "…"
        self._emit(Finding(self.ctx.file, line, col, rule_id, message, snippet))

    # --- scopes and bindings ----------------------------------------------------------------
    def _index_scopes(self, scopes: list[Node], root: Node) -> None:
        """Function scopes as nested byte intervals (``Node.parent`` costs O(depth) in
        tree-sitter, so scope lookups use these instead)."""
        ordered = sorted(scopes, key=lambda n: (n.start_byte, -n.end_byte))
        self._scope_starts = [n.start_byte for n in ordered]
        self._scope_ends = [n.end_byte for n in ordered]
        self._scope_ids = [n.id for n in ordered]
        self._scope_parent = [-1] * len(ordered)
        stack: list[int] = []
        for i, n in enumerate(ordered):
            while stack and self._scope_ends[stack[-1]] < n.end_byte:
                stack.pop()
            self._scope_parent[i] = stack[-1] if stack else -1
            stack.append(i)
        self._root_id = root.id

    def _scope_chain(self, node: Node) -> list[int]:
        """Ids of the function scopes enclosing ``node``, innermost first, program last."""
        pos, end = node.start_byte, node.end_byte
        i = bisect.bisect_right(self._scope_starts, pos) - 1
        while i >= 0 and not (self._scope_ends[i] >= end and self._scope_ids[i] != node.id):
            i = self._scope_parent[i]
        if i < 0:
            return [self._root_id]
        cached = self._scope_cache.get(i)
        if cached is None:
            chain: list[int] = []
            j = i
            while j >= 0:
                chain.append(self._scope_ids[j])
                j = self._scope_parent[j]
            chain.append(self._root_id)
            cached = chain
            self._scope_cache[i] = cached
        return cached

    def _declaring_scope(self, decl_node: Node) -> int | None:
        chain = self._scope_chain(decl_node)
        return chain[0] if chain else None

    def _name_index(self, name: str) -> tuple[set[int | None], dict[int | None, list[Node | None]]]:
        found = self._index.get(name)
        if found is not None:
            return found
        declared: set[int | None] = set()
        values: dict[int | None, list[Node | None]] = {}
        assigns: list[tuple[Node, Node | None]] = []
        for site, value, is_decl in self._by_name.get(name, ()):
            if is_decl:
                scope = self._declaring_scope(site)
                declared.add(scope)
                values.setdefault(scope, []).append(value)
            else:
                assigns.append((site, value))
        for site, value in assigns:
            target: int | None = None
            for scope in self._scope_chain(site):
                if scope in declared:
                    target = scope
                    break
            values.setdefault(target, []).append(value)
        self._index[name] = (declared, values)
        return declared, values

    def _binding(self, ident: Node) -> tuple[bool, list[Node | None]]:
        """(declared in scope?, value nodes) for an identifier use."""
        name = self._t(ident)
        if name not in self._by_name:
            return False, []
        declared, values = self._name_index(name)
        for scope in self._scope_chain(ident):
            if scope in declared:
                return True, values.get(scope, [])
        return False, values.get(None, [])

    def bindings(self, ident: Node) -> list[Node | None] | None:
        declared, values = self._binding(ident)
        if not declared and not values:
            return None
        return values

    # --- resolution -------------------------------------------------------------------------
    def resolve(self, node: Node | None, depth: int = 0) -> Ref | None:
        if node is None or depth > self.limits.max_resolve_depth:
            return None
        while node.type == "parenthesized_expression":  # ((((eval)))) costs no depth
            inner = [c for c in node.named_children if c.type != "comment"]
            if not inner:
                return None
            node = inner[-1]
        t = node.type
        if t == "sequence_expression":
            inner = [c for c in node.named_children if c.type != "comment"]
            r = self.resolve(inner[-1], depth + 1) if inner else None
            return Ref(r.kind, True, "comma expression") if r else None
        if t in ("ternary_expression",):
            for f in ("consequence", "alternative"):
                r = self.resolve(node.child_by_field_name(f), depth + 1)
                if r is not None:
                    return Ref(r.kind, True, "conditional expression")
            return None
        if t == "binary_expression":
            op = self._t(node.child_by_field_name("operator"))
            if op in ("||", "&&", "??"):
                for f in ("left", "right"):
                    r = self.resolve(node.child_by_field_name(f), depth + 1)
                    if r is not None:
                        return Ref(r.kind, True, "logical expression")
            return None
        if t in ("assignment_expression", "augmented_assignment_expression"):
            return self.resolve(node.child_by_field_name("right"), depth + 1)
        if t == "identifier":
            return self._resolve_identifier(node, depth)
        if t == "member_expression":
            prop = self._t(node.child_by_field_name("property"))
            return self._resolve_member(node.child_by_field_name("object"), prop, False, depth)
        if t == "subscript_expression":
            index = node.child_by_field_name("index")
            obj = node.child_by_field_name("object")
            key = js_to_string(fold(index, self))
            if obj is not None and obj.type == "array" and key is not None and key.isdigit():
                items = [c for c in obj.named_children if c.type != "comment"]
                i = int(key)
                if i < len(items):
                    r = self.resolve(items[i], depth + 1)
                    return Ref(r.kind, True, "array element") if r else None
                return None
            if key is None:
                return None
            return self._resolve_member(obj, key, True, depth)
        if t == "call_expression":
            return self._resolve_call_result(node, depth)
        if t in ("function_expression", "function", "arrow_function", "generator_function"):
            return Ref(Kind.FUNCTION_VALUE, False)
        return None

    def _resolve_identifier(self, node: Node, depth: int) -> Ref | None:
        key = node.id
        if key in self._resolved:
            return self._resolved[key]
        self._resolved[key] = None  # cycles resolve to nothing
        result = self._resolve_identifier_uncached(node, depth)
        self._resolved[key] = result
        return result

    def _resolve_identifier_uncached(self, node: Node, depth: int) -> Ref | None:
        name = self._t(node)
        declared, values = self._binding(node)
        for value in values:
            if value is None or value.id == node.id:
                continue
            r = self.resolve(value, depth + 1)
            if r is not None:
                if r.kind in (Kind.EVAL, Kind.FUNCTION) and _GLOBAL_NAMES.get(name) is not r.kind:
                    return Ref(r.kind, True, f"alias '{name}'")
                return Ref(r.kind, r.indirect, r.how)
        kind = _GLOBAL_NAMES.get(name)
        if name in self.limits.global_objects:
            kind = Kind.GLOBAL
        if name in self.limits.host_internals:
            kind = Kind.HOST
        if kind is None:
            if name in _FUNCTION_GLOBALS and not declared:
                return Ref(Kind.FUNCTION_VALUE, False)
            return None
        if declared and kind not in (Kind.EVAL, Kind.FUNCTION):
            # A local named like a global (minifiers reuse short names; ``self`` is common).
            return None
        # ``var Function = context.Function`` (lodash) keeps Function's meaning.
        return Ref(kind, False)

    def _resolve_member(
        self, obj: Node | None, prop: str, computed: bool, depth: int
    ) -> Ref | None:
        how = "computed member" if computed else ""
        if obj is None:
            return None
        if prop == "constructor":
            if obj.type in _LITERALS:
                return Ref(Kind.FUNCTION_VALUE, True, "constructor of a literal")
            if obj.type in (
                "function_expression",
                "function",
                "arrow_function",
                "generator_function",
            ):
                if self._t(obj).lstrip().startswith(_ASYNCISH) or obj.type == "generator_function":
                    return Ref(Kind.ASYNC_FUNCTION, False)
                return Ref(Kind.FUNCTION, True, "constructor of a function")
            if obj.type in ("member_expression", "subscript_expression"):
                inner_obj = obj.child_by_field_name("object")
                if self._member_key(obj) == "constructor":
                    # x.constructor is some constructor, and its constructor is Function.
                    return Ref(Kind.FUNCTION, True, "constructor chain")
                if inner_obj is not None and inner_obj.type in _LITERALS:
                    # [].map, ''.sub, ...: a method of a literal is a function.
                    return Ref(Kind.FUNCTION, True, "constructor of a built-in method")
            r = self.resolve(obj, depth + 1)
            if r is None:
                return None
            if r.kind in (
                Kind.FUNCTION,
                Kind.EVAL,
                Kind.TIMER,
                Kind.FUNCTION_VALUE,
                Kind.FUNCTION_PROTO,
                Kind.ASYNC_FUNCTION,
            ):
                return Ref(Kind.FUNCTION, True, "constructor chain")
            if r.kind is Kind.ASYNC_PROTO:
                return Ref(Kind.ASYNC_FUNCTION, False)
            return None
        if prop in ("defaultView", "contentWindow"):
            return Ref(Kind.GLOBAL, computed, how)
        r = self.resolve(obj, depth + 1)
        if r is None:
            return None
        if r.kind is Kind.GLOBAL:
            if prop in self.limits.global_objects:
                return Ref(Kind.GLOBAL, computed or r.indirect, how)
            if prop in self.limits.host_internals:
                return Ref(Kind.HOST, computed, how)
            kind = _GLOBAL_NAMES.get(prop)
            if kind is None:
                return Ref(Kind.FUNCTION_VALUE, False) if prop in _FUNCTION_GLOBALS else None
            # Dot access on the global object is as visible as the bare name; a computed
            # key is the evasion.
            return Ref(kind, computed, how)
        if r.kind is Kind.FUNCTION and prop == "prototype":
            return Ref(Kind.FUNCTION_PROTO, True)
        if r.kind in (Kind.EVAL, Kind.FUNCTION) and prop == "bind":
            return Ref(r.kind, True, ".bind")
        return None

    def _resolve_call_result(self, node: Node, depth: int) -> Ref | None:
        callee = node.child_by_field_name("function")
        args = self._arg_nodes(node)
        if callee is None:
            return None
        if callee.type == "member_expression":
            prop = self._t(callee.child_by_field_name("property"))
            obj = callee.child_by_field_name("object")
            if prop == "getPrototypeOf" and self._t(obj) in ("Object", "Reflect") and args:
                a = args[0]
                if a.type in (
                    "function_expression",
                    "function",
                    "arrow_function",
                    "generator_function",
                ):
                    if self._t(a).lstrip().startswith(_ASYNCISH) or a.type == "generator_function":
                        return Ref(Kind.ASYNC_PROTO, False)
                    return Ref(Kind.FUNCTION_PROTO, True)
                r = self.resolve(a, depth + 1)
                if r is not None and r.kind in (Kind.FUNCTION_VALUE, Kind.EVAL, Kind.FUNCTION):
                    return Ref(Kind.FUNCTION_PROTO, True)
                return None
            if prop == "bind":
                r = self.resolve(obj, depth + 1)
                if r is not None and r.kind in (Kind.EVAL, Kind.FUNCTION, Kind.TIMER):
                    return Ref(r.kind, True, ".bind")
                return None
            if prop == "get" and self._t(obj) == "Reflect" and len(args) >= 2:
                key = self._fold_str(args[1])
                if key is not None:
                    return self._resolve_member(args[0], key, True, depth + 1)
                return None
        # (0, eval)('this') and Function('return this')() yield the global object.
        inner = self.resolve(callee, depth + 1)
        if inner is not None and inner.kind is Kind.EVAL:
            code = self._code_arg(Kind.EVAL, args)
            if code is not None and _is_idiom(code):
                return Ref(Kind.GLOBAL, True, "global-this idiom")
        if callee.type in ("call_expression", "new_expression"):
            ctor = callee.child_by_field_name(
                "function" if callee.type == "call_expression" else "constructor"
            )
            made = self.resolve(ctor, depth + 1)
            if made is not None and made.kind is Kind.FUNCTION:
                code = self._code_arg(Kind.FUNCTION, self._arg_nodes(callee))
                if code is not None and _is_idiom(code):
                    return Ref(Kind.GLOBAL, True, "global-this idiom")
        if callee.type in ("function_expression", "function") and "return this" in self._t(callee):
            return Ref(Kind.GLOBAL, True, "function returning this")
        return None

    def _member_key(self, node: Node) -> str | None:
        if node.type == "member_expression":
            return self._t(node.child_by_field_name("property"))
        return self._fold_str(node.child_by_field_name("index"))

    # --- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _arg_nodes(call: Node) -> list[Node]:
        args = call.child_by_field_name("arguments")
        if args is not None and args.type == "template_string":
            return [args]  # a tagged template: Function`code` compiles the template text
        if args is None or args.type != "arguments":
            return []
        return [c for c in args.named_children if c.type != "comment"]

    def _fold_str(self, node: Node | None) -> str | None:
        return js_to_string(fold(node, self))

    def _code_arg(self, kind: Kind, args: list[Node]) -> str | None:
        if not args:
            return None
        if kind is Kind.EVAL:
            return self._fold_str(args[0])
        # Function(p1, p2, body): every argument must be constant to know the code.
        parts = [self._fold_str(a) for a in args]
        if any(p is None for p in parts):
            return None
        return parts[-1]

    def _has_decoder(self, nodes: list[Node], follow: int = 2) -> bool:
        """Does the code passed here come from a decoder or from fetched data?

        Follows identifiers to their bound values (``follow`` levels), and treats the
        parameter of a ``.then(...)`` callback as fetched data.
        """
        for top in nodes:
            for n in _walk(top):
                if n.type == "identifier" and self._t(n) in _DECODERS:
                    return True
                if n.type == "member_expression":
                    prop = self._t(n.child_by_field_name("property"))
                    if prop in _DECODER_PROPS:
                        return True
                if n.type == "call_expression":
                    callee = n.child_by_field_name("function")
                    if (
                        callee is not None
                        and callee.type == "member_expression"
                        and self._t(callee.child_by_field_name("property")) in _DECODER_METHODS
                    ):
                        return True
                if n.type == "identifier" and follow > 0:
                    declared, values = self._binding(n)
                    bound = [v for v in values if v is not None]
                    if bound and self._has_decoder(bound, follow - 1):
                        return True
                    if declared and None in values and self._is_then_param(n):
                        return True
        return False

    def _is_then_param(self, ident: Node) -> bool:
        """Is ``ident`` a parameter of the function it is used in, passed to ``.then()``?"""
        cur: Node | None = ident.parent
        while cur is not None and cur.type not in _FUNCTION_SCOPES:
            cur = cur.parent
        if cur is None or cur.type == "program":
            return False
        params = cur.child_by_field_name("parameters") or cur.child_by_field_name("parameter")
        if params is None or self._t(ident) not in {
            self._t(p) for p in ([params] if params.type == "identifier" else params.named_children)
        }:
            return False
        args = cur.parent
        call = args.parent if args is not None and args.type == "arguments" else None
        if call is None or call.type != "call_expression":
            return False
        callee = call.child_by_field_name("function")
        return callee is not None and self._t(callee.child_by_field_name("property")) == "then"

    def _is_stringy(self, node: Node, depth: int = 0) -> bool:
        if depth > self.limits.max_resolve_depth:
            return False
        if node.type in ("string", "template_string"):
            return True
        if (
            node.type == "binary_expression"
            and self._t(node.child_by_field_name("operator")) == "+"
        ):
            operands = [
                c
                for c in (node.child_by_field_name("left"), node.child_by_field_name("right"))
                if c is not None
            ]
            # Only the first level of a long chain is looked at operand by operand; the
            # leftmost operand of a chain decides most cases and bounds the work.
            return any(self._is_stringy(c, depth + 1) for c in operands)
        if node.type == "parenthesized_expression" and node.named_children:
            return self._is_stringy(node.named_children[-1], depth + 1)
        if node.type == "call_expression":
            callee = node.child_by_field_name("function")
            name = self._t(callee).rsplit(".", 1)[-1]
            return (
                name in _DECODERS
                or name in _DECODER_METHODS
                or name
                in (
                    "join",
                    "toString",
                    "String",
                    "concat",
                )
            )
        return isinstance(fold(node, self), str)

    def scan_code(self, code: str, node: Node, what: str) -> None:
        """Parse a constant code string and analyse it, findings anchored at ``node``."""
        if self.depth >= self.limits.max_code_depth:
            self.emit("SA101", node, f"{what} nests code strings deeper than the analyser follows")
            return
        anchor = self.anchor
        if anchor is None:
            line, col = self._pos(node)
            snippet = " ".join(self._t(node).split())[: self.limits.snippet_chars]
            anchor = (line, col, snippet)
        sub = _Analysis(
            code.encode("utf-8", "surrogatepass"),
            self.ctx,
            self._emit,
            self.depth + 1,
            anchor,
            self.line_base,
            self.col_base,
        )
        sub.run()

    # --- the rules ----------------------------------------------------------------------------
    def run(self) -> None:
        parser = Parser(JS_LANGUAGE)
        tree = parser.parse(self.source)
        root = tree.root_node
        caps = QueryCursor(_QUERY).captures(root)
        self._index_scopes(caps.get("scope", []), root)
        get: Callable[[str], list[Node]] = lambda k: caps.get(k, [])  # noqa: E731

        if root.has_error:
            err = _first_error(root)
            self.emit(
                "SA603", err or root, "code does not parse cleanly; analysis may be incomplete"
            )

        for d in get("declarator"):
            name = d.child_by_field_name("name")
            if name is not None and name.type == "object_pattern":
                self._check_destructuring(name, d.child_by_field_name("value"))
            if name is not None and name.type == "identifier":
                self._by_name.setdefault(self._t(name), []).append(
                    (d, d.child_by_field_name("value"), True)
                )
        for a in get("assign"):
            left = a.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                self._by_name.setdefault(self._t(left), []).append(
                    (a, a.child_by_field_name("right"), False)
                )
        for p in get("params"):
            for c in p.named_children:
                ident = c if c.type == "identifier" else c.child_by_field_name("left")
                if ident is not None and ident.type == "identifier":
                    self._by_name.setdefault(self._t(ident), []).append((c, None, True))
            self._check_packer(p)

        for n in get("call"):
            self._check_call(n, is_new=False)
        for n in get("new"):
            self._check_call(n, is_new=True)
        for n in get("declarator"):
            self._check_alias(n.child_by_field_name("value"), n)
        for n in get("assign"):
            self._check_alias(n.child_by_field_name("right"), n)
            self._check_assignment(n)
        for n in get("ident"):
            self._check_ident(n)
        for n in get("prop"):
            self._check_name(n, self._t(n))
        for n in get("member"):
            self._check_member(n)
        for n in get("subscript"):
            self._check_subscript(n)
        for n in get("string"):
            self._check_string(n, decode_string_node(n))
        for n in get("template"):
            if not any(c.type == "template_substitution" for c in n.named_children):
                self._check_string(n, self._fold_str(n) or "")
        for n in get("while"):
            self._check_rotation(n)
        for n in get("import"):
            self._check_import(n)
        for n in get("comment"):
            self._collect_suppression(n)
        self._check_obfuscator_names(get("ident"))

    def _check_call(self, node: Node, is_new: bool) -> None:
        callee = node.child_by_field_name("constructor" if is_new else "function")
        if callee is None:
            return
        args = self._arg_nodes(node)
        if callee.type == "import":
            self._check_dynamic_import(node, args)
            return
        ref = self.resolve(callee)
        # eval.call(null, code) / eval.apply(null, [code]) / Reflect.apply(eval, null, [code])
        if ref is None and callee.type == "member_expression":
            prop = self._t(callee.child_by_field_name("property"))
            obj = callee.child_by_field_name("object")
            if prop in ("call", "apply"):
                inner = self.resolve(obj)
                if inner is not None and inner.kind in (
                    Kind.EVAL,
                    Kind.FUNCTION,
                    Kind.TIMER,
                    Kind.ASYNC_FUNCTION,
                ):
                    ref = Ref(inner.kind, inner.indirect, inner.how)
                    args = args[1:] if prop == "call" else _array_items(args[1:2])
            elif prop in ("apply", "construct") and self._t(obj) == "Reflect" and args:
                inner = self.resolve(args[0])
                if inner is not None and inner.kind in (
                    Kind.EVAL,
                    Kind.FUNCTION,
                    Kind.ASYNC_FUNCTION,
                ):
                    ref = Ref(inner.kind, inner.kind is not Kind.ASYNC_FUNCTION, f"Reflect.{prop}")
                    args = _array_items(args[2:3] if prop == "apply" else args[1:2])
        if ref is not None:
            if ref.kind is Kind.EVAL:
                self._check_eval(node, ref, args)
            elif ref.kind in (Kind.FUNCTION, Kind.ASYNC_FUNCTION):
                self._check_function_ctor(node, ref, args)
            elif ref.kind is Kind.TIMER:
                self._check_timer(node, ref, args)
        self._check_sinks(node, callee, args, is_new)

    def _check_eval(self, node: Node, ref: Ref, args: list[Node]) -> None:
        code = self._code_arg(Kind.EVAL, args)
        if code is not None and _is_idiom(code):
            self.emit("SA105", node, "indirect eval of 'this' (global-object idiom)")
            return
        if ref.indirect:
            self.emit("SA102", node, f"eval reached indirectly ({ref.how or 'hidden reference'})")
        elif self._has_decoder(args):
            self.emit("SA104", node, "eval of decoded or fetched data")
        elif code is None:
            if args:
                self.emit("SA101", node, "eval of code built at run time")
        else:
            self.emit("SA110", node, "eval of a constant string (scanned as code)")
        if code is not None:
            self.scan_code(code, node, "eval")

    def _check_function_ctor(self, node: Node, ref: Ref, args: list[Node]) -> None:
        if not args:
            return
        code = self._code_arg(Kind.FUNCTION, args)
        if code is not None and _is_idiom(code):
            self.emit(
                "SA105",
                node,
                "Function constructor with the constant "
                f"{code.strip()!r} (global-object idiom or CSP probe)",
            )
            return
        name = ref.kind.value
        if ref.indirect and ref.kind is Kind.FUNCTION:
            self.emit("SA102", node, f"Function constructor reached indirectly ({ref.how})")
        elif self._has_decoder(args):
            self.emit("SA104", node, f"{name} constructor compiles decoded or fetched data")
        elif code is None:
            self.emit("SA103", node, f"{name} constructor compiles code built at run time")
        else:
            self.emit("SA110", node, f"{name} constructor with constant code (scanned as code)")
        if code is not None:
            self.scan_code(code, node, name)

    def _check_timer(self, node: Node, ref: Ref, args: list[Node]) -> None:
        if not args or not self._is_stringy(args[0]):
            return
        code = self._fold_str(args[0])
        if code is None:
            if self._has_decoder(args[:1]):
                self.emit("SA104", node, "timer with a string handler of decoded data")
            else:
                self.emit("SA106", node, "timer called with a string built at run time")
            return
        self.emit("SA110", node, "timer with a constant string handler (scanned as code)")
        self.scan_code(code, node, "timer string")

    def _check_dynamic_import(self, node: Node, args: list[Node]) -> None:
        if not args:
            return
        spec = fold_prefix(args[0], self)
        full = self._fold_str(args[0])
        if is_remote_code_url(spec):
            self.emit("SA107", node, f"import() of a URL outside the bundle: {spec[:80]}")
        elif full is None:
            self.emit("SA111", node, "import() of a specifier computed at run time")

    def _check_import(self, node: Node) -> None:
        source = node.child_by_field_name("source")
        if source is None or source.type != "string":
            return
        spec = decode_string_node(source)
        if is_remote_code_url(spec):
            self.emit("SA107", node, f"import from a URL outside the bundle: {spec[:80]}")

    def _check_sinks(self, node: Node, callee: Node, args: list[Node], is_new: bool) -> None:
        name = self._t(callee)
        last = name.rsplit(".", 1)[-1] if callee.type in ("member_expression", "identifier") else ""
        if is_new and last in _CODE_LOADER_CTORS and args:
            self.ctx.shared.spawns_workers = True
            self._check_code_url(node, args[0], f"new {last}()")
        if is_new and last in _NET_CTORS and args:
            self._check_net(node, args[0], f"new {last}()")
        if not is_new and last == "importScripts":
            for a in args:
                self._check_code_url(node, a, "importScripts()")
        if not is_new and (name in _NET_CALLS or name.endswith((".fetch", "sendBeacon"))) and args:
            self._check_net(node, args[0], last + "()")
        if not is_new and last == "open" and len(args) >= 2:
            method = self._fold_str(args[0])
            if method is not None and method.upper() in _HTTP_METHODS:
                self._check_net(node, args[1], "XMLHttpRequest.open()")
        if not is_new and last == "open" and args and callee.type == "member_expression":
            obj = self.resolve(callee.child_by_field_name("object"))
            if obj is not None and obj.kind is Kind.GLOBAL:
                self._check_nav(node, args[0], "window.open()")
                self._check_net(node, args[0], "window.open()")
        if not is_new and last in ("assign", "replace") and "location" in name and args:
            self._check_nav(node, args[0], f"location.{last}()")
        if not is_new and last == "setAttribute" and len(args) >= 2:
            attr = (self._fold_str(args[0]) or "").lower()
            target = (
                callee.child_by_field_name("object") if callee.type == "member_expression" else None
            )
            if attr.startswith("on"):
                self._check_handler_string(node, args[1])
            if attr in ("src", "href", "action", "formaction", "data"):
                self._check_nav(node, args[1], f"setAttribute('{attr}')")
                if target is not None and self._is_code_element(target):
                    self._check_code_url(node, args[1], "script/iframe src")
                else:
                    self._check_net(node, args[1], f"setAttribute('{attr}')")
        if not is_new and last in ("write", "writeln", "insertAdjacentHTML") and args:
            self._check_html_string(node, args[-1])
        if (
            not is_new
            and name.startswith("WebAssembly.")
            and last in ("instantiate", "compile", "instantiateStreaming", "compileStreaming")
        ):
            self._check_wasm(node, args)
        if is_new and name == "WebAssembly.Module":
            self._check_wasm(node, args)

    def _check_wasm(self, node: Node, args: list[Node]) -> None:
        fetched = any(
            n.type in ("identifier", "property_identifier")
            and self._t(n) in ("fetch", "arrayBuffer", "response")
            for a in args
            for n in _walk(a)
        )
        if fetched:
            line, col = self._pos(node) if self.anchor is None else self.anchor[:2]
            self.ctx.shared.wasm_sites.append(
                Finding(
                    self.ctx.file,
                    line,
                    col,
                    "SA403",
                    "WebAssembly compiled from fetched bytes in a bundle that spawns workers",
                    " ".join(self._t(node).split())[: self.limits.snippet_chars],
                )
            )

    def _is_code_element(self, node: Node) -> bool:
        """Is ``node`` a script/iframe element created with document.createElement?"""
        if node.type == "call_expression":
            return self._creates_code_element(node)
        if node.type == "identifier":
            _, values = self._binding(node)
            return any(
                v is not None and v.type == "call_expression" and self._creates_code_element(v)
                for v in values
            )
        return False

    def _creates_code_element(self, call: Node) -> bool:
        callee = call.child_by_field_name("function")
        if callee is None or not self._t(callee).endswith("createElement"):
            return False
        args = self._arg_nodes(call)
        tag = (self._fold_str(args[0]) or "").lower() if args else ""
        return tag in _CODE_ELEMENTS

    def _check_code_url(self, node: Node, arg: Node, what: str) -> None:
        url = fold_prefix(arg, self)
        if is_remote_code_url(url):
            self.emit("SA108", node, f"{what} loads code from outside the bundle: {url[:80]}")
        elif url and self._fold_str(arg) is not None:
            self.ctx.shared.script_refs.append((self.ctx.file, url))

    def _check_net(self, node: Node, arg: Node, what: str) -> None:
        url = fold_prefix(arg, self)
        host = remote_host(url)
        if host is not None and not host_allowed(host, self.ctx.allowed_hosts):
            self.emit("SA501", node, f"{what} to {host}, which is not in allowed_hosts")

    def _check_nav(self, node: Node, arg: Node, what: str) -> None:
        url = fold_prefix(arg, self)
        if not url.strip().lower().startswith("javascript:"):
            return
        code = self._fold_str(arg)
        if code is None:
            self.emit("SA101", node, f"javascript: URL built at run time ({what})")
            return
        body = code.strip()[len("javascript:") :]
        if is_noop_js(body):
            return
        self.emit("SA109", node, f"javascript: URL ({what})")
        self.scan_code(body, node, "javascript: URL")

    def _check_handler_string(self, node: Node, arg: Node) -> None:
        code = self._fold_str(arg)
        if code is None:
            if self._is_stringy(arg):
                self.emit("SA106", node, "event handler attribute set from a run-time string")
            return
        self.emit("SA110", node, "event handler attribute set from a constant string")
        self.scan_code(code, node, "event handler")

    def _check_html_string(self, node: Node, arg: Node) -> None:
        html = fold_prefix(arg, self)
        if "<" not in html:
            return
        from superapp.analysis._html import analyse_html_fragment

        analyse_html_fragment(html, self, node)

    def _check_assignment(self, node: Node) -> None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or right is None:
            return
        if left.type == "identifier" and self._t(left) == "location":
            self._check_nav(node, right, "location")
            return
        if left.type != "member_expression":
            return
        prop = self._t(left.child_by_field_name("property"))
        obj = left.child_by_field_name("object")
        if prop in _NAV_PROPS:
            self._check_nav(node, right, f".{prop}")
        if prop in _URL_PROPS and obj is not None:
            if self._is_code_element(obj):
                self._check_code_url(node, right, "script/iframe src")
            elif prop == "src":
                self._check_net(node, right, ".src")
        if prop in _HTML_PROPS:
            self._check_html_string(node, right)
        if prop.startswith("on") and self._is_stringy(right):
            self._check_handler_string(node, right)
        if prop in _SCRIPT_TEXT_PROPS and obj is not None and self._is_script_element(obj):
            code = self._fold_str(right)
            if code is not None:
                self.emit("SA110", node, "script element with constant code (scanned as code)")
                self.scan_code(code, node, "script text")
            elif self._has_decoder([right]):
                self.emit("SA104", node, "script element filled with decoded or fetched data")
            else:
                self.emit("SA112", node, f"script element code set at run time (.{prop})")

    def _is_script_element(self, node: Node) -> bool:
        if not self._is_code_element(node):
            return False
        calls = (
            [node]
            if node.type == "call_expression"
            else [
                v for v in self._binding(node)[1] if v is not None and v.type == "call_expression"
            ]
        )
        for call in calls:
            args = self._arg_nodes(call)
            if args and (self._fold_str(args[0]) or "").lower() == "script":
                return True
        return False

    def _check_alias(self, value: Node | None, site: Node) -> None:
        if value is None:
            return
        is_eval_name = value.type == "identifier" and self._t(value) == "eval"
        if value.type not in _HIDING_FORMS and not is_eval_name:
            return
        ref = self.resolve(value)
        if ref is None:
            return
        if ref.kind is Kind.EVAL:
            self.emit("SA102", site, f"eval stored in a variable ({ref.how or 'alias'})")
        elif ref.kind is Kind.FUNCTION and ref.indirect and value.type != "identifier":
            self.emit("SA102", site, f"Function constructor obtained indirectly ({ref.how})")

    def _check_destructuring(self, pattern: Node, value: Node | None) -> None:
        """``const {eval: e} = window`` and ``const {['ev'+'al']: e} = globalThis``."""
        ref = self.resolve(value)
        if ref is None or ref.kind is not Kind.GLOBAL:
            return
        for pair in pattern.named_children:
            key_node = pair.child_by_field_name("key") if pair.type == "pair_pattern" else pair
            if key_node is None:
                continue
            if key_node.type == "computed_property_name" and key_node.named_children:
                key = self._fold_str(key_node.named_children[0])
            elif key_node.type == "string":
                key = decode_string_node(key_node)
            else:
                key = self._t(key_node)
            if key in ("eval", "Function", "execScript"):
                self.emit("SA102", pair, f"'{key}' destructured from the global object")
            elif key in self.limits.host_internals:
                self.emit("SA201", pair, f"host internals '{key}' destructured")

    def _check_ident(self, node: Node) -> None:
        name = self._t(node)
        self._check_name(node, name)
        if name == "eval":
            parent = node.parent
            if parent is None:
                return
            if parent.type in (
                "arguments",
                "array",
                "pair",
                "return_statement",
                "ternary_expression",
                "spread_element",
                "assignment_pattern",
                "object_assignment_pattern",
            ):
                self.emit("SA102", node, "eval passed around as a value")
        if name in self.limits.host_internals:
            declared, _ = self._binding(node)
            if not declared:
                self.emit("SA201", node, f"reference to host internals '{name}'")

    def _check_name(self, node: Node, name: str) -> None:
        if "\\u" in name:
            self.emit("SA303", node, "identifier written with \\u escapes")
        m = _marker_re(self.limits.miner_markers).search(name)
        if m is not None:
            self.emit("SA401", node, f"crypto-miner marker '{m.group(0).lower()}'")

    def _check_member(self, node: Node) -> None:
        prop = self._t(node.child_by_field_name("property"))
        if prop in self.limits.host_internals:
            self.emit("SA201", node, f"access to host internals '.{prop}'")
            return
        if prop == "qt":
            obj = self.resolve(node.child_by_field_name("object"))
            if obj is not None and obj.kind is Kind.GLOBAL:
                self.emit("SA201", node, "access to the Qt bridge object 'qt'")
        if prop in ("webview", "messageHandlers"):
            obj_text = self._t(node.child_by_field_name("object"))
            if obj_text in ("chrome", "webkit", "window.chrome", "window.webkit"):
                self.emit("SA201", node, f"access to another webview bridge '{obj_text}.{prop}'")

    def _check_subscript(self, node: Node) -> None:
        index = node.child_by_field_name("index")
        if index is None or index.type == "string":
            key = decode_string_node(index) if index is not None else None
        else:
            key = self._fold_str(index)
        if key is None:
            return
        if key in self.limits.host_internals:
            self.emit("SA201", node, f"computed access to host internals '{key}'")
        elif key == "qt":
            obj = self.resolve(node.child_by_field_name("object"))
            if obj is not None and obj.kind is Kind.GLOBAL:
                self.emit("SA201", node, "computed access to the Qt bridge object 'qt'")
        elif index is not None and index.type != "string" and key in ("eval", "Function"):
            parent = node.parent
            if parent is None or parent.type != "call_expression":
                obj = self.resolve(node.child_by_field_name("object"))
                if obj is not None and obj.kind is Kind.GLOBAL:
                    self.emit("SA102", node, f"'{key}' reached through a computed member")
        escaped = "\\x" in self._t(index) or "\\u" in self._t(index)
        if escaped and key.isidentifier():
            self.emit("SA303", node, f"member name '{key}' written with escapes")

    def _check_string(self, node: Node, value: str) -> None:
        if not value:
            return
        low = value.lower()
        for marker in self.limits.pool_markers:
            if marker in low:
                self.emit("SA402", node, f"mining pool protocol marker '{marker}'")
                break
        for marker in self.limits.miner_markers:
            if marker in low:
                self.emit("SA401", node, f"crypto-miner marker '{marker}'")
                break
        if value in self.limits.host_internals:
            parent = node.parent
            if parent is None or parent.type != "subscript_expression":
                self.emit("SA201", node, f"host internals named in a string '{value}'")
        if (
            len(value) >= self.limits.entropy_min_chars
            and sum(c.isspace() for c in value) <= len(value) * self.limits.entropy_max_space_ratio
            and _entropy(value) >= self.limits.entropy_min_bits
        ):
            row = node.start_point[0]
            if self._lines is None:
                self._lines = self.source.split(b"\n")
            if row < len(self._lines) and len(self._lines[row]) >= self.limits.long_line_chars:
                self.emit(
                    "SA304", node, f"{len(value)}-character high-entropy string on a long line"
                )
        if "://" in value[:12] or value.startswith("//"):
            host = remote_host(value)
            if (
                host is not None
                and not host_allowed(host, self.ctx.allowed_hosts)
                and host not in self.limits.namespace_hosts
            ):
                self.emit("SA502", node, f"URL to {host}, which is not in allowed_hosts")

    def _check_packer(self, params: Node) -> None:
        names = [self._t(c) for c in params.named_children]
        if names[:5] == ["p", "a", "c", "k", "e"] and len(names) == 6 and names[5] in ("d", "r"):
            self.emit("SA301", params.parent or params, "packer signature function(p,a,c,k,e,d)")

    def _check_rotation(self, node: Node) -> None:
        cond = node.child_by_field_name("condition")
        if cond is None or "".join(self._t(cond).split()) not in ("(!![])", "(!!true)", "(true)"):
            return
        body = node.child_by_field_name("body")
        seen: set[str] = set()
        for n in _walk(body):
            if n.type == "property_identifier":
                seen.add(self._t(n))
            elif (
                n.type == "string"
                and n.parent is not None
                and n.parent.type == "subscript_expression"
            ):
                seen.add(decode_string_node(n))
        if {"push", "shift"} <= seen:
            self.emit("SA302", node, "string-array rotation loop (push(shift()))")

    def _check_obfuscator_names(self, idents: list[Node]) -> None:
        names: set[str] = set()
        first: Node | None = None
        for n in idents:
            t = self._t(n)
            if _OBF_NAME.match(t):
                names.add(t)
                if first is None or n.start_byte < first.start_byte:
                    first = n
        if first is not None and len(names) >= self.limits.obfuscator_names:
            self.emit("SA303", first, f"{len(names)} obfuscator-style _0x… identifiers")

    def _collect_suppression(self, node: Node) -> None:
        text = self._t(node)
        if "superapp-scan" not in text:
            return
        body = text.strip()
        for opener in ("//", "/*", "<!--"):
            if body.startswith(opener):
                body = body[len(opener) :].strip()
        m = SUPPRESS_RE.search(body)
        line, col = self._pos(node)
        end_line = line + node.end_point[0] - node.start_point[0]
        if m is None:
            self.emit("SA604", node, "malformed superapp-scan comment (see docs/rules.md)")
            return
        ids = tuple(i.strip().upper() for i in m.group("ids").split(","))
        reason = (m.group("reason") or "").strip()
        self.suppressions.append(Suppression(end_line, ids, reason, body, col))


def _array_items(nodes: list[Node]) -> list[Node]:
    if nodes and nodes[0].type == "array":
        return [c for c in nodes[0].named_children if c.type != "comment"]
    return []


@functools.lru_cache(maxsize=8)
def _marker_re(markers: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(m) for m in markers), re.IGNORECASE)


def _is_idiom(code: str) -> bool:
    return " ".join(code.replace(";", " ").split()) in _IDIOM_CODE


def is_noop_js(body: str) -> bool:
    compact = "".join(body.split()).rstrip(";")
    return compact in ("", "0", "void(0)", "void0", "void(null)", "undefined", "false")


def _first_error(root: Node) -> Node | None:
    for n in _walk(root):
        if n.type == "ERROR" or n.is_missing:
            return n
    return None


def _walk(node: Node | None) -> Iterator[Node]:
    if node is None:
        return
    cursor = node.walk()
    visited_children = False
    while True:
        if not visited_children:
            yield cursor.node  # type: ignore[misc]
            if cursor.goto_first_child():
                continue
        if cursor.node is not None and cursor.node.id == node.id:
            return
        if cursor.goto_next_sibling():
            visited_children = False
            continue
        if not cursor.goto_parent():
            return
        visited_children = True
        if cursor.node is not None and cursor.node.id == node.id:
            return


def analyse_js(
    source: bytes,
    ctx: Context,
    emit: Emit,
    *,
    line_base: int = 1,
    col_base: int = 0,
    depth: int = 0,
) -> list[Suppression]:
    """Run every JavaScript rule over ``source``; returns the suppression comments found."""
    analysis = _Analysis(source, ctx, emit, depth, None, line_base, col_base)
    analysis.run()
    return analysis.suppressions
