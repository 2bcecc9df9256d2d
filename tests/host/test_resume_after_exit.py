"""A resume that comes while the discard's exit is still being handled (``discarded`` already
shows: the launcher's Resume, ``superapp resume``) waits until the ended runtime's storage is
home from its slot (``_slotmove``); launched at once, the new runtime got empty folders moved
in while the app's data was still in the old slot. The windowless fake runtime; the seam is
the supervisor's own ``move_back``, held until the resume has either launched or is waiting."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.audit import AuditLog
from superapp.bundles import TrustStore, install_bundle, pack_bundle
from superapp.core.paths import Paths
from superapp.host import RunningApp, _lifecycle
from superapp.host._slotmove import record_of
from superapp.testing import wait_until
from tests.host.conftest import MakeSupervisor
from tests.host.test_discard_resume import APP, READY


def _install(home: Paths) -> None:
    """The notes app with ``storage``: it has a data key, so its folders move into slots."""
    publisher = Ed25519PrivateKey.generate()
    TrustStore(home).add(publisher.public_key(), "Example Co")
    manifest = {"app_id": APP, "name": "Notes", "version": {"name": "1.0", "code": 1},
                "pages": ["index.html"], "req_permissions": [{"name": "storage"}]}  # fmt: skip
    files = {"manifest.json": json.dumps(manifest).encode(), "index.html": b"<!doctype html>"}
    install_bundle(home, pack_bundle(files, publisher))


def test_resume_during_the_discards_exit_waits_for_the_storage_to_be_home(
    superapp_home: Paths, make_supervisor: MakeSupervisor, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install(superapp_home)
    supervisor = make_supervisor(READY)
    first = supervisor.launch(APP)
    assert first.loaded.wait(60)
    assert first.slot is not None and record_of(first.slot).exists()  # its files moved in
    (first.slot / "app" / "files" / "marker.txt").write_text("the app's own file", "utf-8")
    resumed: list[RunningApp] = []
    from superapp.host._slotmove import move_back as real

    def held_move_back(paths: Paths, app_id: str, slot: Path, audit: AuditLog) -> bool:
        if slot == first.slot:  # the ended runtime's exit, not yet handled: resume now
            threading.Thread(
                target=lambda: resumed.append(supervisor.discarded.resume(APP, "test")),
                daemon=True,
            ).start()
            wait_until(
                lambda: (
                    supervisor.discarded.waiting_for_exit.is_set()
                    or supervisor.get(APP) is not None
                ),  # launched already (the old app is gone)
                what="the resume waiting for the exit, or launched",
            )
        return real(paths, app_id, slot, audit)

    monkeypatch.setattr(_lifecycle, "move_back", held_move_back)
    supervisor.background.hide(APP, suspend=True)
    supervisor.background.discard(APP)
    wait_until(lambda: resumed, what="resumed")
    [second] = resumed
    assert second.pid != first.pid and second.slot is not None
    # The app's own files went into the new runtime's slot, not an empty folder.
    marker = second.slot / "app" / "files" / "marker.txt"
    assert marker.read_text("utf-8") == "the app's own file"
