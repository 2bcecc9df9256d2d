"""What the CSP refused in the page, named for the person who has to fix it.

The isolated-world relay (``assets/bridge-isolated.js``) listens for the engine's
``securitypolicyviolation`` events from the first moment of the document and reports each
one (directive, blocked URI, file, line, sample, and what the element was). Here a report
becomes a ``CspRefusal``: which construct it was (an inline ``<script>``, an ``on…=``
handler, an inline import map, ``eval``/``new Function`` …), in which file and line, and what
to use instead. Script constructs are audited as ``page.csp_refused``; refused resources
(an image from a host not on the allowlist, a frame) stay ``net.blocked`` as before.

Everything in a report is page-chosen text: it is cut to length here and escaped wherever it
is shown (``superapp.audit.safe_text``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "CONSTRUCTS",
    "SAMPLE_HINTS",
    "SCRIPT_FILE",
    "CspRefusal",
    "ViolationReporter",
    "parse_report",
]

#: construct → (what it is, what to do instead). The fix is the sentence the developer reads.
CONSTRUCTS: Final[Mapping[str, tuple[str, str]]] = {
    "inline-script": (
        "inline <script>",
        'move the code into a .js file in the bundle and load it with <script src="…">',
    ),
    "inline-importmap": (
        'inline <script type="importmap">',
        'declare the map in manifest.json ("superapp": {"importmap": "importmap.json"}); '
        "the host injects it (docs/frontend.md)",
    ),
    "inline-handler": (
        "inline event handler (on…= attribute)",
        "attach the handler from a .js file with addEventListener instead",
    ),
    "javascript-url": (
        "javascript: URL",
        "use a button or link with a listener added from a .js file",
    ),
    "eval": (
        "eval / new Function / string timer",
        "code compiled from strings at run time cannot run here; use a build that needs none "
        "(Vue: vue.runtime.global.prod.js or a bundler; Alpine: @alpinejs/csp)",
    ),
    "wasm": ("WebAssembly compilation", "WebAssembly cannot be compiled in a mini-app"),
    "nonce-reuse": (
        "inline <script> carrying the page's nonce",
        "only the host's import map runs inline; move the code into a .js file",
    ),
}

#: Code that libraries compile at run time starts in a way that names them: the sample of an
#: ``eval`` refusal (its first 40 characters) → (the library build, what to use instead).
SAMPLE_HINTS: Final[tuple[tuple[str, str, str], ...]] = (
    (
        "const _Vue =",
        "Vue full build (compiles templates with new Function)",
        "use vue.runtime.global.prod.js with templates compiled at build time, or a bundler",
    ),
    (
        "anonymous(__self,scope",
        "standard Alpine (evaluates x-data/x-on expressions with new Function)",
        "use the CSP build, @alpinejs/csp (dist/cdn.min.js)",
    ),
)
#: What an ``eval`` refusal names as its file: the engine cuts the calling script's URL to
#: ``app`` in the event (CSP's "strip URL for use in reports"); in developer mode its own
#: console line, printed too, names the file.
SCRIPT_FILE = "(a script of the app)"
_MAX_FILE = 512
_MAX_SAMPLE = 80
_MAX_HANDLERS = 8


@dataclass(frozen=True)
class CspRefusal:
    construct: str
    file: str
    line: int
    directive: str
    sample: str = ""
    #: For an inline handler: the ``on…`` attribute names of the element.
    handlers: tuple[str, ...] = ()

    @property
    def library(self) -> tuple[str, str] | None:
        """(build, fix) when an ``eval`` sample is a known library's run-time compiler."""
        if self.construct != "eval":
            return None
        return next(((b, f) for s, b, f in SAMPLE_HINTS if s in self.sample), None)

    @property
    def what(self) -> str:
        what = CONSTRUCTS[self.construct][0]
        if self.handlers:
            what += " " + ", ".join(self.handlers)
        library = self.library
        return f"{what} from the {library[0]}" if library else what

    @property
    def fix(self) -> str:
        library = self.library
        return library[1] if library else CONSTRUCTS[self.construct][1]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def text(self) -> str:
        """One line: file, construct, fix (unescaped: the caller escapes where it shows it)."""
        return f"{self.where}: {self.what} refused by the app's CSP: {self.fix}"


def _str(report: Mapping[str, Any], key: str, limit: int) -> str:
    value = report.get(key, "")
    return (value if isinstance(value, str) else "")[:limit]


def _file(url: str, origin: str) -> str:
    if url.startswith(origin + "/"):
        return url[len(origin) + 1 :] or "(page)"
    return url or "(unknown file)"


def _where(report: Mapping[str, Any], construct: str | None, origin: str) -> str:
    """The file a refusal happened in. An inline construct is in the document itself; a
    source file cut to its scheme (no ``/``) says nothing more."""
    source = _str(report, "file", _MAX_FILE)
    if "/" in source:
        return _file(source, origin)
    if construct in ("eval", "wasm"):
        return SCRIPT_FILE
    return _file(_str(report, "doc", _MAX_FILE), origin)


def _construct(report: Mapping[str, Any]) -> str | None:
    blocked = _str(report, "blocked", 64)
    directive = _str(report, "directive", 64)
    if blocked == "eval":
        return "eval"
    if blocked == "wasm-eval":
        return "wasm"
    if blocked not in ("inline", "") or not directive.startswith("script-src"):
        return None  # a resource (a URL) refused: the network audit's business
    if directive == "script-src-attr":
        return "inline-handler"
    if _str(report, "element", 32) != "script":
        return "javascript-url"
    if _str(report, "type", 32).strip().lower() == "importmap":
        return "inline-importmap"
    if report.get("nonce") is True:
        return "nonce-reuse"
    return "inline-script"


def parse_report(report: Mapping[str, Any], origin: str) -> CspRefusal | None:
    """The refusal a relay report describes, or ``None`` for a refused resource (a URL)."""
    construct = _construct(report)
    if construct is None:
        return None
    line = report.get("line")
    raw_handlers = report.get("handlers")
    handlers = (
        tuple(h[:32] for h in raw_handlers[:_MAX_HANDLERS] if isinstance(h, str))
        if construct == "inline-handler" and isinstance(raw_handlers, list)
        else ()
    )
    return CspRefusal(
        construct=construct,
        file=_where(report, construct, origin),
        line=line if isinstance(line, int) and not isinstance(line, bool) and line > 0 else 0,
        directive=_str(report, "directive", 64),
        sample=_str(report, "sample", _MAX_SAMPLE),
        handlers=handlers,
    )


class ViolationReporter:
    """Audits each report (``guard``: folded repeats; the host's flood gate behind it) and,
    in developer mode, hands script refusals to ``on_refusal`` for the developer's console."""

    def __init__(
        self,
        origin: str,
        blocked: Callable[..., None],
        on_refusal: Callable[[CspRefusal], None] | None = None,
    ) -> None:
        self._origin = origin
        self._blocked = blocked
        self._on_refusal = on_refusal

    def __call__(self, report: Mapping[str, Any]) -> None:
        refusal = parse_report(report, self._origin)
        if refusal is None:
            directive = _str(report, "directive", 64)
            self._blocked(
                "net.blocked",
                _str(report, "blocked", 2048) or "(inline)",
                f"csp-{directive}" if directive else "csp",
                "refused by the app's Content-Security-Policy",
                kind="csp",
                file=_where(report, None, self._origin),
            )
            return
        self._blocked(
            "page.csp_refused",
            refusal.file,
            f"csp-{refusal.construct}",
            f"{refusal.what} refused by the app's Content-Security-Policy: {refusal.fix}",
            kind="csp",
            line=refusal.line,
            construct=refusal.construct,
            sample=refusal.sample,
        )
        if self._on_refusal is not None:
            self._on_refusal(refusal)
