"""The layer contracts in pyproject.toml ([tool.importlinter]) hold, and the check can fail.

``lint-imports`` runs in packaging/setup.sh's test mode. A check that cannot fail proves
nothing, so each contract is also run against a copy of the tree with one deliberate
violation added, and must be reported broken there, by name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("superapp", "bridge", "tests", "bench")

pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS.exists(), reason="import-linter is not installed (pip install -e .[test])"
)


def _contract_names() -> dict[str, str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c["name"] for c in config["tool"]["importlinter"]["contracts"]}


def _lint(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The tree under test comes first on the path, ahead of the installed (editable) project.
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_real_tree_keeps_every_contract() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in _contract_names().values():
        assert f"{name} KEPT" in result.stdout


#: (contract id, module added to the copy, its source): one violation per contract.
VIOLATIONS = [
    ("engine-only-in-runtime", "superapp/_layer_probe.py", "import PySide6.QtCore\n"),
    ("engine-only-in-runtime", "bridge/_layer_probe.py", "import webview\n"),
    # The runtime's Qt-free modules must stay so: only runtime.engine may import the engine,
    # even lazily (import-linter sees imports inside functions too).
    (
        "engine-only-in-runtime",
        "superapp/runtime/_layer_probe.py",
        "def later() -> None:\n    import PySide6.QtCore\n",
    ),
    ("engine-only-in-runtime", "superapp/runtime/_layer_probe2.py", "import webview\n"),
    ("bridge-not-runtime", "bridge/_layer_probe.py", "import superapp.runtime\n"),
    ("services-no-gui", "superapp/storage/_layer_probe.py", "import superapp.launcher\n"),
    ("services-no-gui", "superapp/net/_layer_probe.py", "import qtpy\n"),
    ("host-not-runtime", "superapp/host/_layer_probe.py", "import superapp.runtime._wiring\n"),
    ("host-not-runtime", "superapp/host/_layer_probe.py", "import PySide6.QtCore\n"),
    ("protocol-is-leaf", "superapp/protocol/_layer_probe.py", "import superapp.host\n"),
    ("no-tests-or-bench", "superapp/_layer_probe.py", "from tests.helpers import fixtures\n"),
    ("no-tests-or-bench", "bridge/_layer_probe.py", "import bench._common\n"),
    ("core-is-the-bottom", "superapp/core/_layer_probe.py", "import superapp.audit\n"),
    ("core-is-the-bottom", "superapp/core/_layer_probe2.py", "from bridge import errors\n"),
    ("state-on-core", "superapp/state/_layer_probe.py", "import superapp.policy\n"),
    ("state-on-core", "superapp/state/_layer_probe2.py", "import PySide6.QtCore\n"),
    ("bridge-through-ports", "bridge/_layer_probe.py", "import superapp.policy\n"),
    (
        "bridge-through-ports",
        "bridge/capabilities/_layer_probe.py",
        "from superapp.audit import AuditLog\n",
    ),
]


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's packages and pyproject.toml, copied (Python files only)."""
    root = tmp_path_factory.mktemp("layers")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            root / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules"),
        )
    shutil.copy2(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.parametrize(
    ("contract", "module", "source"),
    VIOLATIONS,
    ids=[f"{c}:{m}" for c, m, _ in VIOLATIONS],
)
def test_a_deliberate_violation_breaks_the_contract(
    tree_copy: Path, contract: str, module: str, source: str
) -> None:
    probe = tree_copy / module
    probe.write_text(source, encoding="utf-8")
    try:
        result = _lint(tree_copy, "--contract", contract)
    finally:
        probe.unlink()
    name = _contract_names()[contract]
    assert result.returncode != 0, result.stdout + result.stderr
    assert f"{name} BROKEN" in result.stdout
    assert module.removesuffix(".py").replace("/", ".") in result.stdout
