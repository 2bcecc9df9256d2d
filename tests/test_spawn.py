"""How the host starts a runtime: ``python -m`` from an install, the marker from a frozen build."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest

import superapp.runtime._main as runtime_main
from superapp import __version__
from superapp._spawn import RUNTIME_MARKER, frozen_main, runtime_command


def test_an_install_starts_the_runtime_module_with_this_interpreter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert runtime_command() == [sys.executable, "-m", "superapp.runtime"]


def test_a_frozen_build_starts_its_own_executable_with_the_marker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert runtime_command() == [sys.executable, RUNTIME_MARKER]


def test_the_frozen_entry_sends_the_marker_to_the_runtime_and_the_rest_to_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[list[str] | None] = []

    def fake_runtime(argv: list[str] | None = None) -> int:
        seen.append(argv)
        return 7

    monkeypatch.setattr(runtime_main, "main", fake_runtime)
    assert frozen_main([RUNTIME_MARKER, "--app-id", "dev.superapp.notes"]) == 7
    assert seen == [["--app-id", "dev.superapp.notes"]]

    with pytest.raises(SystemExit) as exit_info:
        frozen_main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"superapp {__version__}"
    assert seen == [["--app-id", "dev.superapp.notes"]]  # the CLI never reached the runtime


def test_the_marker_is_not_a_cli_command(capsys: pytest.CaptureFixture[str]) -> None:
    # Only the frozen entry point knows the marker; the CLI refuses it like any unknown option.
    from superapp.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main([RUNTIME_MARKER])
    assert exit_info.value.code == 2
    assert RUNTIME_MARKER in capsys.readouterr().err


def test_installed_bundle_name_is_the_bundles_own() -> None:
    from superapp._spawn import INSTALLED_BUNDLE_NAME
    from superapp.bundles import BUNDLE_FILE

    assert INSTALLED_BUNDLE_NAME == BUNDLE_FILE


@pytest.mark.parametrize(
    ("superapp_obj", "want"),
    [
        ({}, ((), "memory")),
        ({"engine_storage": "persistent"}, ((), "persistent")),
        ({"allowed_hosts": ["example.com"]}, ((53, 443), "memory")),
        (
            {"allow_http_hosts": ["example.com"], "engine_storage": "persistent"},
            ((53, 80, 443), "persistent"),
        ),
        ({"allowed_hosts": ["example.com:8443"]}, (None, "memory")),  # a port: the exact plan
        ({"allowed_hosts": 5}, (None, "memory")),  # unreadable allowlist: the app's own plan
        (["not", "an", "object"], (None, "persistent")),
    ],
    ids=["empty", "persistent", "https", "http", "explicit-port", "bad-allowlist", "not-object"],
)
def test_run_peeks_the_manifest_once_for_ports_and_engine_storage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, superapp_obj: object, want: object
) -> None:
    import superapp._spawn as spawn

    monkeypatch.delenv("SUPERAPP_TEST_HOSTS", raising=False)
    monkeypatch.delenv("SUPERAPP_TEST_DNS", raising=False)
    with zipfile.ZipFile(tmp_path / spawn.INSTALLED_BUNDLE_NAME, "w") as z:
        z.writestr("manifest.json", json.dumps({"superapp": superapp_obj}))
    peeks: list[Path] = []
    real_peek = spawn.peek_superapp

    def counting_peek(bundle: Path) -> object:
        peeks.append(bundle)
        return real_peek(bundle)

    monkeypatch.setattr(spawn, "peek_superapp", counting_peek)
    assert spawn.early_start_of(tmp_path) == want
    assert len(peeks) == 1
    # The same answer as the one-field peek the host's bind uses.
    assert spawn.engine_storage_of(tmp_path, None) == want[1]  # type: ignore[index]


def test_an_unreadable_bundle_starts_cold_with_its_profile(tmp_path: Path) -> None:
    from superapp._spawn import early_start_of

    assert early_start_of(tmp_path) == (None, "persistent")  # no bundle at all
