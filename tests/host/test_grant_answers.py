"""The host's ``grants_query`` answers (``superapp.host._grantanswers``): read at every query on
one kept-open registry connection, and never a stale allow — a grant changed by another
process, by the host itself, a registry replaced, corrupted or locked, or a silent host.

Real SQLite files and real processes; no window. The end-to-end form (a running app, the real
CLI) is ``tests/attacks/test_bridge_attacks.py::test_revoked_grant_applies_to_the_very_next_call``.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from superapp import protocol as control
from superapp.core.capabilities import CAPABILITIES
from superapp.core.paths import Paths
from superapp.host._bind import answer_grants
from superapp.host._grantanswers import GrantAnswerLimits, GrantAnswers
from superapp.runtime._hostside import HostGrants, HostRequests
from superapp.state._db import StateLimits
from superapp.state.grants import GrantStore

APP = "com.example.granted"
DECLARED = ("clipboard:write", "notifications", "user:readProfile")


def _states(rows: dict[str, control.GrantRow]) -> dict[str, str]:
    return {cap: row.state for cap, row in rows.items()}


def _refuses_everything(rows: dict[str, control.GrantRow]) -> bool:
    return set(rows) == set(CAPABILITIES) and all(r.state == "revoked" for r in rows.values())


@pytest.fixture
def registry(superapp_home: Paths) -> Path:
    db = superapp_home.registry_db
    with GrantStore(db) as store:
        store.sync_declared(APP, DECLARED)  # clipboard:write, notifications: granted
        store.grant(APP, "user:readProfile", source="consent")
    return db


@pytest.fixture
def answers(registry: Path) -> Iterator[GrantAnswers]:
    made = GrantAnswers(registry)
    yield made
    made.close()


def _revoke_in_another_process(db: Path, capability: str) -> None:
    """Another process commits a revocation (the host is not told), as ``superapp
    revoke-grant`` does; here through the same store, for a registry with no apps row."""
    code = (
        "import sys; from pathlib import Path; from superapp.state.grants import GrantStore\n"
        "with GrantStore(Path(sys.argv[1])) as s: s.revoke(sys.argv[2], sys.argv[3])\n"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(db), APP, capability],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def test_unchanged_registry_is_read_on_the_kept_connection(
    registry: Path, answers: GrantAnswers
) -> None:
    first = answers.rows(APP)
    answers.rows(APP)  # a WAL made by the first read (none before) is opened anew once
    opened = answers.opened
    for _ in range(5):
        assert answers.rows(APP) == first
    assert answers.opened == opened  # the kept connection
    assert _states(first)["user:readProfile"] == "granted"


def test_grant_revoked_by_another_process_applies_to_the_very_next_answer(
    registry: Path, answers: GrantAnswers
) -> None:
    for _ in range(3):  # warm: the kept connection has read the grant's pages
        assert _states(answers.rows(APP))["clipboard:write"] == "granted"
    opened = answers.opened
    _revoke_in_another_process(registry, "clipboard:write")
    assert _states(answers.rows(APP))["clipboard:write"] == "revoked"
    assert _states(answers.rows(APP))["clipboard:write"] == "revoked"
    assert answers.opened == opened  # seen by the kept connection, not by a new one


def test_kept_connection_alone_sees_a_commit_by_another_process(
    registry: Path, answers: GrantAnswers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why there is no answer cache: a read on the kept connection is a new read transaction
    and sees every commit. The identity check is blinded here (every file looks the same),
    so only the connection itself can notice the revocation."""
    monkeypatch.setattr("superapp.host._grantanswers._file_id", lambda path: (1, 1))
    for _ in range(3):
        assert _states(answers.rows(APP))["user:readProfile"] == "granted"
    _revoke_in_another_process(registry, "user:readProfile")
    assert _states(answers.rows(APP))["user:readProfile"] == "revoked"
    assert answers.opened == 1  # one connection all along


@pytest.mark.parametrize("change", ["revoke", "grant"], ids=["revoked", "granted"])
def test_grant_change_committed_between_two_answers_is_seen_by_the_second(
    change: str, registry: Path, answers: GrantAnswers
) -> None:
    """The host's own writes ("allow always" after a prompt, the launcher's toggle) go
    through their own connection: the kept one sees them at the next answer too."""
    with GrantStore(registry) as store:
        store.revoke(APP, "notifications")
    assert _states(answers.rows(APP))["notifications"] == "revoked"
    with GrantStore(registry) as store:  # in this process, committed between two answers
        if change == "grant":
            store.grant(APP, "notifications", source="consent")
        else:
            store.revoke(APP, "user:readProfile")
    states = _states(answers.rows(APP))
    if change == "grant":
        assert states["notifications"] == "granted"
    else:
        assert states["user:readProfile"] == "revoked"


def test_registry_replaced_under_the_host_is_read_anew(
    registry: Path, answers: GrantAnswers, tmp_path: Path
) -> None:
    """A registry moved over the old one (a backup restored): the kept connection would go
    on reading the old file; the identity check opens the new one."""
    restored = tmp_path / "restored.sqlite3"
    with GrantStore(restored) as store:
        store.sync_declared(APP, DECLARED)
        store.revoke(APP, "clipboard:write")
    _checkpoint(restored)  # one file, no WAL beside it, as a backup is
    assert _states(answers.rows(APP))["clipboard:write"] == "granted"
    os.replace(restored, registry)
    Path(f"{restored}-wal").unlink(missing_ok=True)
    Path(f"{restored}-shm").unlink(missing_ok=True)
    assert _states(answers.rows(APP))["clipboard:write"] == "revoked"


def _checkpoint(db: Path) -> None:
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _overwrite_in_place(db: Path) -> None:
    """Garbage over every byte of the file, same size, same inode (not through SQLite)."""
    size = db.stat().st_size
    with db.open("r+b") as f:
        f.write(b"\xa5" * size)


def test_corrupted_registry_refuses_every_capability_never_a_stale_allow(
    registry: Path, answers: GrantAnswers
) -> None:
    _checkpoint(registry)  # every page in the main file, none in the WAL
    assert _states(answers.rows(APP))["clipboard:write"] == "granted"
    assert _states(answers.rows(APP))["clipboard:write"] == "granted"
    opened = answers.opened
    assert _states(answers.rows(APP))["clipboard:write"] == "granted"
    assert answers.opened == opened  # the kept connection, its pages cached
    _overwrite_in_place(registry)
    assert _refuses_everything(answers.rows(APP))
    assert _refuses_everything(answers.rows(APP))  # and stays refused, not answered from cache


def test_corruption_that_leaves_size_and_mtime_unchanged_is_not_missed(
    registry: Path, answers: GrantAnswers
) -> None:
    """Garbage written in place, same size, and the file's mtime put back (as a coarse
    clock's same tick would leave it): nothing in a stat changed, and the kept connection has
    read these pages before. It reads them again from the file (its cache is dropped before
    every read)."""
    _checkpoint(registry)
    assert _states(answers.rows(APP))["clipboard:write"] == "granted"
    assert _states(answers.rows(APP))["clipboard:write"] == "granted"
    opened = answers.opened
    stat = registry.stat()
    _overwrite_in_place(registry)
    os.utime(registry, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _refuses_everything(answers.rows(APP))
    assert answers.opened == opened  # the kept connection saw it


def test_locked_registry_refuses_every_capability(registry: Path) -> None:
    """A writer in exclusive locking mode keeps every other connection out (it cannot take
    that lock while the host's connection is open, so it holds it when the host opens)."""
    answers = GrantAnswers(registry, GrantAnswerLimits(state=StateLimits(busy_timeout_s=0.2)))
    locker = sqlite3.connect(registry, isolation_level=None)
    try:
        locker.execute("PRAGMA locking_mode = EXCLUSIVE")
        locker.execute("BEGIN EXCLUSIVE")
        locker.execute("UPDATE grants SET state = 'granted'")  # uncommitted: never seen
        assert _refuses_everything(answers.rows(APP))
        locker.execute("ROLLBACK")
        locker.close()  # exclusive mode holds the lock until the connection ends
        assert _states(answers.rows(APP))["clipboard:write"] == "granted"
    finally:
        locker.close()
        answers.close()


class _Sent:
    """A channel that keeps what is sent on it."""

    def __init__(self) -> None:
        self.sent: list[object] = []

    def send(self, msg: object) -> None:
        self.sent.append(msg)


def test_grants_query_is_answered_under_the_channels_app(
    registry: Path, answers: GrantAnswers
) -> None:
    from types import SimpleNamespace

    channel = _Sent()
    app = SimpleNamespace(app_id=APP, channel=channel)
    answer_grants(answers, app, control.GrantsQuery(request_id=7))  # type: ignore[arg-type]
    (reply,) = channel.sent
    assert isinstance(reply, control.GrantsReply) and reply.request_id == 7
    assert _states(reply.grants)["user:readProfile"] == "granted"


def test_silent_host_refuses_even_a_consent_free_capability() -> None:
    """No answer (a wedged host): every capability is refused, including one that needs no
    consent — under an empty answer the grant rule would let it through."""
    ours, theirs = socket.socketpair()
    channel = control.Channel(ours)
    try:
        grants = HostGrants(HostRequests(channel, timeout_s=0.05), APP)
        assert grants.effective(APP, "clipboard:write", DECLARED) is False
        assert grants.states(APP)["clipboard:write"] == "revoked"
        grant = grants.get(APP, "notifications")
        assert grant is not None and grant.state == "revoked"
    finally:
        channel.close()
        theirs.close()
