"""The manifest model: W3C names, strict validation, errors that name the field."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from superapp.bundles import Manifest, load_manifest_dir, parse_manifest
from superapp.core.errors import ManifestError
from tests.bundles.builders import PNG, app_files, manifest, write_tree


def _parse(doc: Any) -> Manifest:
    return parse_manifest(json.dumps(doc).encode())


def test_valid_manifest_exposes_entry_page_and_capabilities() -> None:
    m = _parse(
        manifest(
            pages=["main.html", "about.html"],
            req_permissions=[
                {"name": "storage"},
                {"name": "user:readProfile", "reason": "Show your name"},
            ],
            superapp={
                "allowed_hosts": ["api.example.com", "*.cdn.example.org"],
                "allow_http_hosts": ["api.example.com"],
            },
            window={"navigation_bar_title_text": "Notes", "background_color": "#ffffff"},
            platform_version={"min_code": 1, "target_code": 2},
            color_scheme="dark",
            lang="en-GB",
        )
    )
    assert m.entry_page == "main.html"
    assert m.declared_capabilities == frozenset({"storage", "user:readProfile"})
    assert m.superapp.allow_http_hosts == ["api.example.com"]


def test_defaults_entry_page_is_index_html() -> None:
    doc = {"app_id": "com.example.min", "name": "Min", "version": {"name": "1", "code": 1}}
    m = _parse(doc)
    assert m.entry_page == "index.html"
    assert m.declared_capabilities == frozenset()
    assert m.superapp.allowed_hosts == []


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("app_id_not_reverse_dns", manifest(app_id="notes"), "app_id: 'notes' is not a reverse-DNS"),
    ("app_id_upper_case", manifest(app_id="com.Example.notes"), "app_id:"),
    ("app_id_path", manifest(app_id="../etc"), "app_id:"),
    ("unknown_top_level_field", manifest(permissions=["storage"]), "permissions: unknown field"),
    (
        "unknown_superapp_field",
        manifest(superapp={"allowed_host": ["a.example.com"]}),
        "superapp.allowed_host: unknown field",
    ),
    ("widgets_unsupported", manifest(widgets=[]), "widgets: unknown field"),
    (
        "missing_name",
        {k: v for k, v in manifest().items() if k != "name"},
        "name: required field is missing",
    ),
    ("version_code_string", manifest(version={"name": "1", "code": "12"}), "version.code:"),
    ("version_code_bool", manifest(version={"name": "1", "code": True}), "version.code:"),
    ("version_code_negative", manifest(version={"name": "1", "code": -1}), "version.code:"),
    ("name_control_char", manifest(name="No\ntes"), "name: control characters"),
    ("name_blank", manifest(name="   "), "name: must not be blank"),
    (
        "unknown_capability",
        manifest(req_permissions=[{"name": "root"}]),
        "req_permissions[0].name: unknown capability 'root'",
    ),
    (
        "duplicate_capability",
        manifest(req_permissions=[{"name": "storage"}, {"name": "storage"}]),
        "listed twice in req_permissions",
    ),
    (
        "consent_without_reason",
        manifest(req_permissions=[{"name": "clipboard:read"}]),
        "'reason' is required",
    ),
    (
        "host_with_scheme",
        manifest(superapp={"allowed_hosts": ["https://api.example.com"]}),
        "superapp.allowed_hosts[0]: 'https://api.example.com' is not a host name (no scheme",
    ),
    (
        "host_with_path",
        manifest(superapp={"allowed_hosts": ["api.example.com/v1"]}),
        "no scheme or path",
    ),
    ("host_with_port", manifest(superapp={"allowed_hosts": ["api.example.com:443"]}), "(no port)"),
    ("host_bare_wildcard", manifest(superapp={"allowed_hosts": ["*"]}), "only wildcard form"),
    (
        "host_inner_wildcard",
        manifest(superapp={"allowed_hosts": ["api.*.example.com"]}),
        "only wildcard form",
    ),
    ("host_tld_wildcard", manifest(superapp={"allowed_hosts": ["*.com"]}), "is not a host name"),
    ("host_ip_literal", manifest(superapp={"allowed_hosts": ["127.0.0.1"]}), "IP addresses"),
    ("host_localhost", manifest(superapp={"allowed_hosts": ["localhost"]}), "'localhost'"),
    (
        "host_upper_case",
        manifest(superapp={"allowed_hosts": ["API.example.com"]}),
        "must be lower case",
    ),
    ("host_unicode", manifest(superapp={"allowed_hosts": ["bücher.example"]}), "punycode"),
    (
        "http_host_not_allowed",
        manifest(
            superapp={"allowed_hosts": ["a.example.com"], "allow_http_hosts": ["b.example.com"]}
        ),
        "allow_http_hosts[0] 'b.example.com' is not listed in allowed_hosts",
    ),
    ("page_not_html", manifest(pages=["main.js"]), "pages[0]: 'main.js' is not an .html file"),
    (
        "page_traversal",
        manifest(pages=["../index.html"]),
        "pages[0]: '../index.html' is not a bundle path",
    ),
    ("page_absolute", manifest(pages=["/index.html"]), "absolute path"),
    ("pages_empty", manifest(pages=[]), "pages:"),
    (
        "icon_svg",
        manifest(icons=[{"src": "icon.svg"}]),
        "icons[0].src: 'icon.svg': icons must be one of",
    ),
    ("icon_bad_sizes", manifest(icons=[{"src": "icon.png", "sizes": "big"}]), "icons[0].sizes:"),
    ("colour_not_hex", manifest(window={"background_color": "red"}), "window.background_color:"),
]


@pytest.mark.parametrize(
    ("doc", "expected"), [(d, e) for _, d, e in BAD], ids=[i for i, _, _ in BAD]
)
def test_invalid_manifest_error_names_the_field(doc: dict[str, Any], expected: str) -> None:
    with pytest.raises(ManifestError) as info:
        _parse(doc)
    message = str(info.value)
    assert message.startswith("manifest.json: ")
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"app_id": "a.b", "app_id": "c.d"}', "key 'app_id' appears twice"),
        (b"[1, 2]", "top level must be a JSON object"),
        (b'{"name": NaN}', "NaN is not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"name": "x",}', "not valid JSON"),
        (b"[" * 100_000, "nested too deeply"),
    ],
    ids=["duplicate_keys", "not_object", "nan", "not_utf8", "trailing_comma", "deep_nesting"],
)
def test_malformed_json_is_refused_with_one_line(raw: bytes, expected: str) -> None:
    with pytest.raises(ManifestError, match=r"manifest\.json") as info:
        parse_manifest(raw)
    assert expected in str(info.value)


def test_several_problems_are_counted() -> None:
    with pytest.raises(
        ManifestError, match=r"manifest.json has 3 problems: app_id: .*; name: .*; version.code: "
    ):
        _parse(manifest(app_id="x", name="", version={"name": "1", "code": "1"}))


def test_load_manifest_dir_checks_referenced_files(tmp_path: Path) -> None:
    files = app_files()
    del files["icon.png"]
    write_tree(tmp_path, files)
    with pytest.raises(
        ManifestError, match=r"icons\[0\]\.src: file 'icon.png' is not in the bundle"
    ):
        load_manifest_dir(tmp_path)


def test_load_manifest_dir_refuses_icon_that_is_not_its_type(tmp_path: Path) -> None:
    files = app_files()
    files["icon.png"] = b"<svg onload='alert(1)'/>"
    write_tree(tmp_path, files)
    with pytest.raises(ManifestError, match=r"icons\[0\]\.src: 'icon.png' is not a PNG image"):
        load_manifest_dir(tmp_path)


def test_load_manifest_dir_refuses_symlinked_page_escaping_folder(tmp_path: Path) -> None:
    outside = tmp_path / "secret.html"
    outside.write_text("<p>host file</p>")
    app = write_tree(tmp_path / "app", {k: v for k, v in app_files().items() if k != "index.html"})
    os.symlink(outside, app / "index.html")
    from superapp.core.errors import BundleError

    with pytest.raises(BundleError, match="symlinks are not allowed"):
        load_manifest_dir(app)


def test_load_manifest_dir_accepts_valid_folder(tmp_path: Path) -> None:
    write_tree(tmp_path, app_files())
    m = load_manifest_dir(tmp_path)
    assert m.app_id == "com.example.notes"
    assert m.icons[0].src == "icon.png"
    assert PNG.startswith(b"\x89PNG")
