"""``app://`` responses (``superapp.runtime._page``): where the import map goes, a fresh nonce
per page, nothing injected into other files, and a map broken in dev served without."""

from __future__ import annotations

import json
import re

import pytest

from superapp.runtime._page import PageResponder, inject_import_map
from superapp.runtime._source import BundleSource

ORIGIN = "app://com.example.maps"
EL = b"<X>"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            b"<!doctype html><html><head><meta charset='utf-8'><title>",
            b"<meta charset='utf-8'><X><title>",
        ),
        (b"<!DOCTYPE html><HEAD lang=en><title>", b"<HEAD lang=en><X><title>"),
        (b"<!doctype html><html><header>h</header>", b"<!doctype html><X><html><header>"),
        (b"<p>no head</p>", b"<X><p>no head</p>"),
        (b"  <!doctype html>\n<body>", b"  <!doctype html><X>\n<body>"),
        (b"\xef\xbb\xbf<p>x</p>", b"\xef\xbb\xbf<X><p>x</p>"),
        (
            b"<html><head><script type=module src=m.js></script><meta charset=utf-8>",
            b"<html><head><X><script type=module",
        ),
        (b"\xef\xbb\xbf<!doctype html><p>", b"\xef\xbb\xbf<!doctype html><X><p>"),
    ],
    ids=[
        "after-meta-charset",
        "after-head",
        "header-is-not-head",
        "first",
        "after-doctype",
        "after-bom",
        "before-an-earlier-module",
        "after-bom-and-doctype",
    ],
)
def test_import_map_goes_before_any_script(html: bytes, expected: bytes) -> None:
    assert expected in inject_import_map(html, EL)


def test_meta_charset_far_down_is_not_used() -> None:
    html = b"<html><head>" + b" " * 2000 + b"<meta charset='utf-8'>"
    assert inject_import_map(html, EL).startswith(b"<html><head><X>")


def _responder(
    files: dict[str, bytes], importmap: str | None = "importmap.json"
) -> tuple[PageResponder, list[str]]:
    refused: list[str] = []
    return PageResponder(
        ORIGIN, BundleSource(files), importmap, ("api.example.com",), (), refused.append
    ), refused


FILES = {
    "index.html": b"<!doctype html><html><head><title>t</title></head></html>",
    "app.js": b"import 'x';",
    "importmap.json": json.dumps({"imports": {"x": "./app.js"}}).encode(),
}


def test_every_page_gets_the_map_and_a_nonce_of_its_own() -> None:
    responder, refused = _responder(FILES)
    nonces = set()
    for _ in range(3):
        body, headers = responder.respond("index.html", FILES["index.html"])
        [csp] = headers["Content-Security-Policy"]
        [nonce] = re.findall(r"'nonce-([0-9a-f]{36})'", csp)
        assert f'<script type="importmap" nonce="{nonce}">'.encode() in body
        assert b'"x":"app://com.example.maps/app.js"' in body
        # The pin follows the host's element, before anything of the page's.
        assert body.index(
            b'</script><meta http-equiv="Content-Security-Policy" content="script-src-elem \'self\''
        ) < body.index(b"<title>")
        assert "https://api.example.com" in csp  # the app's own policy, not a replacement
        nonces.add(nonce)
    assert len(nonces) == 3 and refused == []


def test_other_files_and_apps_without_a_map_are_served_as_they_are() -> None:
    responder, _ = _responder(FILES)
    body, headers = responder.respond("app.js", FILES["app.js"])
    assert body == FILES["app.js"] and "nonce-" not in headers["Content-Security-Policy"][0]
    plain, _ = _responder(FILES, importmap=None)
    body, headers = plain.respond("index.html", FILES["index.html"])
    assert body == FILES["index.html"] and "nonce-" not in headers["Content-Security-Policy"][0]


def test_map_broken_after_start_is_left_out_and_reported_once() -> None:
    files = dict(FILES, **{"importmap.json": b'{"imports": {"x": "data:text/javascript,1"}}'})
    responder, refused = _responder(files)
    for _ in range(3):
        body, headers = responder.respond("index.html", files["index.html"])
        assert body == files["index.html"] and "nonce-" not in headers["Content-Security-Policy"][0]
    assert len(refused) == 1 and "not inside the bundle" in refused[0]
