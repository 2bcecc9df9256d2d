"""The mini-app manifest: W3C MiniApp Manifest names plus one ``superapp`` extension object.

Parsed with pydantic in strict mode (no coercion: ``"12"`` is not a version code, ``true`` is
not an integer). Every error names the field, e.g.
``manifest.json: superapp.allowed_hosts[0]: 'http://api.example.com' is not a host name``.

Unknown fields are refused everywhere, including inside ``superapp`` (docs/adr/0002): a typo in
a security-relevant field (``allowed_host``) must not be silently ignored, and a manifest
written for a newer host fails loudly on an older one. W3C members this host does not use
(``color_scheme``, ``dir``, ``lang``, ``device_type``) are accepted and type-checked; ``widgets``
is not supported and is refused.

``manifest.json`` must be UTF-8 JSON whose top level is an object, with no duplicate keys (two
parsers must never disagree on what a manifest says) and no ``NaN``/``Infinity``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from superapp.bundles._fields import (
    ICON_TYPES,
    RESERVED_PREFIX,
    AppId,
    Capability,
    Color,
    Description,
    Host,
    IconPath,
    JsonPath,
    Label,
    Name,
    PagePath,
    Reason,
    ScriptPath,
    ShortName,
    Tag,
    VersionName,
    unique,
)
from superapp.bundles._limits import DEFAULT_LIMITS, BundleLimits
from superapp.bundles._problems import FIXES, ManifestProblem, join_problems, problems_from
from superapp.core.capabilities import CAPABILITIES, CONSENT_REQUIRED
from superapp.core.errors import ManifestError
from superapp.core.strictjson import refuse_constants, unique_keys

__all__ = [
    "ICON_TYPES",
    "MANIFEST_NAME",
    "RESERVED_PREFIX",
    "Icon",
    "Manifest",
    "Permission",
    "PlatformVersion",
    "SuperappExtension",
    "Version",
    "Window",
    "check_manifest",
    "load_manifest_dir",
    "parse_manifest",
]

MANIFEST_NAME: Final = "manifest.json"

# --- models --------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Version(_Model):
    """``version``: a display name and a monotonically increasing integer code."""

    name: VersionName
    code: int = Field(ge=0, le=2**31 - 1)


class Icon(_Model):
    src: IconPath
    sizes: str | None = Field(default=None, pattern=r"^(any|\d{1,4}x\d{1,4}( \d{1,4}x\d{1,4})*)$")


class Permission(_Model):
    """``req_permissions[]``: a capability and why the app wants it (shown in consent prompts)."""

    name: Capability
    reason: Reason | None = None

    @model_validator(mode="after")
    def _reason_for_consent(self) -> Permission:
        if self.name in CONSENT_REQUIRED and self.reason is None:
            raise ValueError(
                f"capability {self.name!r} needs the user's consent, so 'reason' is required"
            )
        return self


class PlatformVersion(_Model):
    min_code: int = Field(ge=0, le=2**31 - 1)
    target_code: int | None = Field(default=None, ge=0, le=2**31 - 1)
    release_type: Tag | None = None


class Window(_Model):
    """``window``: W3C MiniApp window members (hints; the host may ignore some on desktop)."""

    navigation_bar_title_text: Label | None = None
    navigation_bar_background_color: Color | None = None
    navigation_bar_text_style: Literal["black", "white"] | None = None
    background_color: Color | None = None
    background_text_style: Literal["dark", "light"] | None = None
    enable_pull_down_refresh: bool | None = None
    orientation: Literal["portrait", "landscape", "auto"] | None = None
    fullscreen: bool | None = None
    design_width: int | None = Field(default=None, ge=1, le=10_000)
    auto_design_width: bool | None = None


class SuperappExtension(_Model):
    """``superapp``: everything host-specific.

    ``allowed_hosts`` are the only hosts the app's engine and ``net.request`` may reach (over
    https); ``allow_http_hosts`` lists those of them that may also be reached over plain http.
    """

    allowed_hosts: list[Host] = Field(default_factory=list, max_length=64)
    allow_http_hosts: list[Host] = Field(default_factory=list, max_length=64)
    #: Where the engine keeps the page's web storage (localStorage, IndexedDB, cookies, cache
    #: storage, service workers): ``memory`` (default) forgets it when the app closes and
    #: writes none of it to disk; ``persistent`` keeps it in the app's engine profile on disk,
    #: unencrypted and bounded by the host's engine-storage budget (docs/storage.md).
    engine_storage: Literal["memory", "persistent"] = Field(
        default="memory",
        description="Where the page's web storage lives: 'memory' (default; nothing on disk, "
        "gone when the app closes) or 'persistent' (kept on disk in plain text, bounded by the "
        "host's engine-storage quota). Apps keep data across launches with storage.* instead.",
    )
    #: An import map file in the bundle; the host injects it into every page it serves
    #: (``superapp.bundles._importmap``, docs/frontend.md).
    importmap: JsonPath | None = Field(
        default=None,
        description="Path of an import map JSON file in the bundle ({'imports': {...}, "
        "'scopes': {...}}, targets relative to the file and inside the bundle). The host "
        "injects it into every page, so modules can be imported by bare specifier.",
    )

    #: ``dual``: the app's logic runs in a context of its own, with no DOM, that alone holds
    #: ``callNative``; the visible page (the view) has no native access (docs/dual.md).
    mode: Literal["single", "dual"] = Field(
        default="single",
        description="'single' (default): the page holds callNative. 'dual': the scripts in "
        "'logic' run in a context with no DOM that alone holds callNative; the page (the view) "
        "has no native access and talks to the logic with postToLogic/onLogicMessage.",
    )
    #: The logic scripts of a dual-mode app, loaded in order into its logic context.
    logic: list[ScriptPath] = Field(
        default_factory=list,
        max_length=16,
        description="Dual mode only: the bundle's scripts that make up the app's logic, "
        "loaded in this order into the logic context.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> SuperappExtension:
        unique(self.allowed_hosts, "allowed_hosts")
        unique(self.allow_http_hosts, "allow_http_hosts")
        unique(self.logic, "logic")
        if self.mode == "dual" and not self.logic:
            raise ValueError("mode 'dual' needs at least one script in 'logic'")
        if self.mode == "single" and self.logic:
            raise ValueError("'logic' is only used in mode 'dual'")
        for i, host in enumerate(self.allow_http_hosts):
            if host not in self.allowed_hosts:
                raise ValueError(f"allow_http_hosts[{i}] {host!r} is not listed in allowed_hosts")
        return self


class Manifest(_Model):
    """A validated ``manifest.json`` (DESIGN §4)."""

    model_config = ConfigDict(
        title="superapp mini-app manifest",
        json_schema_extra={
            "description": "manifest.json of a superapp mini-app (W3C MiniApp Manifest names "
            "plus the 'superapp' extension object). Unknown fields are refused."
        },
    )

    #: Where editors find this file's JSON Schema (``superapp new`` writes a local copy); the
    #: host never fetches or reads it.
    schema_ref: str | None = Field(
        default=None,
        alias="$schema",
        max_length=2048,
        description="URL or relative path of the manifest's JSON Schema, for editors; "
        "ignored by the host.",
    )
    app_id: AppId
    name: Name
    short_name: ShortName | None = None
    description: Description | None = None
    version: Version
    platform_version: PlatformVersion | None = None
    icons: list[Icon] = Field(default_factory=list, max_length=16)
    pages: list[PagePath] = Field(
        default_factory=lambda: ["index.html"], min_length=1, max_length=256
    )
    window: Window | None = None
    req_permissions: list[Permission] = Field(default_factory=list, max_length=len(CAPABILITIES))
    color_scheme: Literal["auto", "light", "dark"] | None = None
    dir: Literal["ltr", "rtl", "auto"] | None = None
    lang: Tag | None = None
    device_type: list[Tag] | None = Field(default=None, max_length=16)
    superapp: SuperappExtension = Field(default_factory=SuperappExtension)

    @model_validator(mode="after")
    def _no_duplicates(self) -> Manifest:
        unique(self.pages, "pages")
        unique([icon.src for icon in self.icons], "icons")
        unique([perm.name for perm in self.req_permissions], "req_permissions")
        if self.superapp.mode == "dual":
            for i, page in enumerate(self.pages):
                if page.startswith(RESERVED_PREFIX):
                    raise ValueError(
                        f"pages[{i}] {page!r}: paths under {RESERVED_PREFIX!r} "
                        "are the host's in mode 'dual'"
                    )
        return self

    @property
    def entry_page(self) -> str:
        """The page the window opens first: ``pages[0]``."""
        return self.pages[0] if self.pages else "index.html"

    @cached_property
    def declared_capabilities(self) -> frozenset[str]:
        return frozenset(perm.name for perm in self.req_permissions)

    def referenced_files(self) -> list[tuple[str, str]]:
        """``(field, path)`` for every file the manifest points at."""
        refs = [(f"pages[{i}]", page) for i, page in enumerate(self.pages)]
        refs += [(f"icons[{i}].src", icon.src) for i, icon in enumerate(self.icons)]
        if self.superapp.importmap is not None:
            refs.append(("superapp.importmap", self.superapp.importmap))
        refs += [(f"superapp.logic[{i}]", path) for i, path in enumerate(self.superapp.logic)]
        return refs

    def check_files(self, files: Mapping[str, bytes]) -> None:
        """Check every referenced page and icon is among ``files`` and icons are real images.

        Raises:
            ManifestError: naming the field whose file is missing or not what it claims.
        """
        problems = self.file_problems(files)
        if problems:
            raise ManifestError(join_problems(MANIFEST_NAME, problems))

    def file_problems(self, files: Mapping[str, bytes]) -> list[ManifestProblem]:
        """Every referenced page or icon that is missing or not what it claims to be."""
        out: list[ManifestProblem] = []
        for field, path in self.referenced_files():
            if path not in files:
                out.append(
                    ManifestProblem(
                        field,
                        f"file {path!r} is not in the bundle",
                        f"add {path!r} to the app folder, or correct the path (paths are "
                        "relative to manifest.json and case-sensitive)",
                    )
                )
        importmap = self.superapp.importmap
        if importmap is not None and importmap in files:
            from superapp.bundles._importmap import parse_import_map

            try:
                parse_import_map(files[importmap], importmap, files)
            except ManifestError as err:
                out.append(
                    ManifestProblem(
                        "superapp.importmap",
                        str(err),
                        "map each name to a relative path inside the bundle "
                        "(docs/frontend.md, import maps)",
                    )
                )
        for i, icon in enumerate(self.icons):
            ext = icon.src.rsplit(".", 1)[-1].lower()
            if icon.src in files and not files[icon.src].startswith(ICON_TYPES[ext]):
                out.append(
                    ManifestProblem(
                        f"icons[{i}].src",
                        f"{icon.src!r} is not a {ext.upper()} image",
                        f"save the icon as a real {ext.upper()} file, or name it after its format",
                    )
                )
        return out


# --- parsing -------------------------------------------------------------------------------


_no_duplicate_keys = unique_keys(
    lambda key: ManifestError(f"{MANIFEST_NAME}: key {key!r} appears twice in one object")
)
_no_constants = refuse_constants(
    lambda name: ManifestError(f"{MANIFEST_NAME}: {name} is not valid JSON")
)


def _json_problem(message: str, fix: str) -> list[ManifestProblem]:
    return [ManifestProblem("", message, fix)]


def check_manifest(
    data: bytes, limits: BundleLimits = DEFAULT_LIMITS
) -> tuple[Manifest | None, list[ManifestProblem]]:
    """Parse and validate the bytes of a ``manifest.json``, collecting every problem.

    Returns ``(manifest, [])`` when it is valid, ``(None, problems)`` otherwise; a file that is
    not JSON has one problem (nothing past it can be checked).
    """
    if len(data) > limits.max_manifest_bytes:
        return None, _json_problem(
            f"{MANIFEST_NAME} is larger than {limits.max_manifest_bytes} bytes",
            "keep the manifest small; data belongs in files",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, _json_problem(
            f"{MANIFEST_NAME} is not UTF-8 ({exc.reason})", "save the file as UTF-8"
        )
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        return None, _json_problem(
            f"{MANIFEST_NAME} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            "fix the JSON syntax there (no trailing commas or comments; strings in double quotes)",
        )
    except ManifestError as exc:
        return None, _json_problem(str(exc), "give every key once, and no NaN or Infinity")
    except RecursionError:
        return None, _json_problem(f"{MANIFEST_NAME} is nested too deeply", FIXES[""])
    if not isinstance(obj, dict):
        return None, _json_problem(
            f"{MANIFEST_NAME}: the top level must be a JSON object", FIXES[""]
        )
    try:
        return Manifest.model_validate(obj), []
    except ValidationError as exc:
        return None, problems_from(exc, Manifest)


def parse_manifest(data: bytes, limits: BundleLimits = DEFAULT_LIMITS) -> Manifest:
    """Parse and validate the bytes of a ``manifest.json``.

    Raises:
        ManifestError: one line naming every field with a problem.
    """
    manifest, problems = check_manifest(data, limits)
    if manifest is None:
        raise ManifestError(join_problems(MANIFEST_NAME, problems))
    return manifest


def load_manifest_dir(src: Path, limits: BundleLimits = DEFAULT_LIMITS) -> Manifest:
    """Read and validate ``src/manifest.json`` of an unpacked mini-app (``superapp dev``).

    Every page and icon the manifest references must be a regular file inside ``src`` (a
    symlink is refused, wherever it points).

    Raises:
        ManifestError: the manifest is missing or invalid, or a referenced file is missing.
    """
    from superapp.bundles._pack import collect_files

    files = collect_files(src, limits)
    if MANIFEST_NAME not in files:
        raise ManifestError(f"{src / MANIFEST_NAME}: no such file")
    manifest = parse_manifest(files[MANIFEST_NAME], limits)
    manifest.check_files(files)
    return manifest
