"""Constant folding of simple JavaScript string expressions on the tree-sitter tree.

``fold`` evaluates what a reviewer would evaluate in their head: literals, ``+``, template
literals, ``String.fromCharCode``, ``atob``, ``unescape``/``decodeURIComponent``,
``split/reverse/join/concat/replace/slice/toLowerCase``, array and string indexing, and
identifiers whose every binding folds to the same value. Anything else is ``None``
(unknown). Folding never executes code.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Protocol
from urllib.parse import unquote

from tree_sitter import Node

__all__ = ["JsValue", "decode_string_node", "fold", "fold_prefix", "js_to_string"]

JsValue = str | int | float | list["JsValue"] | None

_SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "0": "\0",
}
#: Folded strings longer than this are treated as unknown (bounded work on hostile input).
_MAX_FOLD_CHARS = 1 << 20


def _decode_escape(text: str) -> str:
    body = text[1:]
    if not body:
        return ""
    head = body[0]
    if head in _SIMPLE_ESCAPES and len(body) == 1:
        return _SIMPLE_ESCAPES[head]
    if head == "x" and len(body) == 3:
        return chr(int(body[1:], 16))
    if head == "u":
        digits = body[2:-1] if body.startswith("u{") else body[1:]
        try:
            return chr(int(digits, 16))
        except (ValueError, OverflowError):
            return ""
    if head in "\r\n\u2028\u2029":  # line continuation
        return ""
    if head.isdigit():  # legacy octal
        try:
            return chr(int(body, 8))
        except ValueError:
            return body
    return body


def decode_string_node(node: Node) -> str:
    """The value of a ``string`` node (escapes decoded)."""
    parts: list[str] = []
    for child in node.named_children:
        text = _text(child)
        if child.type == "escape_sequence":
            parts.append(_decode_escape(text))
        else:
            parts.append(text)
    return "".join(parts)


def _text(node: Node) -> str:
    raw = node.text
    return raw.decode("utf-8", "replace") if raw is not None else ""


def js_to_string(value: JsValue) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # pragma: no cover - never produced
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    parts = [js_to_string(v) for v in value]
    if any(p is None for p in parts):
        return None
    return ",".join(p for p in parts if p is not None)


def _number(text: str) -> int | float | None:
    t = text.replace("_", "")
    try:
        if t.lower().startswith(("0x", "0o", "0b")):
            return int(t, 0)
        if t.endswith("n"):
            return int(t[:-1])
        value = float(t)
    except ValueError:
        return None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


class Lookup(Protocol):
    """What folding needs from the analyser: identifier bindings and a memo."""

    memo: dict[int, JsValue]

    def bindings(self, ident: Node) -> list[Node | None] | None: ...


def fold(node: Node | None, lookup: Lookup, depth: int = 0) -> JsValue:
    """Fold ``node`` to a constant, or ``None`` when it is not one we can see.

    ``lookup.bindings(identifier_node)`` returns the value nodes bound to that identifier in
    its scope (``None`` entries for parameters and uninitialised declarations), or ``None``
    when the name is not bound anywhere in the file. Identifier results are memoised in
    ``lookup.memo`` so chains of bindings cost linear time.
    """
    if node is None or depth > 48:
        return None
    kind = node.type
    if kind == "string":
        return decode_string_node(node)
    if kind == "template_string":
        parts: list[str] = []
        for child in node.named_children:
            if child.type == "string_fragment":
                parts.append(_text(child))
            elif child.type == "escape_sequence":
                parts.append(_decode_escape(_text(child)))
            elif child.type == "template_substitution":
                inner = child.named_children[0] if child.named_children else None
                s = js_to_string(fold(inner, lookup, depth + 1))
                if s is None:
                    return None
                parts.append(s)
        return "".join(parts)
    if kind == "number":
        return _number(_text(node))
    if kind == "parenthesized_expression":
        inner_nodes = node.named_children
        return fold(inner_nodes[-1], lookup, depth) if inner_nodes else None
    if kind == "sequence_expression":
        inner_nodes = node.named_children
        return fold(inner_nodes[-1], lookup, depth + 1) if inner_nodes else None
    if kind == "binary_expression":
        return _fold_binary(node, lookup, depth)
    if kind == "array":
        return _fold_each(node.named_children, lookup, depth)
    if kind == "identifier":
        key = node.id
        if key in lookup.memo:
            return lookup.memo[key]
        lookup.memo[key] = None  # a cycle folds to unknown
        result = _fold_identifier(node, lookup, depth)
        lookup.memo[key] = result
        return result
    if kind == "subscript_expression":
        obj = fold(node.child_by_field_name("object"), lookup, depth + 1)
        idx = fold(node.child_by_field_name("index"), lookup, depth + 1)
        if isinstance(obj, (str, list)) and isinstance(idx, int) and 0 <= idx < len(obj):
            return obj[idx]
        return None
    if kind == "call_expression":
        return _fold_call(node, lookup, depth)
    return None


def _fold_identifier(node: Node, lookup: Lookup, depth: int) -> JsValue:
    values = lookup.bindings(node)
    if not values or any(v is None for v in values):
        return None
    folded = [fold(v, lookup, depth + 1) for v in values]
    first = folded[0]
    if first is None or any(js_to_string(f) != js_to_string(first) for f in folded[1:]):
        return None
    return first


def _plus_operands(node: Node) -> list[Node] | None:
    """Operands of a left-leaning chain ``a + b + c`` in order, walked iteratively (a chain
    of thousands of terms must neither recurse deeply nor escape folding)."""
    right_side: list[Node] = []
    cur: Node | None = node
    while cur is not None and cur.type == "binary_expression":
        op = cur.child_by_field_name("operator")
        if op is None or op.type != "+":
            break
        right = cur.child_by_field_name("right")
        if right is None:
            return None
        right_side.append(right)
        cur = cur.child_by_field_name("left")
    if cur is None:
        return None
    return [cur, *reversed(right_side)]


def _fold_binary(node: Node, lookup: Lookup, depth: int) -> JsValue:
    operands = _plus_operands(node)
    if operands is None or operands[0] is node:
        return None
    acc = fold(operands[0], lookup, depth + 1)
    for operand in operands[1:]:
        value = fold(operand, lookup, depth + 1)
        if acc is None or value is None:
            return None
        if isinstance(acc, (int, float)) and isinstance(value, (int, float)):
            acc = acc + value
            continue
        ls, rs = js_to_string(acc), js_to_string(value)
        if ls is None or rs is None or len(ls) + len(rs) > _MAX_FOLD_CHARS:
            return None
        acc = ls + rs
    return acc


def _args(node: Node, lookup: Lookup, depth: int) -> list[JsValue] | None:
    args = node.child_by_field_name("arguments")
    if args is None or args.type != "arguments":
        return None
    return _fold_each(args.named_children, lookup, depth)


def _fold_each(children: list[Node], lookup: Lookup, depth: int) -> list[JsValue] | None:
    """Every child folded (comments skipped), or None if any one does not fold."""
    out: list[JsValue] = []
    for child in children:
        if child.type == "comment":
            continue
        v = fold(child, lookup, depth + 1)
        if v is None:
            return None
        out.append(v)
    return out


def _fold_call(node: Node, lookup: Lookup, depth: int) -> JsValue:
    callee = node.child_by_field_name("function")
    if callee is None:
        return None
    args = _args(node, lookup, depth)
    if args is None:
        return None
    if callee.type == "identifier":
        name = _text(callee)
        if name == "atob" and len(args) == 1 and isinstance(args[0], str):
            try:
                return base64.b64decode(args[0], validate=False).decode("latin-1")
            except (binascii.Error, ValueError):
                return None
        if name in ("unescape", "decodeURIComponent", "decodeURI") and len(args) == 1:
            s = js_to_string(args[0])
            return unquote(s, errors="replace") if s is not None else None
        if name == "String" and len(args) == 1:
            return js_to_string(args[0])
        return None
    if callee.type != "member_expression":
        return None
    prop_node = callee.child_by_field_name("property")
    obj_node = callee.child_by_field_name("object")
    if prop_node is None or obj_node is None:
        return None
    prop = _text(prop_node)
    if prop == "fromCharCode" and _text(obj_node) == "String":
        if not all(isinstance(a, int) for a in args):
            return None
        try:
            return "".join(chr(int(a) & 0xFFFF) for a in args if isinstance(a, int))
        except ValueError:
            return None
    target = fold(obj_node, lookup, depth + 1)
    return _fold_method(target, prop, args)


def _fold_method(target: JsValue, prop: str, args: list[JsValue]) -> JsValue:
    if isinstance(target, list):
        if prop == "join":
            sep = js_to_string(args[0]) if args else ","
            parts = [js_to_string(v) for v in target]
            if sep is None or any(p is None for p in parts):
                return None
            return sep.join(p for p in parts if p is not None)
        if prop == "reverse" and not args:
            return list(reversed(target))
        if prop == "concat":
            out = list(target)
            for a in args:
                out.extend(a if isinstance(a, list) else [a])
            return out
        return None
    if not isinstance(target, str):
        return None
    strs = [js_to_string(a) for a in args]
    if prop == "split" and len(strs) == 1 and strs[0] is not None:
        sep = strs[0]
        return list(target) if sep == "" else list(target.split(sep))
    if prop == "concat" and all(s is not None for s in strs):
        return target + "".join(s for s in strs if s is not None)
    if prop in ("toLowerCase", "toLocaleLowerCase") and not args:
        return target.lower()
    if prop in ("toUpperCase", "toLocaleUpperCase") and not args:
        return target.upper()
    if prop == "trim" and not args:
        return target.strip()
    if prop in ("replace", "replaceAll") and len(strs) == 2 and None not in strs:
        old, new = strs[0] or "", strs[1] or ""
        return target.replace(old, new, 1 if prop == "replace" else -1)
    if prop in ("slice", "substring", "substr") and args and all(isinstance(a, int) for a in args):
        ints = [int(a) for a in args if isinstance(a, int)]
        start = ints[0]
        if prop == "substr":
            length = ints[1] if len(ints) > 1 else len(target)
            return target[start : start + length]
        end = ints[1] if len(ints) > 1 else len(target)
        return target[start:end]
    if prop == "charAt" and len(args) == 1 and isinstance(args[0], int):
        i = args[0]
        return target[i] if 0 <= i < len(target) else ""
    return None


def fold_prefix(node: Node | None, lookup: Lookup) -> str:
    """The constant leading part of a string expression (``'https://x/' + path`` → the URL
    start), used to judge where a URL points when its tail is computed."""
    if node is None:
        return ""
    whole = js_to_string(fold(node, lookup))
    if whole is not None:
        return whole
    if node.type == "parenthesized_expression" and node.named_children:
        return fold_prefix(node.named_children[-1], lookup)
    if node.type == "binary_expression":
        operands = _plus_operands(node)
        if operands is None or operands[0] is node:
            return ""
        prefix = ""
        for operand in operands:
            value = js_to_string(fold(operand, lookup))
            if value is None:
                return prefix + (
                    fold_prefix(operand, lookup) if operand.type != "binary_expression" else ""
                )
            prefix += value
        return prefix
    if node.type == "template_string":
        parts: list[str] = []
        for child in node.named_children:
            if child.type == "string_fragment":
                parts.append(_text(child))
            elif child.type == "escape_sequence":
                parts.append(_decode_escape(_text(child)))
            else:
                break
        return "".join(parts)
    return ""
