"""``superapp completion``: scripts generated from the parser, valid for their shell."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest


def _script(shell: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "superapp", "completion", shell],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_bash_script_is_valid_bash_and_completes_commands() -> None:
    script = _script("bash")
    for command in ("install", "validate", "new", "completion", "scan", "trust"):
        assert command in script
    assert "--allow-downgrade" in script and "--template" in script
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    # Load it and ask for completions of "superapp ins", as bash would on TAB.
    probe = (
        script + '\nCOMP_WORDS=(superapp ins); COMP_CWORD=1; COMP_LINE="superapp ins"; '
        'COMP_POINT=${#COMP_LINE}; _shtab_superapp; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    out = subprocess.run([bash, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "install" in out.stdout.split()


def test_zsh_script_names_the_commands() -> None:
    script = _script("zsh")
    assert script.startswith("#compdef superapp")
    assert "validate" in script


def test_unknown_shell_is_refused_with_a_suggestion() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "superapp", "completion", "bsh"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 2
    assert "did you mean 'bash'?" in out.stderr
