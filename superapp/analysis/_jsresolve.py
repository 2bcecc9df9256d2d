"""Resolution: what does an expression hold, as far as the rules care (procedure step 4 in ``_js``)?

``resolve(node)`` returns a ``Ref`` (``eval``, ``Function``, a timer, the global object, …) or
``None``. It sees through aliases, computed members with folded keys, comma, logical and
conditional expressions, ``.bind``, ``Reflect.get``, ``Object.getPrototypeOf`` and
``constructor`` chains, each step costing depth up to ``ScanLimits.max_resolve_depth``.
Also here: where code text comes from (a decoder, fetched data) and whether a value is a string.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

from tree_sitter import Node

from superapp.analysis._fold import fold, js_to_string
from superapp.analysis._jsbase import (
    ASYNCISH,
    DECODER_METHODS,
    DECODER_PROPS,
    DECODERS,
    FUNCTION_GLOBALS,
    FUNCTION_SCOPES,
    FUNCTION_VALUES,
    GLOBAL_NAMES,
    LITERALS,
    Kind,
    Ref,
    is_idiom,
    walk,
)
from superapp.analysis._jsscope import AnalysisBase

__all__ = ["Resolver"]

#: Kinds whose ``.constructor`` is ``Function``.
_FUNCTION_LIKE = (
    Kind.FUNCTION,
    Kind.EVAL,
    Kind.TIMER,
    Kind.FUNCTION_VALUE,
    Kind.FUNCTION_PROTO,
    Kind.ASYNC_FUNCTION,
)
#: Calls whose result is a string: decoders, and string-building methods.
_STRING_RESULTS = DECODERS | DECODER_METHODS | {"join", "toString", "String", "concat"}


def _is_async_function(text: str, node_type: str) -> bool:
    return text.lstrip().startswith(ASYNCISH) or node_type == "generator_function"


def _last_named(node: Node) -> Node | None:
    inner = [c for c in node.named_children if c.type != "comment"]
    return inner[-1] if inner else None


def _indirect(r: Ref | None, how: str) -> Ref | None:
    return Ref(r.kind, True, how) if r else None


class Resolver(AnalysisBase):
    """Resolution and the value questions the rules ask."""

    #: How each expression type resolves (set below the class); other types hold nothing.
    _BY_TYPE: ClassVar[Mapping[str, Callable[[Resolver, Node, int], Ref | None]]]

    # --- resolution -------------------------------------------------------------------------
    def resolve(self, node: Node | None, depth: int = 0) -> Ref | None:
        if node is None or depth > self.limits.max_resolve_depth:
            return None
        while node.type == "parenthesized_expression":  # ((((eval)))) costs no depth
            node = _last_named(node)
            if node is None:
                return None
        by_type = self._BY_TYPE.get(node.type)
        if by_type is not None:
            return by_type(self, node, depth)
        if node.type in FUNCTION_VALUES:
            return Ref(Kind.FUNCTION_VALUE, False)
        return None

    def _resolve_sequence(self, node: Node, depth: int) -> Ref | None:
        last = _last_named(node)
        r = self.resolve(last, depth + 1) if last is not None else None
        return _indirect(r, "comma expression")

    def _resolve_ternary(self, node: Node, depth: int) -> Ref | None:
        for f in ("consequence", "alternative"):
            r = self.resolve(node.child_by_field_name(f), depth + 1)
            if r is not None:
                return Ref(r.kind, True, "conditional expression")
        return None

    def _resolve_logical(self, node: Node, depth: int) -> Ref | None:
        if self._t(node.child_by_field_name("operator")) not in ("||", "&&", "??"):
            return None
        for f in ("left", "right"):
            r = self.resolve(node.child_by_field_name(f), depth + 1)
            if r is not None:
                return Ref(r.kind, True, "logical expression")
        return None

    def _resolve_assignment(self, node: Node, depth: int) -> Ref | None:
        return self.resolve(node.child_by_field_name("right"), depth + 1)

    def _resolve_dot_member(self, node: Node, depth: int) -> Ref | None:
        prop = self._t(node.child_by_field_name("property"))
        return self._resolve_member(node.child_by_field_name("object"), prop, False, depth)

    def _resolve_subscript(self, node: Node, depth: int) -> Ref | None:
        obj = node.child_by_field_name("object")
        key = js_to_string(fold(node.child_by_field_name("index"), self))
        if obj is not None and obj.type == "array" and key is not None and key.isdigit():
            items = [c for c in obj.named_children if c.type != "comment"]
            i = int(key)
            if i < len(items):
                return _indirect(self.resolve(items[i], depth + 1), "array element")
            return None
        if key is None:
            return None
        return self._resolve_member(obj, key, True, depth)

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
                if r.kind in (Kind.EVAL, Kind.FUNCTION) and GLOBAL_NAMES.get(name) is not r.kind:
                    return Ref(r.kind, True, f"alias '{name}'")
                return Ref(r.kind, r.indirect, r.how)
        return self._global_name(name, declared)

    def _global_name(self, name: str, declared: bool) -> Ref | None:
        """What an unbound (or locally declared) name means as a global."""
        kind = GLOBAL_NAMES.get(name)
        if name in self.limits.global_objects:
            kind = Kind.GLOBAL
        if name in self.limits.host_internals:
            kind = Kind.HOST
        if kind is None:
            if name in FUNCTION_GLOBALS and not declared:
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
            return self._resolve_constructor(obj, depth)
        if prop in ("defaultView", "contentWindow"):
            return Ref(Kind.GLOBAL, computed, how)
        r = self.resolve(obj, depth + 1)
        if r is None:
            return None
        if r.kind is Kind.GLOBAL:
            return self._global_member(prop, computed, r.indirect, how)
        if r.kind is Kind.FUNCTION and prop == "prototype":
            return Ref(Kind.FUNCTION_PROTO, True)
        if r.kind in (Kind.EVAL, Kind.FUNCTION) and prop == "bind":
            return Ref(r.kind, True, ".bind")
        return None

    def _global_member(self, prop: str, computed: bool, indirect: bool, how: str) -> Ref | None:
        """``window.<prop>`` (or ``window[<folded prop>]``)."""
        if prop in self.limits.global_objects:
            return Ref(Kind.GLOBAL, computed or indirect, how)
        if prop in self.limits.host_internals:
            return Ref(Kind.HOST, computed, how)
        kind = GLOBAL_NAMES.get(prop)
        if kind is None:
            return Ref(Kind.FUNCTION_VALUE, False) if prop in FUNCTION_GLOBALS else None
        # Dot access on the global object is as visible as the bare name; a computed
        # key is the evasion.
        return Ref(kind, computed, how)

    def _resolve_constructor(self, obj: Node, depth: int) -> Ref | None:
        """``<obj>.constructor``: ``Function`` (or ``AsyncFunction``) for anything callable."""
        if obj.type in LITERALS:
            return Ref(Kind.FUNCTION_VALUE, True, "constructor of a literal")
        if obj.type in FUNCTION_VALUES:
            if _is_async_function(self._t(obj), obj.type):
                return Ref(Kind.ASYNC_FUNCTION, False)
            return Ref(Kind.FUNCTION, True, "constructor of a function")
        if obj.type in ("member_expression", "subscript_expression"):
            inner_obj = obj.child_by_field_name("object")
            if self._member_key(obj) == "constructor":
                # x.constructor is some constructor, and its constructor is Function.
                return Ref(Kind.FUNCTION, True, "constructor chain")
            if inner_obj is not None and inner_obj.type in LITERALS:
                # [].map, ''.sub, ...: a method of a literal is a function.
                return Ref(Kind.FUNCTION, True, "constructor of a built-in method")
        r = self.resolve(obj, depth + 1)
        if r is None:
            return None
        if r.kind in _FUNCTION_LIKE:
            return Ref(Kind.FUNCTION, True, "constructor chain")
        if r.kind is Kind.ASYNC_PROTO:
            return Ref(Kind.ASYNC_FUNCTION, False)
        return None

    def _resolve_call_result(self, node: Node, depth: int) -> Ref | None:
        callee = node.child_by_field_name("function")
        args = self._arg_nodes(node)
        if callee is None:
            return None
        if callee.type == "member_expression":
            handled, ref = self._resolve_method_result(callee, args, depth)
            if handled:
                return ref
        return self._resolve_idiom_result(callee, args, depth)

    def _resolve_method_result(
        self, callee: Node, args: list[Node], depth: int
    ) -> tuple[bool, Ref | None]:
        """``Object.getPrototypeOf(f)``, ``f.bind(…)``, ``Reflect.get(o, k)``: (handled?, ref)."""
        prop = self._t(callee.child_by_field_name("property"))
        obj = callee.child_by_field_name("object")
        if prop == "getPrototypeOf" and self._t(obj) in ("Object", "Reflect") and args:
            return True, self._prototype_of(args[0], depth)
        if prop == "bind":
            r = self.resolve(obj, depth + 1)
            if r is not None and r.kind in (Kind.EVAL, Kind.FUNCTION, Kind.TIMER):
                return True, Ref(r.kind, True, ".bind")
            return True, None
        if prop == "get" and self._t(obj) == "Reflect" and len(args) >= 2:
            key = self._fold_str(args[1])
            if key is not None:
                return True, self._resolve_member(args[0], key, True, depth + 1)
            return True, None
        return False, None

    def _prototype_of(self, a: Node, depth: int) -> Ref | None:
        if a.type in FUNCTION_VALUES:
            if _is_async_function(self._t(a), a.type):
                return Ref(Kind.ASYNC_PROTO, False)
            return Ref(Kind.FUNCTION_PROTO, True)
        r = self.resolve(a, depth + 1)
        if r is not None and r.kind in (Kind.FUNCTION_VALUE, Kind.EVAL, Kind.FUNCTION):
            return Ref(Kind.FUNCTION_PROTO, True)
        return None

    def _resolve_idiom_result(self, callee: Node, args: list[Node], depth: int) -> Ref | None:
        """(0, eval)('this') and Function('return this')() yield the global object."""
        inner = self.resolve(callee, depth + 1)
        if inner is not None and inner.kind is Kind.EVAL and self._idiom_code(Kind.EVAL, args):
            return Ref(Kind.GLOBAL, True, "global-this idiom")
        if callee.type in ("call_expression", "new_expression"):
            ctor = callee.child_by_field_name(
                "function" if callee.type == "call_expression" else "constructor"
            )
            made = self.resolve(ctor, depth + 1)
            if (
                made is not None
                and made.kind is Kind.FUNCTION
                and self._idiom_code(Kind.FUNCTION, self._arg_nodes(callee))
            ):
                return Ref(Kind.GLOBAL, True, "global-this idiom")
        if callee.type in ("function_expression", "function") and "return this" in self._t(callee):
            return Ref(Kind.GLOBAL, True, "function returning this")
        return None

    def _idiom_code(self, kind: Kind, args: list[Node]) -> bool:
        code = self._code_arg(kind, args)
        return code is not None and is_idiom(code)

    # --- where code comes from ------------------------------------------------------------
    def _has_decoder(self, nodes: list[Node], follow: int = 2) -> bool:
        """Does the code passed here come from a decoder or from fetched data?

        Follows identifiers to their bound values (``follow`` levels), and treats the
        parameter of a ``.then(...)`` callback as fetched data.
        """
        for top in nodes:
            for n in walk(top):
                if self._is_decoder_node(n):
                    return True
                if n.type == "identifier" and follow > 0 and self._bound_to_decoder(n, follow):
                    return True
        return False

    def _is_decoder_node(self, n: Node) -> bool:
        if n.type == "identifier":
            return self._t(n) in DECODERS
        if n.type == "member_expression":
            return self._t(n.child_by_field_name("property")) in DECODER_PROPS
        if n.type == "call_expression":
            callee = n.child_by_field_name("function")
            return (
                callee is not None
                and callee.type == "member_expression"
                and self._t(callee.child_by_field_name("property")) in DECODER_METHODS
            )
        return False

    def _bound_to_decoder(self, ident: Node, follow: int) -> bool:
        declared, values = self._binding(ident)
        bound = [v for v in values if v is not None]
        if bound and self._has_decoder(bound, follow - 1):
            return True
        return declared and None in values and self._is_then_param(ident)

    def _is_then_param(self, ident: Node) -> bool:
        """Is ``ident`` a parameter of the function it is used in, passed to ``.then()``?"""
        cur: Node | None = ident.parent
        while cur is not None and cur.type not in FUNCTION_SCOPES:
            cur = cur.parent
        if cur is None or cur.type == "program" or not self._is_param_of(ident, cur):
            return False
        args = cur.parent
        call = args.parent if args is not None and args.type == "arguments" else None
        if call is None or call.type != "call_expression":
            return False
        callee = call.child_by_field_name("function")
        return callee is not None and self._t(callee.child_by_field_name("property")) == "then"

    def _is_param_of(self, ident: Node, function: Node) -> bool:
        params = function.child_by_field_name("parameters") or function.child_by_field_name(
            "parameter"
        )
        if params is None:
            return False
        names = [params] if params.type == "identifier" else params.named_children
        return self._t(ident) in {self._t(p) for p in names}

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
            name = self._t(node.child_by_field_name("function")).rsplit(".", 1)[-1]
            return name in _STRING_RESULTS
        return isinstance(fold(node, self), str)


Resolver._BY_TYPE = {
    "sequence_expression": Resolver._resolve_sequence,
    "ternary_expression": Resolver._resolve_ternary,
    "binary_expression": Resolver._resolve_logical,
    "assignment_expression": Resolver._resolve_assignment,
    "augmented_assignment_expression": Resolver._resolve_assignment,
    "identifier": Resolver._resolve_identifier,
    "member_expression": Resolver._resolve_dot_member,
    "subscript_expression": Resolver._resolve_subscript,
    "call_expression": Resolver._resolve_call_result,
}
