"""Two installed-looking apps, host secrets and a user's home, and a way to run a confined
process among them (``tests.confine._child``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from superapp.confine import _landlock
from superapp.core.paths import Paths

REPO = Path(__file__).resolve().parents[2]
ATTACKER = "com.attacker.app"
VICTIM = "com.victim.app"
SECRET = b"victim-secret-0xC0FFEE"


def landlock_abi() -> int:
    return _landlock.abi_version()


@dataclass
class World:
    root: Path
    paths: Paths
    user_home: Path

    @classmethod
    def build(cls, root: Path) -> World:
        paths = Paths.from_env({"SUPERAPP_HOME": str(root / "superapp")})
        paths.ensure()
        for app in (ATTACKER, VICTIM):
            for sub in ("bundle", "storage", "files", "webview/Default", "cache"):
                (paths.app_dir(app) / sub).mkdir(parents=True, exist_ok=True)
            (paths.app_bundle(app) / "index.html").write_text("<p>hi</p>")
        victim = paths.app_dir(VICTIM)
        (victim / "storage" / "kv.sqlite3").write_bytes(SECRET)
        (victim / "files" / "diary.txt").write_bytes(SECRET)
        (victim / "webview" / "Default" / "Cookies").write_bytes(SECRET)
        keys = paths.data / "keys"
        (keys / "apps").mkdir(parents=True)
        (keys / "master-1.key").write_bytes(SECRET)
        (keys / "apps" / f"{VICTIM}.key").write_bytes(SECRET)
        paths.registry_db.write_bytes(SECRET)
        paths.trust.mkdir()
        (paths.trust / "publishers.json").write_bytes(SECRET)
        home = root / "user"
        (home / ".ssh").mkdir(parents=True)
        (home / ".ssh" / "id_ed25519").write_bytes(SECRET)
        return cls(root, paths, home)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "XAUTHORITY")}
        env.update(
            SUPERAPP_HOME=str(self.root / "superapp"),
            HOME=str(self.user_home),
            PYTHONPATH=str(REPO),
        )
        return env

    def spec(self, app_id: str = ATTACKER, **extra: Any) -> dict[str, Any]:
        return {"home": str(self.root / "superapp"), "app_id": app_id, **extra}

    def run(self, steps: list[tuple[str, list[Any]]], **extra: Any) -> ConfinedRun:
        """Run ``steps`` in a confined attacker process; returns its report and results."""
        out = subprocess.run(
            [sys.executable, "-m", "tests.confine._child", json.dumps(self.spec(steps=steps, **extra))],
            env=self.env(), cwd=self.root, capture_output=True, text=True, timeout=60,
            check=False,
        )  # fmt: skip
        lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        if not lines or "report" not in lines[0]:
            raise AssertionError(f"the confined child failed: {out.stderr[-2000:]}")
        return ConfinedRun(lines[0]["report"], lines[1:], out.returncode, out.stderr)

    def start_victim(self) -> subprocess.Popen[str]:
        """Another app's process, confined the same way, alive until its stdin closes."""
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.confine._child", json.dumps(self.spec(VICTIM, wait=True))],
            env=self.env(), cwd=self.root, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert proc.stdout is not None
        assert "report" in json.loads(proc.stdout.readline())  # confined before it is attacked
        return proc


@dataclass
class ConfinedRun:
    report: dict[str, dict[str, str]]
    results: list[dict[str, Any]]
    returncode: int
    stderr: str = ""

    def only(self) -> dict[str, Any]:
        assert self.returncode == 0 and len(self.results) == 1, (self.results, self.stderr)
        return self.results[0]
