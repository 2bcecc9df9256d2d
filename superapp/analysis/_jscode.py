"""Rules on code that compiles code: ``eval``, the ``Function`` constructors, string timers,
imports, and references to ``eval``/``Function`` stored or destructured (SA101–SA107, SA110,
SA111, SA201 for destructured host internals).

A constant code string is analysed in turn (``scan_code``), its findings placed at the call.
"""

from __future__ import annotations

from tree_sitter import Node

from superapp.analysis._fold import decode_string_node, fold_prefix
from superapp.analysis._jsbase import (
    HIDING_FORMS,
    Kind,
    Ref,
    array_items,
    is_idiom,
    is_remote_code_url,
)
from superapp.analysis._jsresolve import Resolver

__all__ = ["CodeRules"]

#: What ``.call``/``.apply`` may be called on for the call to count as the callee's.
_CALLABLE_KINDS = (Kind.EVAL, Kind.FUNCTION, Kind.TIMER, Kind.ASYNC_FUNCTION)
_COMPILER_KINDS = (Kind.EVAL, Kind.FUNCTION, Kind.ASYNC_FUNCTION)


class CodeRules(Resolver):
    """The code-compiling rules, dispatched from ``_js._Analysis._check_call``."""

    def _unwrap_call(self, callee: Node, args: list[Node]) -> tuple[Ref | None, list[Node]]:
        """``eval.call(null, code)``, ``eval.apply(null, [code])``, ``Reflect.apply(eval, null,
        [code])``, ``Reflect.construct(Function, [code])``: the real callee and its arguments."""
        if callee.type != "member_expression":
            return None, args
        prop = self._t(callee.child_by_field_name("property"))
        obj = callee.child_by_field_name("object")
        if prop in ("call", "apply"):
            inner = self.resolve(obj)
            if inner is not None and inner.kind in _CALLABLE_KINDS:
                rest = args[1:] if prop == "call" else array_items(args[1:2])
                return Ref(inner.kind, inner.indirect, inner.how), rest
        elif prop in ("apply", "construct") and self._t(obj) == "Reflect" and args:
            inner = self.resolve(args[0])
            if inner is not None and inner.kind in _COMPILER_KINDS:
                ref = Ref(inner.kind, inner.kind is not Kind.ASYNC_FUNCTION, f"Reflect.{prop}")
                return ref, array_items(args[2:3] if prop == "apply" else args[1:2])
        return None, args

    def _check_compiler(self, node: Node, ref: Ref, args: list[Node]) -> None:
        if ref.kind is Kind.EVAL:
            self._check_eval(node, ref, args)
        elif ref.kind in (Kind.FUNCTION, Kind.ASYNC_FUNCTION):
            self._check_function_ctor(node, ref, args)
        elif ref.kind is Kind.TIMER:
            self._check_timer(node, ref, args)

    def _check_eval(self, node: Node, ref: Ref, args: list[Node]) -> None:
        code = self._code_arg(Kind.EVAL, args)
        if code is not None and is_idiom(code):
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
        if code is not None and is_idiom(code):
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

    def _check_alias(self, value: Node | None, site: Node) -> None:
        if value is None:
            return
        is_eval_name = value.type == "identifier" and self._t(value) == "eval"
        if value.type not in HIDING_FORMS and not is_eval_name:
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
            key = self._pattern_key(key_node)
            if key in ("eval", "Function", "execScript"):
                self.emit("SA102", pair, f"'{key}' destructured from the global object")
            elif key in self.limits.host_internals:
                self.emit("SA201", pair, f"host internals '{key}' destructured")

    def _pattern_key(self, key_node: Node) -> str | None:
        if key_node.type == "computed_property_name" and key_node.named_children:
            return self._fold_str(key_node.named_children[0])
        if key_node.type == "string":
            return decode_string_node(key_node)
        return self._t(key_node)
