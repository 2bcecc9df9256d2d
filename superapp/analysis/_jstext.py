"""Rules on names, members and strings: host internals and other bridges (SA102, SA201),
obfuscation (SA301–SA304), crypto-miners (SA401, SA402), URLs in strings (SA502), and the
suppression comments (SA604 when malformed).
"""

from __future__ import annotations

from tree_sitter import Node

from superapp.analysis._fold import decode_string_node
from superapp.analysis._jsbase import (
    OBF_NAME,
    SUPPRESS_RE,
    Kind,
    Suppression,
    entropy,
    host_allowed,
    marker_re,
    remote_host,
    walk,
)
from superapp.analysis._jsresolve import Resolver

__all__ = ["TextRules"]

#: Places where a bare ``eval`` is being handed around as a value.
_VALUE_PARENTS = frozenset(
    {
        "arguments",
        "array",
        "pair",
        "return_statement",
        "ternary_expression",
        "spread_element",
        "assignment_pattern",
        "object_assignment_pattern",
    }
)
_OTHER_BRIDGES = ("chrome", "webkit", "window.chrome", "window.webkit")
_ROTATION_CONDITIONS = ("(!![])", "(!!true)", "(true)")


class TextRules(Resolver):
    """Rules that read names and string values."""

    def _check_ident(self, node: Node) -> None:
        name = self._t(node)
        self._check_name(node, name)
        if name == "eval":
            if node.parent is None:
                return
            if node.parent.type in _VALUE_PARENTS:
                self.emit("SA102", node, "eval passed around as a value")
        if name in self.limits.host_internals:
            declared, _ = self._binding(node)
            if not declared:
                self.emit("SA201", node, f"reference to host internals '{name}'")

    def _check_name(self, node: Node, name: str) -> None:
        if "\\u" in name:
            self.emit("SA303", node, "identifier written with \\u escapes")
        m = marker_re(self.limits.miner_markers).search(name)
        if m is not None:
            self.emit("SA401", node, f"crypto-miner marker '{m.group(0).lower()}'")

    def _on_global(self, node: Node) -> bool:
        """Is ``node``'s object the global object (``window.qt``, ``self['eval']``)?"""
        obj = self.resolve(node.child_by_field_name("object"))
        return obj is not None and obj.kind is Kind.GLOBAL

    def _check_member(self, node: Node) -> None:
        prop = self._t(node.child_by_field_name("property"))
        if prop in self.limits.host_internals:
            self.emit("SA201", node, f"access to host internals '.{prop}'")
            return
        if prop == "qt" and self._on_global(node):
            self.emit("SA201", node, "access to the Qt bridge object 'qt'")
        if prop in ("webview", "messageHandlers"):
            obj_text = self._t(node.child_by_field_name("object"))
            if obj_text in _OTHER_BRIDGES:
                self.emit("SA201", node, f"access to another webview bridge '{obj_text}.{prop}'")

    def _check_subscript(self, node: Node) -> None:
        index = node.child_by_field_name("index")
        if index is None or index.type == "string":
            key = decode_string_node(index) if index is not None else None
        else:
            key = self._fold_str(index)
        if key is None:
            return
        self._check_subscript_key(node, index, key)
        escaped = "\\x" in self._t(index) or "\\u" in self._t(index)
        if escaped and key.isidentifier():
            self.emit("SA303", node, f"member name '{key}' written with escapes")

    def _check_subscript_key(self, node: Node, index: Node | None, key: str) -> None:
        if key in self.limits.host_internals:
            self.emit("SA201", node, f"computed access to host internals '{key}'")
        elif key == "qt":
            if self._on_global(node):
                self.emit("SA201", node, "computed access to the Qt bridge object 'qt'")
        elif index is not None and index.type != "string" and key in ("eval", "Function"):
            parent = node.parent
            called = parent is not None and parent.type == "call_expression"
            if not called and self._on_global(node):
                self.emit("SA102", node, f"'{key}' reached through a computed member")

    def _check_string(self, node: Node, value: str) -> None:
        if not value:
            return
        self._check_markers(node, value)
        if value in self.limits.host_internals:
            parent = node.parent
            if parent is None or parent.type != "subscript_expression":
                self.emit("SA201", node, f"host internals named in a string '{value}'")
        if self._is_high_entropy(value) and self._on_long_line(node):
            self.emit("SA304", node, f"{len(value)}-character high-entropy string on a long line")
        if "://" in value[:12] or value.startswith("//"):
            self._check_url_string(node, value)

    def _check_url_string(self, node: Node, value: str) -> None:
        host = remote_host(value)
        if (
            host is not None
            and not host_allowed(host, self.ctx.allowed_hosts)
            and host not in self.limits.namespace_hosts
        ):
            self.emit("SA502", node, f"URL to {host}, which is not in allowed_hosts")

    def _check_markers(self, node: Node, value: str) -> None:
        low = value.lower()
        for marker in self.limits.pool_markers:
            if marker in low:
                self.emit("SA402", node, f"mining pool protocol marker '{marker}'")
                break
        for marker in self.limits.miner_markers:
            if marker in low:
                self.emit("SA401", node, f"crypto-miner marker '{marker}'")
                break

    def _is_high_entropy(self, value: str) -> bool:
        limits = self.limits
        return (
            len(value) >= limits.entropy_min_chars
            and sum(c.isspace() for c in value) <= len(value) * limits.entropy_max_space_ratio
            and entropy(value) >= limits.entropy_min_bits
        )

    def _on_long_line(self, node: Node) -> bool:
        return len(self._line(node.start_point[0])) >= self.limits.long_line_chars

    def _check_packer(self, params: Node) -> None:
        names = [self._t(c) for c in params.named_children]
        if names[:5] == ["p", "a", "c", "k", "e"] and len(names) == 6 and names[5] in ("d", "r"):
            self.emit("SA301", params.parent or params, "packer signature function(p,a,c,k,e,d)")

    def _check_rotation(self, node: Node) -> None:
        cond = node.child_by_field_name("condition")
        if cond is None or "".join(self._t(cond).split()) not in _ROTATION_CONDITIONS:
            return
        seen: set[str] = set()
        for n in walk(node.child_by_field_name("body")):
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
            if OBF_NAME.match(t):
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
