"""Rules on sinks: where code and URLs leave the page's own script (SA104, SA106, SA108–SA110,
SA112, SA403, SA501).

Calls and ``new`` expressions are matched against the sink table below, in order; assignments
to URL, navigation, HTML, handler and script-text properties are checked in
``_check_assignment``. URLs are folded as far as their constant prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tree_sitter import Node

from superapp.analysis._fold import fold_prefix
from superapp.analysis._jsbase import (
    CODE_ELEMENTS,
    CODE_LOADER_CTORS,
    HTML_PROPS,
    HTTP_METHODS,
    NAV_PROPS,
    NET_CALLS,
    NET_CTORS,
    SCRIPT_TEXT_PROPS,
    URL_PROPS,
    Kind,
    host_allowed,
    is_noop_js,
    is_remote_code_url,
    remote_host,
    walk,
)
from superapp.analysis._jsresolve import Resolver
from superapp.analysis._model import Finding

__all__ = ["SinkRules"]

_WASM_COMPILERS = ("instantiate", "compile", "instantiateStreaming", "compileStreaming")
_URL_ATTRIBUTES = ("src", "href", "action", "formaction", "data")


@dataclass(frozen=True)
class _Call:
    """One call or ``new`` expression, as the sink checks see it."""

    node: Node
    callee: Node
    name: str  # the callee's source text
    last: str  # its last dotted part ("" unless a name or a member)
    args: list[Node]


class SinkRules(Resolver):
    """The sink rules: calls and ``new`` (``_check_sinks``), and assignments."""

    def _check_sinks(self, node: Node, callee: Node, args: list[Node], is_new: bool) -> None:
        name = self._t(callee)
        last = name.rsplit(".", 1)[-1] if callee.type in ("member_expression", "identifier") else ""
        call = _Call(node, callee, name, last, args)
        for check in _NEW_SINKS if is_new else _CALL_SINKS:
            check(self, call)

    # --- new X(...) -----------------------------------------------------------------------
    def _sink_worker(self, c: _Call) -> None:
        if c.last in CODE_LOADER_CTORS and c.args:
            self.ctx.shared.spawns_workers = True
            self._check_code_url(c.node, c.args[0], f"new {c.last}()")

    def _sink_socket(self, c: _Call) -> None:
        if c.last in NET_CTORS and c.args:
            self._check_net(c.node, c.args[0], f"new {c.last}()")

    def _sink_wasm_module(self, c: _Call) -> None:
        if c.name == "WebAssembly.Module":
            self._check_wasm(c.node, c.args)

    # --- calls ----------------------------------------------------------------------------
    def _sink_import_scripts(self, c: _Call) -> None:
        if c.last == "importScripts":
            for a in c.args:
                self._check_code_url(c.node, a, "importScripts()")

    def _sink_fetch(self, c: _Call) -> None:
        if (c.name in NET_CALLS or c.name.endswith((".fetch", "sendBeacon"))) and c.args:
            self._check_net(c.node, c.args[0], c.last + "()")

    def _sink_xhr_open(self, c: _Call) -> None:
        if c.last == "open" and len(c.args) >= 2:
            method = self._fold_str(c.args[0])
            if method is not None and method.upper() in HTTP_METHODS:
                self._check_net(c.node, c.args[1], "XMLHttpRequest.open()")

    def _sink_window_open(self, c: _Call) -> None:
        if c.last == "open" and c.args and c.callee.type == "member_expression":
            obj = self.resolve(c.callee.child_by_field_name("object"))
            if obj is not None and obj.kind is Kind.GLOBAL:
                self._check_nav(c.node, c.args[0], "window.open()")
                self._check_net(c.node, c.args[0], "window.open()")

    def _sink_location(self, c: _Call) -> None:
        if c.last in ("assign", "replace") and "location" in c.name and c.args:
            self._check_nav(c.node, c.args[0], f"location.{c.last}()")

    def _sink_set_attribute(self, c: _Call) -> None:
        if c.last != "setAttribute" or len(c.args) < 2:
            return
        attr = (self._fold_str(c.args[0]) or "").lower()
        member = c.callee.type == "member_expression"
        target = c.callee.child_by_field_name("object") if member else None
        if attr.startswith("on"):
            self._check_handler_string(c.node, c.args[1])
        if attr in _URL_ATTRIBUTES:
            self._check_nav(c.node, c.args[1], f"setAttribute('{attr}')")
            if target is not None and self._is_code_element(target):
                self._check_code_url(c.node, c.args[1], "script/iframe src")
            else:
                self._check_net(c.node, c.args[1], f"setAttribute('{attr}')")

    def _sink_document_write(self, c: _Call) -> None:
        if c.last in ("write", "writeln", "insertAdjacentHTML") and c.args:
            self._check_html_string(c.node, c.args[-1])

    def _sink_wasm_compile(self, c: _Call) -> None:
        if c.name.startswith("WebAssembly.") and c.last in _WASM_COMPILERS:
            self._check_wasm(c.node, c.args)

    # --- what the sinks check -------------------------------------------------------------
    def _check_wasm(self, node: Node, args: list[Node]) -> None:
        fetched = any(
            n.type in ("identifier", "property_identifier")
            and self._t(n) in ("fetch", "arrayBuffer", "response")
            for a in args
            for n in walk(a)
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
        return tag in CODE_ELEMENTS

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
        from superapp.analysis._html import analyse_html_fragment  # _html imports _js

        analyse_html_fragment(html, self, node)

    # --- assignments ----------------------------------------------------------------------
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
        self._check_url_assignment(node, prop, obj, right)
        if prop in HTML_PROPS:
            self._check_html_string(node, right)
        if prop.startswith("on") and self._is_stringy(right):
            self._check_handler_string(node, right)
        if prop in SCRIPT_TEXT_PROPS and obj is not None and self._is_script_element(obj):
            self._check_script_text(node, right, prop)

    def _check_url_assignment(self, node: Node, prop: str, obj: Node | None, right: Node) -> None:
        if prop in NAV_PROPS:
            self._check_nav(node, right, f".{prop}")
        if prop in URL_PROPS and obj is not None:
            if self._is_code_element(obj):
                self._check_code_url(node, right, "script/iframe src")
            elif prop == "src":
                self._check_net(node, right, ".src")

    def _check_script_text(self, node: Node, right: Node, prop: str) -> None:
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


_Sink = Callable[[SinkRules, _Call], None]
#: Checked in this order (the order findings appear in for one call).
_NEW_SINKS: tuple[_Sink, ...] = (
    SinkRules._sink_worker,
    SinkRules._sink_socket,
    SinkRules._sink_wasm_module,
)
_CALL_SINKS: tuple[_Sink, ...] = (
    SinkRules._sink_import_scripts,
    SinkRules._sink_fetch,
    SinkRules._sink_xhr_open,
    SinkRules._sink_window_open,
    SinkRules._sink_location,
    SinkRules._sink_set_attribute,
    SinkRules._sink_document_write,
    SinkRules._sink_wasm_compile,
)
