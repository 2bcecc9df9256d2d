"""What the host hands a runtime in ``bind`` (issue 14 point 1): the derived key only, and only
to apps that store data; the manifest's consent-free grants recorded by the host."""

from __future__ import annotations

import base64
from pathlib import Path

from superapp.core.paths import Paths
from superapp.host._bind import build_bind, engine_storage_of
from superapp.policy import HostPolicy
from superapp.protocol import Bind, decode_message
from superapp.storage import KeyManager
from superapp.testing import make_app

APP = "com.example.bound"


def test_bind_carries_the_derived_key_never_the_master(
    superapp_home: Paths, tmp_path: Path
) -> None:
    folder = make_app(tmp_path, APP, permissions=[("storage", "Notes")])
    bind = build_bind(superapp_home, HostPolicy(), APP, folder)
    key = KeyManager(superapp_home).data_key(APP, create=False)
    assert key is not None and bind.data_key == base64.b64encode(key).decode()
    wire = bind.model_dump_json().encode()
    masters = list((superapp_home.data / "keys").glob("master-*.key"))
    assert masters and all(m.read_bytes() not in wire for m in masters)
    assert all(base64.b64encode(m.read_bytes()) not in wire for m in masters)
    assert isinstance(decode_message(wire + b"\n"), Bind)  # it round-trips the strict decoder
    assert bind.grants["storage"].state == "granted"  # recorded by the host, not the runtime


def test_app_without_storage_gets_no_key(superapp_home: Paths, tmp_path: Path) -> None:
    folder = make_app(tmp_path, APP, permissions=[("clipboard:write", "Copy")])
    bind = build_bind(superapp_home, HostPolicy(), APP, folder)
    assert bind.data_key is None
    assert not KeyManager(superapp_home).has_data_key(APP)


def test_unreadable_manifest_counts_as_persistent(superapp_home: Paths, tmp_path: Path) -> None:
    folder = make_app(tmp_path, APP)
    assert engine_storage_of(superapp_home, APP, folder) == "memory"
    (folder / "manifest.json").write_text("{not json")
    assert engine_storage_of(superapp_home, APP, folder) == "persistent"  # the cold path
