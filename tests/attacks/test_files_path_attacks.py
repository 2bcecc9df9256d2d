"""Path attacks on files.*: every hostile path is refused with INVALID_PARAMS, audited with
the rule it broke, and nothing is written, read or deleted outside the app's files folder.

The table runs through the real dispatcher (so the page-visible wire reply is checked) with
a table holding the files.* entries of bridge.capabilities.files.
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType

import pytest

from bridge.capabilities import files as files_api
from bridge.context import CallContext
from bridge.dispatcher import Dispatcher
from bridge.errors import InternalError, InvalidParamsError
from bridge.table import ApiSpec
from superapp.audit import AuditLog
from superapp.core.consent import FixedAnswerBroker
from superapp.core.paths import Paths
from superapp.state.grants import GrantStore

APP = "com.example.victim"

ATTACKS: list[tuple[str, str, str]] = [
    ("dotdot", "../x", "segment"),
    ("absolute-etc-passwd", "/etc/passwd", "absolute"),
    ("nested-dotdot", "a/../../x", "segment"),
    ("dotdot-deep", "a/b/../../../../etc/passwd", "segment"),
    ("trailing-dotdot", "a/..", "segment"),
    ("dot-segment", "./a", "segment"),
    ("empty-segment", "a//b", "segment"),
    ("trailing-slash", "a/", "segment"),
    ("empty", "", "empty"),
    ("device-CON", "CON", "name"),
    ("device-nul-ext", "nul.txt", "name"),
    ("device-COM1-in-folder", "docs/com1", "name"),
    ("device-LPT-superscript", "LPT¹", "name"),
    ("device-CONIN$", "CONIN$", "name"),
    ("unc-share", "\\\\server\\share", "backslash"),
    ("backslash-dotdot", "..\\x", "backslash"),
    ("long-4096", "a" * 4096, "length"),
    ("long-segment-256", "a" * 256, "name"),
    ("too-deep", "/".join(["d"] * 17), "depth"),
    ("nul-byte", "a\x00b", "nul"),
    ("nul-then-dotdot", "x\x00/../../etc/passwd", "nul"),
    ("newline", "a\nb", "control"),
    ("c1-control", "a\x85b", "control"),
    ("drive-letter", "C:/Windows/win.ini", "drive"),
    ("drive-relative", "C:x", "drive"),
    ("ntfs-stream", "a.txt:stream", "drive"),
    ("home-tilde", "~/x", "absolute"),
    ("trailing-dot", "secret.", "name"),
    ("trailing-space", "secret ", "name"),
    ("windows-wildcard", "a*b", "name"),
    ("quote", 'a"b', "name"),
    ("nfd-unicode", unicodedata.normalize("NFD", "café"), "unicode"),
    ("temp-prefix", ".~superapp-0123", "name"),
]


@pytest.fixture
def home(tmp_path: Path) -> Paths:
    root = tmp_path / "home"
    paths = Paths(root / "data", root / "state", root / "config", root / "cache")
    paths.ensure()
    return paths


@pytest.fixture
def ctx(home: Paths) -> Iterator[CallContext]:
    c = CallContext(
        app_id=APP, paths=home, audit=AuditLog(home.audit_log), declared=frozenset({"files"})
    )
    yield c
    c.close()


@pytest.fixture
def dispatcher(ctx: CallContext, home: Paths) -> Iterator[Dispatcher]:
    table = MappingProxyType(
        {
            name: ApiSpec("files", model, handler, "io")
            for name, (model, handler) in files_api.APIS.items()
        }
    )
    d = Dispatcher(
        ctx,
        grants=GrantStore(home.registry_db),
        consent=FixedAnswerBroker.deny(),
        table=table,
        owns_grants=True,
    )
    yield d
    d.close()


def _snapshot(root: Path) -> dict[str, bytes | str]:
    """Every folder and file under the host data folder (the grants database aside)."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            if p.name.startswith("registry.sqlite3"):
                continue
            out[str(p)] = p.read_bytes() if p.is_file() and not p.is_symlink() else "dir"
    return out


def _call(d: Dispatcher, api: str, params: dict[str, object]) -> dict[str, object]:
    reply: dict[str, object] = json.loads(
        d.dispatch(json.dumps({"id": 1, "api": api, "params": params}))
    )
    return reply


@pytest.mark.parametrize(
    ("path", "rule"), [(p, r) for _, p, r in ATTACKS], ids=[i for i, _, _ in ATTACKS]
)
@pytest.mark.parametrize("api", ["files.write", "files.read", "files.delete", "files.list"])
def test_hostile_path_is_refused_with_invalid_params(
    dispatcher: Dispatcher, home: Paths, api: str, path: str, rule: str
) -> None:
    if api == "files.list" and rule == "empty":
        pytest.skip("'' lists the top folder: that is the one valid empty path")
    # a file of the app's own, and a file outside its folder that attacks aim at
    assert _call(dispatcher, "files.write", {"path": "keep.txt", "data": "mine"})["ok"]
    outside = home.data / "apps" / "x"
    before = _snapshot(home.data)

    params: dict[str, object] = {"path": path}
    if api == "files.write":
        params["data"] = "pwned"
    reply = _call(dispatcher, api, params)

    assert reply["ok"] is False
    error = reply["error"]
    assert isinstance(error, dict)
    assert error["code"] == "INVALID_PARAMS"
    assert str(home.data) not in error["message"] and "/tmp" not in error["message"]
    events = [
        e for e in AuditLog(home.audit_log).events() if e["event"]["action"] == "files.path_refused"
    ]
    assert events[-1]["superapp"]["rule"] == rule
    assert events[-1]["superapp"]["api"] == api
    assert _snapshot(home.data) == before
    assert not outside.exists() and not Path("/etc/passwd").read_text().startswith("pwned")
    assert _call(dispatcher, "files.read", {"path": "keep.txt"})["result"]["data"] == "mine"  # type: ignore[index]


def _plant_outside(home: Paths) -> Path:
    outside = home.state.parent / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("host secret")
    return outside


def test_symlinked_folder_planted_in_files_is_not_followed(ctx: CallContext, home: Paths) -> None:
    files_api.write(ctx, files_api.FilesWrite(path="ok.txt", data="x"))
    outside = _plant_outside(home)
    os.symlink(outside, home.app_files(APP) / "link")
    for call in (
        lambda: files_api.write(ctx, files_api.FilesWrite(path="link/new.txt", data="pwned")),
        lambda: files_api.write(ctx, files_api.FilesWrite(path="link/secret.txt", data="pwned")),
        lambda: files_api.read(ctx, files_api.FilesRead(path="link/secret.txt")),
        lambda: files_api.delete(ctx, files_api.FilesDelete(path="link/secret.txt")),
    ):
        with pytest.raises(InvalidParamsError, match="link"):
            call()
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_text() == "host secret"
    rules = [
        e["superapp"]["rule"]
        for e in ctx.audit.events()
        if e["event"]["action"] == "files.path_refused"
    ]
    assert rules == ["symlink"] * 4


def test_symlinked_file_planted_in_files_is_not_followed(ctx: CallContext, home: Paths) -> None:
    outside = _plant_outside(home)
    files_api.write(ctx, files_api.FilesWrite(path="ok.txt", data="x"))
    os.symlink(outside / "secret.txt", home.app_files(APP) / "evil.txt")
    with pytest.raises(InvalidParamsError):
        files_api.read(ctx, files_api.FilesRead(path="evil.txt"))
    with pytest.raises(InvalidParamsError):
        files_api.write(ctx, files_api.FilesWrite(path="evil.txt", data="pwned"))
    with pytest.raises(InvalidParamsError):
        files_api.delete(ctx, files_api.FilesDelete(path="evil.txt"))
    assert (outside / "secret.txt").read_text() == "host secret"
    assert (home.app_files(APP) / "evil.txt").is_symlink()


def test_files_folder_replaced_by_a_symlink_is_refused(ctx: CallContext, home: Paths) -> None:
    files_api.write(ctx, files_api.FilesWrite(path="ok.txt", data="x"))
    outside = _plant_outside(home)
    root = home.app_files(APP)
    (root / "ok.txt").unlink()
    root.rmdir()
    os.symlink(outside, root)
    with pytest.raises(InvalidParamsError):
        files_api.read(ctx, files_api.FilesRead(path="secret.txt"))
    with pytest.raises(InvalidParamsError):
        files_api.write(ctx, files_api.FilesWrite(path="new.txt", data="pwned"))
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def test_hard_link_to_a_host_file_reads_as_unreadable_not_plaintext(
    ctx: CallContext, home: Paths
) -> None:
    outside = _plant_outside(home)
    files_api.write(ctx, files_api.FilesWrite(path="ok.txt", data="x"))
    os.link(outside / "secret.txt", home.app_files(APP) / "hard.txt")
    with pytest.raises(InternalError, match="unreadable") as info:
        files_api.read(ctx, files_api.FilesRead(path="hard.txt"))
    assert "host secret" not in str(info.value)


def test_path_refusal_flood_cannot_flood_the_audit_log(ctx: CallContext) -> None:
    import time

    start = time.monotonic()
    for i in range(300):
        with pytest.raises(InvalidParamsError):
            files_api.write(ctx, files_api.FilesWrite(path=f"../flood{i}", data="x"))
    elapsed = time.monotonic() - start
    refused = [e for e in ctx.audit.events() if e["event"]["action"] == "files.path_refused"]
    assert 20 <= len(refused) <= 20 + int(elapsed) + 1  # burst 20, then 1 per second
    assert not (ctx.paths.data / "apps" / "flood0").exists()
