"""The static analyser runs inside every install (issue 8 wired into issue 3)."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.audit import AuditLog
from superapp.bundles import TrustStore, install_bundle, pack_bundle
from superapp.core.errors import InstallError, NotInstalledError
from superapp.core.paths import Paths
from superapp.state import registry

APP = "com.attacker.evalapp"


def _files(script: str) -> dict[str, bytes]:
    manifest = {
        "app_id": APP,
        "name": "Eval",
        "version": {"name": "1.0.0", "code": 1},
        "pages": ["index.html"],
    }
    return {
        "manifest.json": json.dumps(manifest).encode(),
        "index.html": b"<!doctype html><script src='app.js'></script>",
        "app.js": script.encode(),
    }


@pytest.fixture
def key(superapp_home: Paths) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    TrustStore(superapp_home).add(key.public_key(), "Test Publisher")
    return key


@pytest.mark.parametrize(
    "script",
    ["const e = eval; e(location.hash.slice(1));", "window['ev' + 'al'](atob('YWxlcnQoMSk='));"],
    ids=["aliased-eval", "computed-eval"],
)
def test_signed_bundle_with_dynamic_code_is_refused_at_install(
    script: str, superapp_home: Paths, key: Ed25519PrivateKey
) -> None:
    with pytest.raises(InstallError, match="refused by the code check"):
        install_bundle(superapp_home, pack_bundle(_files(script), key))
    with pytest.raises(NotInstalledError):
        registry.get_app(superapp_home, APP)
    assert not superapp_home.app_bundle(APP).exists()
    scans = [
        e for e in AuditLog(superapp_home.audit_log).events()
        if e["event"]["action"] == "bundle.scanned"
    ]  # fmt: skip
    assert scans and scans[-1]["event"]["outcome"] == "failure"
    assert scans[-1]["superapp"]["blocking"] >= 1


def test_clean_bundle_installs_and_its_scan_is_audited(
    superapp_home: Paths, key: Ed25519PrivateKey
) -> None:
    install_bundle(superapp_home, pack_bundle(_files("document.title = 'ok';"), key))
    assert registry.get_app(superapp_home, APP).app_id == APP
    scans = [
        e for e in AuditLog(superapp_home.audit_log).events()
        if e["event"]["action"] == "bundle.scanned"
    ]  # fmt: skip
    assert scans[-1]["event"]["outcome"] == "success"
