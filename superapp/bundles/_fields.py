"""The manifest's field types: what each string field may hold (app ids, host names, bundle
paths, colours, capabilities, text), as pydantic ``Annotated`` types with their checks and the
JSON Schema hints published with them. The models are in ``_manifest``."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Annotated, Final

from pydantic import AfterValidator, Field

from superapp.bundles._limits import DEFAULT_LIMITS
from superapp.bundles._names import name_problem
from superapp.core.capabilities import CAPABILITIES
from superapp.core.paths import APP_ID_RE

__all__ = [
    "HOST_RE",
    "ICON_TYPES",
    "RESERVED_PREFIX",
    "AppId",
    "BundlePath",
    "Capability",
    "Color",
    "Description",
    "Host",
    "IconPath",
    "JsonPath",
    "Label",
    "Name",
    "PagePath",
    "Reason",
    "ScriptPath",
    "ShortName",
    "Tag",
    "VersionName",
    "manifest_host_problem",
    "unique",
]

#: Icon file types the launcher shows, by extension, with the magic bytes each must start with.
#: Raster only: an SVG is a document that can carry script and external references.
ICON_TYPES: Final[Mapping[str, tuple[bytes, ...]]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "webp": (b"RIFF",),
}

#: Host names: lower-case LDH labels, at least two of them, an alphabetic (or punycode) top
#: label — which rules out IP literals and ``localhost``. ``*.`` may prefix a name of at least
#: two labels and matches its sub-domains only.
HOST_RE: Final = re.compile(
    r"^(\*\.)?(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})$"
)
#: Paths a dual-mode app's origin keeps for the host's own documents (its logic context).
RESERVED_PREFIX: Final = "__superapp/"
_COLOR_RE: Final = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_CONTROL_RE: Final = re.compile(r"[\x00-\x1f\x7f]")


def manifest_host_problem(value: str) -> str | None:
    """Why an ``allowed_hosts`` entry is refused by the network layer, or None.

    The same parser and special-use check as the allowlist matcher (``parse_host_entry``
    calls ``local_target``), so a manifest can never list what the matcher, the egress proxy
    or ``net.request`` would refuse: ``*.localhost``, ``printer.local``, ``nas.home.arpa``,
    ``x.onion`` and the like (see ``superapp.net._special``).
    """
    from superapp.net._policy import parse_host_entry

    try:
        parse_host_entry(value)
    except ValueError as exc:
        return str(exc)
    return None


# --- field types ---------------------------------------------------------------------------


def _check_app_id(value: str) -> str:
    if not APP_ID_RE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a reverse-DNS id (lower case, at least two dot-separated "
            "labels, like 'com.example.notes')"
        )
    return value


def _check_text(value: str) -> str:
    if _CONTROL_RE.search(value):
        raise ValueError("control characters are not allowed")
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _check_host(value: str) -> str:
    if "://" in value or "/" in value:
        raise ValueError(f"{value!r} is not a host name (no scheme or path)")
    if ":" in value:
        raise ValueError(f"{value!r} is not a host name (no port)")
    if value != value.lower():
        raise ValueError(f"{value!r} must be lower case")
    if ("*" in value and not value.startswith("*.")) or value.count("*") > 1:
        raise ValueError(f"{value!r}: the only wildcard form is '*.example.com'")
    if not HOST_RE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a host name (lower-case DNS name with a dot; IP addresses, "
            "'localhost' and non-ASCII names are not allowed — use punycode)"
        )
    problem = manifest_host_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _check_path(value: str) -> str:
    problem = name_problem(value, DEFAULT_LIMITS)
    if problem:
        raise ValueError(f"{value!r} is not a bundle path: {problem}")
    return value


def _check_page(value: str) -> str:
    _check_path(value)
    if not value.lower().endswith((".html", ".htm")):
        raise ValueError(f"{value!r} is not an .html file")
    return value


def _check_json_path(value: str) -> str:
    _check_path(value)
    if not value.lower().endswith(".json"):
        raise ValueError(f"{value!r} is not a .json file")
    return value


def _check_script(value: str) -> str:
    _check_path(value)
    if not value.endswith(".js"):
        raise ValueError(f"{value!r} is not a .js file")
    if value.startswith(RESERVED_PREFIX):
        raise ValueError(f"{value!r}: paths under {RESERVED_PREFIX!r} are the host's")
    return value


def _check_icon_src(value: str) -> str:
    _check_path(value)
    ext = value.rsplit(".", 1)[-1].lower() if "." in value else ""
    if ext not in ICON_TYPES:
        raise ValueError(f"{value!r}: icons must be one of {', '.join(sorted(ICON_TYPES))}")
    return value


def _check_capability(value: str) -> str:
    if value not in CAPABILITIES:
        raise ValueError(f"unknown capability {value!r} (known: {', '.join(sorted(CAPABILITIES))})")
    return value


def _check_color(value: str) -> str:
    if not _COLOR_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not a colour like '#1e90ff'")
    return value


AppId = Annotated[
    str, AfterValidator(_check_app_id), Field(json_schema_extra={"pattern": APP_ID_RE.pattern})
]
Host = Annotated[
    str, AfterValidator(_check_host), Field(json_schema_extra={"pattern": HOST_RE.pattern})
]
BundlePath = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_check_path)]
PagePath = Annotated[
    str,
    Field(min_length=1, max_length=255, json_schema_extra={"pattern": r"\.[hH][tT][mM][lL]?$"}),
    AfterValidator(_check_page),
]
JsonPath = Annotated[
    str,
    Field(min_length=1, max_length=255, json_schema_extra={"pattern": r"\.[jJ][sS][oO][nN]$"}),
    AfterValidator(_check_json_path),
]
ScriptPath = Annotated[
    str,
    Field(min_length=1, max_length=255, json_schema_extra={"pattern": r"\.js$"}),
    AfterValidator(_check_script),
]
IconPath = Annotated[
    str,
    Field(
        min_length=1,
        max_length=255,
        json_schema_extra={"pattern": r"\.([pP][nN][gG]|[jJ][pP][eE]?[gG]|[wW][eE][bB][pP])$"},
    ),
    AfterValidator(_check_icon_src),
]
Capability = Annotated[
    str, AfterValidator(_check_capability), Field(json_schema_extra={"enum": sorted(CAPABILITIES)})
]
Color = Annotated[
    str, AfterValidator(_check_color), Field(json_schema_extra={"pattern": _COLOR_RE.pattern})
]
_TEXT = AfterValidator(_check_text)
Name = Annotated[str, Field(min_length=1, max_length=64), _TEXT]
ShortName = Annotated[str, Field(min_length=1, max_length=32), _TEXT]
Description = Annotated[str, Field(min_length=1, max_length=1000), _TEXT]
Reason = Annotated[str, Field(min_length=1, max_length=300), _TEXT]
VersionName = Annotated[str, Field(min_length=1, max_length=64), _TEXT]
Label = Annotated[str, Field(min_length=1, max_length=64), _TEXT]
Tag = Annotated[str, Field(min_length=1, max_length=35), _TEXT]


def unique(values: Collection[str], what: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise ValueError(f"[{i}] {value!r} is listed twice in {what}")
        seen.add(value)
