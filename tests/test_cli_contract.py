"""The CLI's contract: help, one-line errors, exit codes (no window needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from superapp.core.paths import Paths


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "superapp", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_the_commands() -> None:
    out = _run("--help")
    assert out.returncode == 0
    for command in ("launcher", "run", "stop", "list", "dev"):
        assert command in out.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("frobnicate",),
        ("run",),
        ("run", "NOT AN ID"),
        ("run", "com.example.app", "--remote-debugging-port", "80"),
        ("run", "com.example.app", "--remote-debugging-port", "x"),
        ("dev",),
    ],
    ids=[
        "unknown-command",
        "missing-app-id",
        "bad-app-id",
        "privileged-port",
        "non-numeric-port",
        "dev-no-folder",
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(
    args: tuple[str, ...], superapp_home: Paths
) -> None:
    out = _run(*args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "error:" in lines[0]
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("command", ["run", "stop"])
def test_unknown_app_id_is_a_one_line_error(command: str, superapp_home: Paths) -> None:
    out = _run(command, "com.example.missing")
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "com.example.missing" in lines[0], out.stderr


def test_dev_refuses_a_folder_without_a_manifest(tmp_path: object, superapp_home: Paths) -> None:
    out = _run("dev", str(tmp_path))
    assert out.returncode != 0
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "manifest" in out.stderr


def test_list_json_is_empty_on_a_fresh_home(superapp_home: Paths) -> None:
    out = _run("list", "--json")
    assert out.returncode == 0
    assert out.stdout.strip() == "[]"


def test_command_table_names_each_module_s_commands() -> None:
    """``superapp run`` builds only the ``_apps`` parsers (issue 16: its runtime starts after
    the CLI's imports); the table that says which module owns a command must be the truth."""
    import argparse

    from superapp.cli import COMMAND_MODULES, _command_modules

    seen: dict[str, str] = {}
    for module in _command_modules():
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        module.register(sub)
        seen.update(dict.fromkeys(sub.choices, module.__name__.rsplit(".", 1)[1]))
    assert seen == COMMAND_MODULES


def test_run_imports_only_what_running_needs() -> None:
    """Parsing ``superapp run APP`` imports no other command family (bundles, fleet, TUF)."""
    code = (
        "import sys; from superapp.cli import build_parser; "
        "build_parser('run').parse_args(['run', 'com.example.app']); "
        "print(sorted(m for m in ('superapp.fleet', 'superapp.bundles', 'superapp.analysis', "
        "'tuf') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
