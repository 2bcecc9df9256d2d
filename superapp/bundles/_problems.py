"""Manifest problems in plain words: the field, what is wrong, and how to fix it.

pydantic reports errors in its own vocabulary ("Input should be a valid dictionary or instance
of Version"); a mini-app author needs the field, the problem in words they use, and a line they
can paste. ``problems_from(exc)`` turns every error of a ``ValidationError`` into a
``ManifestProblem`` (all of them, not the first), and ``FIXES`` holds one suggestion per field.
``superapp validate`` prints them one per line; ``parse_manifest`` joins them into the one-line
``ManifestError`` that ``pack``, ``install`` and ``dev`` show.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from superapp.core.capabilities import CAPABILITIES

__all__ = ["FIXES", "ManifestProblem", "join_problems", "problems_from"]

_DOCS: Final = "see docs/manifest.md"

#: A suggestion per field, by its path with list indices removed (``icons[].src``).
FIXES: Final[Mapping[str, str]] = {
    "": "write the manifest as one JSON object, as in docs/manifest.md",
    "$schema": 'a string: the URL or relative path of manifest.schema.json, e.g. "$schema": '
    '"./.superapp/manifest.schema.json"',
    "app_id": 'a reverse-DNS id in lower case that you control, e.g. "app_id": "com.example.notes"',
    "name": 'a display name of 1 to 64 characters, e.g. "name": "Notes"',
    "short_name": 'at most 32 characters, e.g. "short_name": "Notes"',
    "description": "one or two sentences, at most 1000 characters",
    "version": 'an object with a display name and a whole-number code, e.g. "version": '
    '{"name": "1.0.0", "code": 1}',
    "version.name": 'the version people see, e.g. "name": "1.0.0"',
    "version.code": 'a whole number without quotes that grows with every release, e.g. "code": 1',
    "platform_version": '"platform_version": {"min_code": 1}',
    "icons": 'a list of objects, e.g. "icons": [{"src": "icon.png", "sizes": "128x128"}]',
    "icons[].src": "the path of a .png, .jpg or .webp file in the app folder, e.g. "
    '"src": "icon.png"',
    "icons[].sizes": 'WIDTHxHEIGHT, e.g. "sizes": "128x128" (or "any")',
    "pages": 'a list of .html files in the app folder; the first one opens: "pages": '
    '["index.html"]',
    "pages[]": 'the path of an .html file in the app folder, e.g. "index.html"',
    "window": '"window": {"navigation_bar_title_text": "Notes"}',
    "req_permissions": 'a list of objects, e.g. "req_permissions": [{"name": "storage", '
    '"reason": "Keep your notes on this device"}]',
    "req_permissions[].name": "one of: " + ", ".join(sorted(CAPABILITIES)),
    "req_permissions[].reason": "a short sentence the user reads in the consent prompt, e.g. "
    '"reason": "Keep your notes on this device"',
    "superapp": 'an object with host settings, e.g. "superapp": {"allowed_hosts": '
    '["api.example.com"]}',
    "superapp.allowed_hosts": 'host names only (no scheme, port or path), e.g. ["api.example.com"'
    ', "*.example.org"]',
    "superapp.allowed_hosts[]": "a host name only (no scheme, port or path), e.g. "
    '"api.example.com"',
    "superapp.allow_http_hosts": "only hosts that are also listed in allowed_hosts",
    "superapp.allow_http_hosts[]": "a host that is also listed in allowed_hosts",
    "superapp.engine_storage": '"memory" (default) or "persistent"',
    "color_scheme": '"auto", "light" or "dark"',
    "dir": '"ltr", "rtl" or "auto"',
}


@dataclass(frozen=True)
class ManifestProblem:
    """One problem: ``field`` is a path like ``version.code`` or ``icons[0].src`` ("" for the
    file as a whole), ``message`` says what is wrong, ``fix`` what to write instead."""

    field: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def _loc(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith(("function-", "json-or-python", "lax-or-strict")):
            continue  # pydantic's internal validator steps, not fields
        else:
            out += f".{part}" if out else part
    return out


def _generic(field: str) -> str:
    """``icons[0].src`` → ``icons[].src``: the key of ``FIXES``."""
    out, depth = [], 0
    for ch in field:
        if ch == "[":
            depth += 1
            out.append("[]")
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _given(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return ""
    return text if len(text) <= 40 else text[:37] + "..."


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else "a value"


_WANTS: Final[Mapping[str, str]] = {
    "dict_type": "an object in braces { }",
    "model_type": "an object in braces { }",
    "model_attributes_type": "an object in braces { }",
    "string_type": "a string in double quotes",
    "int_type": "a whole number without quotes",
    "int_from_float": "a whole number (no fraction)",
    "int_parsing": "a whole number without quotes",
    "float_type": "a number without quotes",
    "bool_type": "true or false, without quotes",
    "list_type": "a list in square brackets [ ]",
}


def _message(err: Mapping[str, Any]) -> str:
    kind = str(err["type"])
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    value = err.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (this host refuses fields it does not know)"
    if kind in _WANTS:
        return f"must be {_WANTS[kind]}, not {_type_name(value)} ({_given(value)})"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} entry"
    if kind == "too_long":
        return f"has more than {ctx.get('max_length')} entries"
    if kind == "greater_than_equal":
        return f"must be {ctx.get('ge')} or more, not {_given(value)}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}, not {_given(value)}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, not {_given(value)}"
    if kind == "string_pattern_mismatch":
        return f"{_given(value)} does not have the expected form"
    return str(err["msg"]).removeprefix("Value error, ")


def _fields_at(model: type[BaseModel], generic_parent: str) -> list[str]:
    """Field names of the object at ``generic_parent`` (``superapp``, ``icons[]``, ...)."""
    current: type[BaseModel] | None = model
    for part in [p for p in generic_parent.replace("[]", "").split(".") if p]:
        if current is None or part not in current.model_fields:
            return []
        annotation = current.model_fields[part].annotation
        current = _model_in(annotation)
    if current is None:
        return []
    return [(f.alias or name) for name, f in current.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _fix(err: Mapping[str, Any], field: str, model: type[BaseModel]) -> str:
    generic = _generic(field)
    if err["type"] == "extra_forbidden":
        parent, _, name = generic.rpartition(".")
        close = difflib.get_close_matches(name, _fields_at(model, parent), n=1, cutoff=0.6)
        if close:
            return f"did you mean {close[0]!r}? Otherwise remove it ({_DOCS})"
        if not parent and name in _fields_at(model, "superapp"):
            return f'move it into the "superapp" object: "superapp": {{"{name}": ...}}'
        if not parent:
            return f'remove it; host-specific settings go under "superapp" ({_DOCS})'
        return f"remove it ({_DOCS})"
    value = err.get("input")
    if generic == "req_permissions[].name" and isinstance(value, str):
        close = difflib.get_close_matches(value, sorted(CAPABILITIES), n=1, cutoff=0.5)
        if close:
            return f"did you mean {close[0]!r}? The capabilities are: " + ", ".join(
                sorted(CAPABILITIES)
            )
    return FIXES.get(generic) or FIXES.get(generic.rstrip("[]")) or _DOCS


def problems_from(exc: ValidationError, model: type[BaseModel]) -> list[ManifestProblem]:
    """Every error of ``exc`` as a ``ManifestProblem``, in the order pydantic found them."""
    out: list[ManifestProblem] = []
    for err in exc.errors(include_url=False):
        field = _loc(tuple(err["loc"])) or "(top level)"
        out.append(ManifestProblem(field, _message(err), _fix(err, field, model)))
    return out


def join_problems(file: str, problems: Sequence[ManifestProblem]) -> str:
    """One line for an error message: ``manifest.json: version.code: ...`` for one problem,
    ``manifest.json has 3 problems: a: ...; b: ...; c: ...`` for several."""
    if len(problems) == 1:
        only = problems[0]
        return f"{file}: {only}" if only.field else only.message
    listed = "; ".join(str(p) for p in problems)
    return f"{file} has {len(problems)} problems: {listed} (run 'superapp validate' for fixes)"
