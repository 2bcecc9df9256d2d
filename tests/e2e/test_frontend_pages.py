"""Issue 15, point 6, in real windows: the manifest's import map injected with a nonce, CSP
refusals audited with the file, the construct and the fix, and the page's console on the dev
command's own stream, escaped. (Real npm libraries: tests/e2e/test_frontend_libraries.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from superapp.core.paths import Paths
from superapp.testing import make_app, wait_for_audit

APP = "com.example.frontend"


def with_import_map(folder: Path, importmap: dict[str, Any], name: str = "importmap.json") -> Path:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["superapp"]["importmap"] = name
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(importmap), encoding="utf-8")
    return folder


def _module_app(tmp_path: Path) -> Path:
    folder = make_app(
        tmp_path,
        APP,
        body="<p id='out'></p><script type='module' src='main.js'></script>",
        files={
            "main.js": "import { greet } from 'greeter';\n"
            "import { twice } from 'util/twice.js';\n"
            "document.getElementById('out').textContent = twice(greet('lit'));\n",
            "lib/greeter/index.js": "export const greet = (n) => 'hello ' + n;\n",
            "lib/util/twice.js": "export const twice = (s) => s + ' ' + s;\n",
            "sub/page.html": "<!doctype html><html><head><meta charset='utf-8'></head><body>"
            "<p id='out'></p><script type='module' src='../main.js'></script></body></html>",
        },
    )
    return with_import_map(
        folder, {"imports": {"greeter": "./lib/greeter/index.js", "util/": "./lib/util/"}}
    )


def _fetch(page: Any, path: str) -> tuple[str, str]:
    """The CSP header and the body of a fresh response for ``path``."""
    csp, body = page.evaluate(
        "p => fetch(p, {cache: 'no-store'}).then(async r =>"
        " [r.headers.get('content-security-policy'), await r.text()])",
        path,
    )
    return csp, body


def test_import_map_from_the_manifest_resolves_bare_specifiers(
    tmp_path: Path, open_app: Any
) -> None:
    _host, page = open_app("dev", _module_app(tmp_path))
    page.wait_for_function("() => document.getElementById('out').textContent !== ''")
    assert page.text_content("#out") == "hello lit hello lit"
    # The host's element is the first script of the page, and the page does not see its nonce
    # as an attribute (the engine hides it) although the CSP carries one.
    first = page.evaluate(
        "() => { const s = document.scripts[0]; return [s.type, s.getAttribute('nonce'),"
        " !!s.nonce, JSON.parse(s.textContent).imports.greeter]; }"
    )
    assert first == ["importmap", "", True, f"app://{APP}/lib/greeter/index.js"]
    # A page in a sub-folder gets the same map (targets are absolute).
    page.goto(f"app://{APP}/sub/page.html")
    page.wait_for_function("() => document.getElementById('out').textContent !== ''")
    assert page.text_content("#out") == "hello lit hello lit"


def test_import_map_edited_in_dev_applies_on_reload(tmp_path: Path, open_app: Any) -> None:
    folder = _module_app(tmp_path)
    (folder / "lib/greeter/v2.js").write_text("export const greet = (n) => 'hi ' + n;\n")
    _host, page = open_app("dev", folder)
    page.wait_for_function("() => document.getElementById('out').textContent !== ''")
    with_import_map(folder, {"imports": {"greeter": "./lib/greeter/v2.js", "util/": "./lib/util/"}})
    page.reload()
    page.wait_for_function("() => document.getElementById('out').textContent !== ''")
    assert page.text_content("#out") == "hi lit hi lit"


def test_nonce_is_fresh_per_response_and_only_on_pages(tmp_path: Path, open_app: Any) -> None:
    _host, page = open_app("dev", _module_app(tmp_path))
    (one, body_one), (two, body_two) = _fetch(page, "index.html"), _fetch(page, "index.html")
    nonce = re.findall(r"'nonce-([0-9a-f]+)'", one)
    assert len(nonce) == 1 and len(nonce[0]) >= 32 and nonce[0] not in two
    value = nonce[0]
    assert f'nonce="{value}"' in body_one and f'nonce="{value}"' not in body_two
    # Right after the host's element, a policy of the page's own pins inline scripts shut.
    pin = '<meta http-equiv="Content-Security-Policy" content="script-src-elem \'self\''
    assert body_one.index("</script>") < body_one.index(pin) < body_one.index("<title>")
    # Scripts and other files carry the plain policy: no nonce, nothing injected.
    plain, text = _fetch(page, "main.js")
    assert "nonce-" not in plain and text.startswith("import { greet }")


def test_inline_script_handler_and_importmap_refusals_name_file_construct_and_fix(
    tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    folder = make_app(
        tmp_path,
        APP,
        body="<script>window.inline = 1</script>"
        '<script type=\'importmap\'>{"imports": {"x": "./x.js"}}</script>'
        "<img id='pic' src='nope.png' onerror='window.handler = 1'>",
    )
    _host, page = open_app("dev", folder)
    events = {}
    for construct in ("inline-script", "inline-importmap", "inline-handler"):
        events[construct] = wait_for_audit(
            superapp_home,
            lambda e, c=construct: e["superapp"].get("construct") == c,
            action="page.csp_refused",
            app_id=APP,
        )
    assert page.evaluate("[window.inline, window.handler]") == [None, None]
    script = events["inline-script"]["superapp"]
    assert script["url"] == "index.html" and script["line"] >= 1
    assert "move the code into a .js file" in events["inline-script"]["event"]["reason"]
    assert "superapp" in events["inline-importmap"]["event"]["reason"]  # the manifest route
    assert "onerror" in events["inline-handler"]["event"]["reason"]
    assert "addEventListener" in events["inline-handler"]["event"]["reason"]


def test_eval_refusal_names_the_calling_file(
    tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    folder = make_app(
        tmp_path,
        APP,
        files={"vendor/compiler.js": "try { new Function('return 1')() } catch (e) {}\n"},
        body="<script src='vendor/compiler.js'></script>",
    )
    open_app("dev", folder)
    event = wait_for_audit(
        superapp_home,
        lambda e: e["superapp"].get("construct") == "eval",
        action="page.csp_refused",
        app_id=APP,
    )
    # The engine cuts the calling script's URL to its scheme in the event; the line is kept.
    assert event["superapp"]["url"] == "(a script of the app)" and event["superapp"]["line"] == 1
    assert "vue.runtime.global.prod.js" in event["event"]["reason"]


def test_dev_prints_page_console_and_csp_refusals_on_stdout_escaped(
    tmp_path: Path, open_app: Any
) -> None:
    folder = make_app(
        tmp_path,
        APP,
        script="console.log('ready \\u001b[31mred\\u001b[0m');\nconsole.error('bad thing');\n",
        body="<script>1</script>",
    )
    host, _page = open_app("dev", folder)
    line = host.wait_for_line(r"^console\.log  app\.js:\d+: ready")
    assert "\x1b" not in line and "\\x1b[31mred" in line
    host.wait_for_line(r"^console\.error  app\.js:\d+: bad thing$")
    csp = host.wait_for_line(r"^csp  index\.html:\d+: inline <script> refused")
    assert "move the code into a .js file" in csp
    # The engine's own sentence for the refusal is not repeated on the page's stream.
    assert not [ln for ln in host.lines if "Content Security Policy directive" in ln]
