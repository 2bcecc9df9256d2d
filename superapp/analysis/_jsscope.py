"""The state of one JavaScript analysis: source text, positions, findings, scopes and bindings.

``AnalysisBase`` is the bottom layer of the analysis class (``_js._Analysis``); the layers
above it add resolution (``_jsresolve``) and the rules (``_jscode``, ``_jssinks``,
``_jstext``). Bindings are indexed per function scope, lazily per name (procedure step 3 in
``_js``), so an identifier can be resolved to what it holds and folded to a constant.
"""

from __future__ import annotations

import bisect
from abc import ABC, abstractmethod
from collections import Counter

from tree_sitter import Node

from superapp.analysis._fold import JsValue, fold, js_to_string
from superapp.analysis._jsbase import Context, Emit, Kind, Ref, Suppression
from superapp.analysis._model import Finding
from superapp.analysis._rules import RULES, Severity

__all__ = ["AnalysisBase"]

#: (declared scopes, value nodes per scope) of one name; ``None`` is "not declared here".
_NameIndex = tuple[set[int | None], dict[int | None, list[Node | None]]]


class AnalysisBase(ABC):
    """One piece of JavaScript being analysed; ``run`` (the rules) is the top layer's."""

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
        self._index: dict[str, _NameIndex] = {}
        self._info_counts: Counter[str] = Counter()
        self._resolved: dict[int, Ref | None] = {}  # identifier resolution, per node id
        self.suppressions: list[Suppression] = []

    @abstractmethod
    def run(self) -> None:
        """Parse ``source`` and evaluate every rule on it."""

    def _t(self, node: Node | None) -> str:
        """Source text of ``node`` (slicing the source is much cheaper than ``Node.text``)."""
        if node is None:
            return ""
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def _line(self, row: int) -> bytes:
        if self._lines is None:
            self._lines = self.source.split(b"\n")
        return self._lines[row] if row < len(self._lines) else b""

    # --- positions and emitting -----------------------------------------------------------
    def _pos(self, node: Node) -> tuple[int, int]:
        row, col_bytes = node.start_point
        col = len(self._line(row)[:col_bytes].decode("utf-8", "replace"))
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
            snippet = self._snippet(node)
        self._emit(Finding(self.ctx.file, line, col, rule_id, message, snippet))

    def _snippet(self, node: Node) -> str:
        end = min(node.end_byte, node.start_byte + 4 * self.limits.snippet_chars)
        head = self.source[node.start_byte : end].decode("utf-8", "replace")
        snippet = " ".join(head.split())
        if len(snippet) > self.limits.snippet_chars or end < node.end_byte:
            snippet = snippet[: self.limits.snippet_chars - 1] + "…"
        return snippet

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
        sub = type(self)(
            code.encode("utf-8", "surrogatepass"),
            self.ctx,
            self._emit,
            self.depth + 1,
            anchor,
            self.line_base,
            self.col_base,
        )
        sub.run()

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
            cached = self._chain_from(i)
            self._scope_cache[i] = cached
        return cached

    def _chain_from(self, i: int) -> list[int]:
        chain: list[int] = []
        while i >= 0:
            chain.append(self._scope_ids[i])
            i = self._scope_parent[i]
        chain.append(self._root_id)
        return chain

    def _declaring_scope(self, decl_node: Node) -> int | None:
        chain = self._scope_chain(decl_node)
        return chain[0] if chain else None

    def _name_index(self, name: str) -> _NameIndex:
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
            # An assignment binds in the nearest enclosing scope that declares the name.
            target = next((s for s in self._scope_chain(site) if s in declared), None)
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

    # --- small helpers shared by the rules ------------------------------------------------
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

    def _member_key(self, node: Node) -> str | None:
        if node.type == "member_expression":
            return self._t(node.child_by_field_name("property"))
        return self._fold_str(node.child_by_field_name("index"))
