"""What the app's Content-Security-Policy will refuse: code that *will not run here*.

Every ``app://`` page is served with ``script-src 'self'`` and no ``'unsafe-inline'`` or
``'unsafe-eval'`` (``superapp.runtime._csp``). Chromium then refuses, silently as far as the
user can see, inline ``<script>`` bodies, ``on*=`` handlers, ``javascript:`` URLs, import maps
(Chromium reads them only from inline scripts), ``eval``, ``new Function`` and string timers.
These rules say so before anything runs, with the file, the line and what to use instead:

* SA701 inline ``<script>``; SA702 inline handler or ``javascript:`` URL; SA703 import map —
  found by walking each HTML file's tree;
* SA704 run-time code — derived from the code rules' own findings (eval, the Function
  constructors, string timers, ``on*`` set from strings), so the resolution that sees through
  ``window['ev'+'al']`` applies here too;
* SA705 a known library build that needs run-time code (Vue's full build, standard Alpine):
  the one finding for that file, in place of its SA704s, naming the build to use instead.

All are warnings: the bundle installs, and the rest of the app may work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tree_sitter import Node, Parser

from superapp.analysis._html import HTML_LANGUAGE, _attributes, _text, _walk
from superapp.analysis._js import is_noop_js
from superapp.analysis._model import Finding

__all__ = ["LIBRARY_BUILDS", "LibraryBuild", "csp_findings"]

_HTML_EXT = (".html", ".htm", ".xhtml")
_JS_EXT = (".js", ".mjs", ".cjs")
_WONT_RUN = "will not run here: the app's CSP (script-src 'self')"

#: Code-rule findings that are run-time code the CSP refuses (SA105, the global-object
#: idiom, is left out: libraries call it inside try/catch and fall back).
_RUNTIME_CODE_RULES = frozenset({"SA101", "SA102", "SA103", "SA104", "SA106"})
#: SA110 messages (constant code strings) that are refused too; its javascript: URL and
#: <script>-text cases are covered by SA702 and by the script element itself.
_RUNTIME_CODE_SA110 = ("eval ", "Function constructor", "AsyncFunction constructor", "timer ")
_EVENT_HANDLER_SA110 = "event handler attribute set"


@dataclass(frozen=True)
class LibraryBuild:
    """A published build that compiles code at run time, recognised by its own text."""

    name: str
    #: Matched against the file's first 64 KiB and last 64 KiB (banners, registration).
    signature: re.Pattern[bytes]
    instead: str


LIBRARY_BUILDS: tuple[LibraryBuild, ...] = (
    LibraryBuild(
        "Vue full build",
        re.compile(rb"\bvue v3\.\d|Vue\.js v2\.\d"),
        "use vue.runtime.global.prod.js with render functions, or a bundler (Vite with "
        "@vitejs/plugin-vue) that compiles templates at build time",
    ),
    LibraryBuild(
        "Alpine.js standard build",
        re.compile(rb"alpine:init"),
        "use the CSP build, @alpinejs/csp (same directives; expressions limited to property "
        "paths and method calls)",
    ),
)
_SIGNATURE_WINDOW = 64 * 1024


def _position(lines: list[bytes], node: Node) -> tuple[int, int]:
    row, col = node.start_point
    line = lines[row] if row < len(lines) else b""
    return row + 1, len(line[:col].decode("utf-8", "replace")) + 1


def _html_findings(name: str, data: bytes, snippet_chars: int) -> Iterable[Finding]:
    source = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    tree = Parser(HTML_LANGUAGE).parse(source)
    lines = source.split(b"\n")

    def finding(rule_id: str, node: Node, message: str) -> Finding:
        line, col = _position(lines, node)
        snippet = " ".join(_text(node).split())[:snippet_chars]
        return Finding(name, line, col, rule_id, message, snippet)

    for node in _walk(tree.root_node):
        if node.type not in ("start_tag", "self_closing_tag"):
            continue
        tag_node = next((c for c in node.named_children if c.type == "tag_name"), None)
        tag = _text(tag_node).lower()
        attrs = list(_attributes(node))
        values = {attr: value for attr, value, _ in attrs}
        for attr, value, where in attrs:
            if attr.startswith("on") and len(attr) > 2 and value.strip():
                yield finding(
                    "SA702",
                    where,
                    f'<{tag} {attr}="…"> {_WONT_RUN} refuses inline event handlers; attach '
                    f"it in a script file: element.addEventListener('{attr[2:]}', …)",
                )
            elif value.strip().lower().startswith("javascript:") and not is_noop_js(
                value.strip()[len("javascript:") :]
            ):
                yield finding(
                    "SA702",
                    where,
                    f"javascript: URL in <{tag} {attr}> {_WONT_RUN} refuses it; use a <button> "
                    "with an addEventListener listener in a script file",
                )
        if tag != "script" or node.type != "start_tag" or "src" in values:
            continue
        kind = values.get("type", "").strip().lower()
        if kind == "importmap":
            yield finding(
                "SA703",
                node,
                f"import map {_WONT_RUN} refuses inline scripts, and Chromium reads import "
                "maps only from inline scripts; move the map to a file and name it in the "
                "manifest as superapp.importmap (docs/frontend.md), or import by relative path",
            )
            continue
        siblings = node.parent.named_children if node.parent is not None else []
        body = next((c for c in siblings if c.type == "raw_text"), None)
        if body is None or not _text(body).strip():
            continue
        if kind in ("", "module", "text/javascript", "application/javascript"):
            yield finding(
                "SA701",
                node,
                f"inline <script> {_WONT_RUN} refuses inline code; move it into a .js file "
                'in the bundle and load it with <script src="app.js"></script>',
            )


def _runtime_code(f: Finding) -> bool:
    if f.rule_id in _RUNTIME_CODE_RULES:
        return True
    return f.rule_id == "SA110" and f.message.startswith(
        (*_RUNTIME_CODE_SA110, _EVENT_HANDLER_SA110)
    )


def _runtime_message(f: Finding) -> str:
    if f.rule_id == "SA106" or f.message.startswith(("timer", "event handler")):
        return (
            f"a string used as code {_WONT_RUN} refuses it; pass a function instead: "
            "setTimeout(() => update(), 100), el.addEventListener('click', …)"
        )
    if "AsyncFunction" in f.message:
        construct = "the AsyncFunction constructor"
    elif "Function" in f.message:
        construct = "new Function(…)"
    else:
        construct = "eval(…)"
    return (
        f"{construct} {_WONT_RUN} has no 'unsafe-eval', so the call throws; use functions "
        "and JSON.parse, or precompile templates at build time"
    )


def _library(data: bytes) -> LibraryBuild | None:
    ends = data[:_SIGNATURE_WINDOW] + b"\n" + data[-_SIGNATURE_WINDOW:]
    return next((lib for lib in LIBRARY_BUILDS if lib.signature.search(ends)), None)


def csp_findings(
    files: Mapping[str, bytes], code_findings: Iterable[Finding], snippet_chars: int = 120
) -> list[Finding]:
    """The SA7xx warnings for a bundle, given the findings the code rules already made."""
    out: list[Finding] = []
    for name in sorted(files):
        if name.lower().endswith(_HTML_EXT):
            out.extend(_html_findings(name, files[name], snippet_chars))
    by_file: dict[str, list[Finding]] = {}
    for f in code_findings:
        if _runtime_code(f):
            by_file.setdefault(f.file, []).append(f)
    for file, sites in sorted(by_file.items()):
        sites.sort()
        data = files.get(file, b"")
        lib = _library(data) if file.lower().endswith(_JS_EXT) else None
        if lib is not None:
            first = sites[0]
            out.append(
                Finding(
                    file,
                    first.line,
                    first.column,
                    "SA705",
                    f"{lib.name} {_WONT_RUN} refuses the run-time code it compiles "
                    f"({len(sites)} site{'s' if len(sites) != 1 else ''}); {lib.instead}",
                    first.snippet,
                )
            )
            continue
        out.extend(
            Finding(f.file, f.line, f.column, "SA704", _runtime_message(f), f.snippet)
            for f in sites
        )
    return out
