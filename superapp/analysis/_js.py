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

The analysis is one class built in layers, one concern per module:

    _jsbase      names, kinds, the query, URL and tree helpers (no analysis state)
    _jsscope     AnalysisBase: source, positions, emitting, scopes and bindings (step 3)
    _jsresolve   Resolver: what an expression holds; decoders and strings (step 4)
    _jscode      CodeRules: eval, Function, timers, imports, stored references
    _jssinks     SinkRules: network, navigation, script and HTML sinks
    _jstext      TextRules: names, members, strings, obfuscation, suppression comments
    _js          _Analysis: the procedure above (``run``) and the call dispatch
"""

from __future__ import annotations

from collections.abc import Callable

from tree_sitter import Node, Parser, QueryCursor

from superapp.analysis._fold import decode_string_node
from superapp.analysis._jsbase import (
    JS_LANGUAGE,
    QUERY,
    SUPPRESS_RE,
    BundleState,
    Context,
    Emit,
    Suppression,
    first_error,
    host_allowed,
    is_noop_js,
    is_remote_code_url,
    remote_host,
)
from superapp.analysis._jscode import CodeRules
from superapp.analysis._jsscope import AnalysisBase
from superapp.analysis._jssinks import SinkRules
from superapp.analysis._jstext import TextRules

__all__ = [
    "JS_LANGUAGE",
    "SUPPRESS_RE",
    "AnalysisBase",
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

_Captures = Callable[[str], list[Node]]


class _Analysis(CodeRules, SinkRules, TextRules):
    def run(self) -> None:
        parser = Parser(JS_LANGUAGE)
        tree = parser.parse(self.source)
        root = tree.root_node
        caps = QueryCursor(QUERY).captures(root)
        self._index_scopes(caps.get("scope", []), root)
        get: _Captures = lambda k: caps.get(k, [])  # noqa: E731

        if root.has_error:
            err = first_error(root)
            self.emit(
                "SA603", err or root, "code does not parse cleanly; analysis may be incomplete"
            )
        self._collect_bindings(get)
        self._check_code(get)
        self._check_text(get)

    def _collect_bindings(self, get: _Captures) -> None:
        """Step 3: declarations, assignments and parameters, by name."""
        for d in get("declarator"):
            name = d.child_by_field_name("name")
            if name is not None and name.type == "object_pattern":
                self._check_destructuring(name, d.child_by_field_name("value"))
            if name is not None and name.type == "identifier":
                self._bind(name, d, d.child_by_field_name("value"), True)
        for a in get("assign"):
            left = a.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                self._bind(left, a, a.child_by_field_name("right"), False)
        for p in get("params"):
            self._collect_params(p)
            self._check_packer(p)

    def _collect_params(self, params: Node) -> None:
        for c in params.named_children:
            ident = c if c.type == "identifier" else c.child_by_field_name("left")
            if ident is not None and ident.type == "identifier":
                self._bind(ident, c, None, True)

    def _bind(self, name: Node, site: Node, value: Node | None, is_decl: bool) -> None:
        self._by_name.setdefault(self._t(name), []).append((site, value, is_decl))

    def _check_code(self, get: _Captures) -> None:
        """Step 4, first half: calls, ``new``, stored references, assignments."""
        for n in get("call"):
            self._check_call(n, is_new=False)
        for n in get("new"):
            self._check_call(n, is_new=True)
        for n in get("declarator"):
            self._check_alias(n.child_by_field_name("value"), n)
        for n in get("assign"):
            self._check_alias(n.child_by_field_name("right"), n)
            self._check_assignment(n)

    def _check_text(self, get: _Captures) -> None:
        """Step 4, second half: names, members, strings, loops, imports, comments."""
        for n in get("ident"):
            self._check_ident(n)
        for n in get("prop"):
            self._check_name(n, self._t(n))
        for n in get("member"):
            self._check_member(n)
        for n in get("subscript"):
            self._check_subscript(n)
        self._check_strings(get)
        for n in get("while"):
            self._check_rotation(n)
        for n in get("import"):
            self._check_import(n)
        for n in get("comment"):
            self._collect_suppression(n)
        self._check_obfuscator_names(get("ident"))

    def _check_strings(self, get: _Captures) -> None:
        for n in get("string"):
            self._check_string(n, decode_string_node(n))
        for n in get("template"):
            if not any(c.type == "template_substitution" for c in n.named_children):
                self._check_string(n, self._fold_str(n) or "")

    def _check_call(self, node: Node, is_new: bool) -> None:
        callee = node.child_by_field_name("constructor" if is_new else "function")
        if callee is None:
            return
        args = self._arg_nodes(node)
        if callee.type == "import":
            self._check_dynamic_import(node, args)
            return
        ref = self.resolve(callee)
        if ref is None:
            ref, args = self._unwrap_call(callee, args)
        if ref is not None:
            self._check_compiler(node, ref, args)
        self._check_sinks(node, callee, args, is_new)


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
