"""The two strict-JSON rules the host applies to text it did not write, as ``json.loads`` hooks.

Python's ``json`` accepts more than JSON: ``NaN``, ``Infinity`` and ``-Infinity``, and an object
with the same key twice (the last one silently wins, so two readers of one document may see two
different values). Where a document is signed, checked or forwarded, each parser refuses these;
the rules are written here once and every caller keeps its own error type and message (a manifest
problem, a wire error, a signature error), so the hooks take the caller's error maker::

    json.loads(text, object_pairs_hook=unique_keys(lambda key: MyError(f"{key!r} twice")),
               parse_constant=refuse_constants(lambda name: MyError(f"{name} is not JSON")))

Which caller applies which rule stays the caller's decision (a revocation document refuses every
fraction after parsing; import maps, control frames and saved page state do not refuse a repeated
key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

__all__ = ["PairsHook", "refuse_constants", "unique_keys"]

#: ``json.loads``'s ``object_pairs_hook``.
PairsHook = Callable[[list[tuple[str, Any]]], dict[str, Any]]


def unique_keys(error: Callable[[str], Exception]) -> PairsHook:
    """An ``object_pairs_hook`` that builds the object and raises ``error(key)`` for the first
    key that appears a second time in one object."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) == len(pairs):  # the common case, without a Python-level loop
            return obj
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise error(key)
            seen.add(key)
        return obj  # not reached: fewer keys than pairs means one repeats

    return hook


def _not_json(name: str) -> Exception:
    return ValueError(f"{name} is not JSON")


def refuse_constants(
    error: Callable[[str], Exception] = _not_json,
) -> Callable[[str], NoReturn]:
    """A ``parse_constant`` hook raising ``error(name)`` for ``NaN``, ``Infinity`` or
    ``-Infinity`` (not JSON; ``1e999`` is a number and still parses as infinity). By default
    ``ValueError("NaN is not JSON")``: the type of ``json.loads``'s own errors."""

    def hook(name: str) -> NoReturn:
        raise error(name)

    return hook
