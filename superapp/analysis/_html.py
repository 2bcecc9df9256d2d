"""HTML (and SVG) on the tree-sitter HTML tree: the code it holds and the URLs it loads.

For every element: ``<script>`` bodies are JavaScript (analysed with line offsets so findings
point into the HTML file); ``src`` of ``script``/``iframe``/``frame``/``embed``, ``data`` of
``object``, ``<base href>`` and script-like ``<link>``s must stay inside the bundle (SA108);
``on*`` attributes are JavaScript; ``javascript:`` URLs in URL attributes are SA109 and their
code is analysed; other URL attributes pointing at hosts outside ``allowed_hosts`` are SA501.
HTML comments may carry suppression comments. The same walk serves HTML strings found in
JavaScript (``innerHTML``, ``document.write``), reporting at the JavaScript node.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Callable, Iterator

import tree_sitter_html
from tree_sitter import Language, Node, Parser

from superapp.analysis import _js
from superapp.analysis._js import Context, Emit, Suppression, analyse_js, host_allowed
from superapp.analysis._model import Finding

__all__ = ["analyse_html", "analyse_html_fragment"]

HTML_LANGUAGE = Language(tree_sitter_html.language())

_JS_TYPES = frozenset(
    {
        "",
        "module",
        "text/javascript",
        "application/javascript",
        "application/ecmascript",
        "text/ecmascript",
        "application/x-javascript",
        "text/jscript",
        "text/babel",
        "jsx",
    }
)
_URL_ATTRS = frozenset({"href", "src", "action", "formaction", "data", "poster", "xlink:href"})
_CODE_SRC_TAGS = frozenset({"script", "iframe", "frame", "embed"})

#: (rule id, node to place it at, message)
OnFinding = Callable[[str, Node, str], None]
#: (code, node holding it, description, line base, column base)
OnCode = Callable[[str, Node, str], None]


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def _attributes(tag: Node) -> Iterator[tuple[str, str, Node]]:
    for attr in tag.named_children:
        if attr.type != "attribute":
            continue
        name_node = next((c for c in attr.named_children if c.type == "attribute_name"), None)
        if name_node is None:
            continue
        value_node: Node | None = None
        for c in attr.named_children:
            if c.type == "attribute_value":
                value_node = c
            elif c.type == "quoted_attribute_value":
                value_node = next((v for v in c.named_children if v.type == "attribute_value"), c)
        raw = (
            _text(value_node)
            if value_node is not None and value_node.type == "attribute_value"
            else ""
        )
        yield _text(name_node).lower(), html_lib.unescape(raw), value_node or name_node


def _walk(root: Node) -> Iterator[Node]:
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _scan_tree(
    root: Node,
    ctx: Context,
    on_finding: OnFinding,
    on_code: OnCode,
    on_script: Callable[[Node], None],
    on_comment: Callable[[Node], None],
) -> None:
    for node in _walk(root):
        if node.type == "comment":
            on_comment(node)
            continue
        if node.type not in ("start_tag", "self_closing_tag"):
            continue
        tag_node = next((c for c in node.named_children if c.type == "tag_name"), None)
        tag = _text(tag_node).lower()
        attrs = list(_attributes(node))
        values = {name: value for name, value, _ in attrs}
        rel = values.get("rel", "").lower().split()
        for name, value, where in attrs:
            url = value.strip()
            if name.startswith("on") and len(name) > 2:
                if url:
                    on_code(value, where, f"{name} handler")
                continue
            if name not in _URL_ATTRS:
                continue
            if url.lower().startswith("javascript:"):
                body = url[len("javascript:") :]
                if not _js.is_noop_js(body):
                    on_finding("SA109", where, f"javascript: URL in <{tag} {name}>")
                    on_code(body, where, "javascript: URL")
                continue
            loads_code = (
                (tag in _CODE_SRC_TAGS and name == "src")
                or (tag == "object" and name == "data")
                or (tag == "base" and name == "href")
                or (
                    tag == "link"
                    and name == "href"
                    and (
                        "modulepreload" in rel
                        or "import" in rel
                        or (
                            "preload" in rel
                            and values.get("as", "").lower() in ("script", "worker")
                        )
                    )
                )
                or (tag == "script" and name in ("xlink:href", "href"))
            )
            if loads_code and _js.is_remote_code_url(url):
                on_finding(
                    "SA108", where, f"<{tag} {name}> loads code from outside the bundle: {url[:80]}"
                )
                continue
            if loads_code and tag == "script" and url:
                ctx.shared.script_refs.append((ctx.file, url))
            host = _js.remote_host(url)
            if host is not None and not host_allowed(host, ctx.allowed_hosts):
                on_finding("SA501", where, f"<{tag} {name}> points to {host}, not in allowed_hosts")
        if tag == "script" and node.type == "start_tag" and "src" not in values:
            script_type = values.get("type", "").strip().lower()
            if script_type in _JS_TYPES and node.parent is not None:
                on_script(node.parent)


def analyse_html(source: bytes, ctx: Context, emit: Emit) -> list[Suppression]:
    """Analyse an HTML file; returns the suppression comments found (HTML and inline JS)."""
    tree = Parser(HTML_LANGUAGE).parse(source)
    lines = source.split(b"\n")
    suppressions: list[Suppression] = []

    def pos(node: Node) -> tuple[int, int]:
        row, col = node.start_point
        line = lines[row] if row < len(lines) else b""
        return row + 1, len(line[:col].decode("utf-8", "replace")) + 1

    def on_finding(rule_id: str, node: Node, message: str) -> None:
        line, col = pos(node)
        snippet = " ".join(_text(node).split())[: ctx.limits.snippet_chars]
        emit(Finding(ctx.file, line, col, rule_id, message, snippet))

    def on_code(code: str, node: Node, what: str) -> None:
        row, col = node.start_point
        suppressions.extend(
            analyse_js(
                code.encode("utf-8", "surrogatepass"), ctx, emit, line_base=row + 1, col_base=col
            )
        )

    def on_script(element: Node) -> None:
        raw = next((c for c in element.named_children if c.type == "raw_text"), None)
        if raw is None or raw.text is None:
            return
        row, col = raw.start_point
        suppressions.extend(analyse_js(raw.text, ctx, emit, line_base=row + 1, col_base=col))

    def on_comment(node: Node) -> None:
        text = _text(node)
        if "superapp-scan" not in text:
            return
        body = text.strip().removeprefix("<!--").removesuffix("-->").strip()
        m = _js.SUPPRESS_RE.search(body)
        line, col = pos(node)
        end_line = line + node.end_point[0] - node.start_point[0]
        if m is None:
            on_finding("SA604", node, "malformed superapp-scan comment (see docs/rules.md)")
            return
        ids = tuple(i.strip().upper() for i in m.group("ids").split(","))
        suppressions.append(
            Suppression(end_line, ids, (m.group("reason") or "").strip(), body, col)
        )

    _scan_tree(tree.root_node, ctx, on_finding, on_code, on_script, on_comment)
    return suppressions


def analyse_html_fragment(html: str, analysis: _js.AnalysisBase, at: Node) -> None:
    """Analyse an HTML string built in JavaScript; findings are placed at the JS node ``at``."""
    tree = Parser(HTML_LANGUAGE).parse(html.encode("utf-8", "surrogatepass"))

    def on_finding(rule_id: str, _node: Node, message: str) -> None:
        analysis.emit(rule_id, at, f"{message} (in an HTML string)")

    def on_code(code: str, _node: Node, what: str) -> None:
        analysis.scan_code(code, at, what)

    def on_script(element: Node) -> None:
        raw = next((c for c in element.named_children if c.type == "raw_text"), None)
        if raw is not None and raw.text:
            analysis.scan_code(raw.text.decode("utf-8", "replace"), at, "inline <script>")

    _scan_tree(tree.root_node, analysis.ctx, on_finding, on_code, on_script, lambda _n: None)
