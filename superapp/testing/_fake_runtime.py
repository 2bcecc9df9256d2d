"""A windowless runtime that speaks the real control protocol, for host tests without Qt.

The supervisor starts it exactly as it starts the real runtime (its own process and process
group, the control ``socketpair``'s end inherited as ``--control-fd``), so the host code under
test is the real one end to end: spawn, the broker, consent and share, the monitor loop, the
kill switch, exit and crash reporting. Only the engine is missing. What the fake does is a
script of steps, given on its command line::

    Supervisor(paths, audit, runtime_argv=fake_runtime_argv([{"hello": {}}, {"loaded": {}}]))

Steps (each a one-key object):

``hello``            ``{"protocol": N}`` overrides the protocol version it announces
``loaded``           the page is showing
``storage_writes``   ``{"count": N}``: N real writes through the app's real storage handle
                     (``open_store``), then the metrics message with its real counter
``metrics``          ``{"counters": {...}}``: a metrics message as given
``audit``            ``{"action": ..., "reason": ...}``
``consent``          ``{"capability": ..., "reason": ...}``: asks, waits for the host's answer,
                     and reports it back as the audit event ``fake.consent_answered``
``share``            ``{"to": ..., "data": ...}``: likewise, ``fake.share_answered``
``raw``              ``{"line": "..."}``: bytes as given (a protocol violation)
``exit``             ``{"code": N}``: exit now with that status (a crash when not 0)
``signal``           ``{"name": "SIGSEGV"}``: kill itself with that signal
``burn``             ``{"processes": N}``: N child processes that each keep a core busy
                     (a CPU-burning page, for the throttle and suspend tests)

It answers the host's ``lifecycle`` commands as the real runtime does, with a
``window_state`` (hide → hidden, freeze → frozen, discard → discarded, resume → shown). A
``freeze`` that asks for ``page_out`` is answered as the real runtime does too: the fake pages
out its own process (``superapp.core.pageout.page_out_self``) and reports it, unless the
options say ``{"claim": {...}}`` (that ``compaction`` object instead, as a lying runtime
would send it), ``{"claim": null}`` (no report), or ``{"claim_raw": "..."}`` (that text as the
whole answer to ``freeze``: a frame the protocol refuses).

After the last step it waits: ``terminate`` ends it with status 0 (unless the script's
options say ``{"ignore_terminate": true}``, to test the SIGTERM/SIGKILL escalation), and so
does the host closing the channel. ``{"refuse_freeze": true}`` answers ``freeze`` and
``discard`` with an active page, as the engine does while DevTools are attached.
``lifecycle save`` (a process-level discard) is answered with ``page_saved``: the URL and state
JSON text of ``{"saved": {"url": ..., "state": ...}}`` (the entry page and nothing by default),
or not at all with ``{"ignore_save": true}``. A runtime bound with ``restore`` audits
``fake.restore`` with the location and state it got, then runs ``{"restored_steps": [...]}``
instead of the script's steps if the options have them (a resume whose runtime dies or hangs).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from superapp.core.pageout import page_out_self
from superapp.protocol import (
    PROTOCOL_VERSION,
    Audit,
    Bind,
    Channel,
    ChannelClosedError,
    ConsentReply,
    ConsentRequest,
    Hello,
    Lifecycle,
    Loaded,
    Metrics,
    PageSaved,
    SelfCompaction,
    ShareAnswer,
    ShareRequest,
    Terminate,
    WindowState,
)

__all__ = ["fake_runtime_argv", "main"]


def fake_runtime_argv(steps: list[dict[str, Any]], **options: Any) -> list[str]:
    """The command line a ``Supervisor`` prepends to its per-app arguments (``runtime_argv``)."""
    script = json.dumps({"steps": steps, "options": options})
    return [sys.executable, "-m", "superapp.testing._fake_runtime", "--script", script]


class _FakeRuntime:
    def __init__(self, channel: Channel, app_id: str, options: dict[str, Any]) -> None:
        self.channel = channel
        self.app_id = app_id
        self.options = options
        self._answers: dict[int, tuple[threading.Event, list[Any]]] = {}
        self._ids = 0
        self._store: Any = None
        self.bind: Bind | None = None
        self.slot = Path()
        self.terminated = threading.Event()

    # --- host → fake ---------------------------------------------------------------------
    def read(self) -> None:
        while True:
            try:
                msg = self.channel.recv()
            except ChannelClosedError:
                os._exit(0)  # the host went away: so does a runtime
            if isinstance(msg, Terminate):
                # What the host asked, where a test can see it (then the exit).
                self.channel.send(
                    Audit(
                        action="fake.terminate", reason=msg.reason, fields={"revoked": msg.revoked}
                    )
                )
                if not self.options.get("ignore_terminate"):
                    os._exit(0)
            if isinstance(msg, Lifecycle) and msg.command == "save":
                # What a page handed over, as the script's options say (a hostile runtime
                # may send anything here; the host judges it).
                saved = self.options.get("saved", {})
                url = saved.get("url", f"app://{self.app_id}/index.html")
                if not self.options.get("ignore_save"):
                    self.channel.send(PageSaved(url=url, state=saved.get("state")))
            elif isinstance(msg, Lifecycle):
                visible = msg.command == "resume"
                page = {"freeze": "frozen", "discard": "discarded"}.get(msg.command, "active")
                if self.options.get("refuse_freeze"):  # as the engine with DevTools attached
                    page = "active"
                if msg.command == "freeze" and "claim_raw" in self.options:
                    self.channel._sock.sendall(self.options["claim_raw"].encode("utf-8"))
                    continue
                self.channel.send(
                    WindowState(visible=visible, page=page, compaction=self._claim(msg, page))
                )
            if isinstance(msg, ConsentReply | ShareAnswer):
                waiting = self._answers.get(msg.request_id)
                if waiting is not None:
                    waiting[1].append(msg)
                    waiting[0].set()

    def _claim(self, msg: Lifecycle, page: str) -> SelfCompaction | None:
        if msg.command != "freeze" or msg.page_out == "none" or page != "frozen":
            return None
        if "claim" in self.options:
            claim = self.options["claim"]
            return None if claim is None else SelfCompaction.model_validate(claim)
        done = page_out_self(msg.page_out)
        return SelfCompaction(
            mode=msg.page_out, advised_bytes=done.advised_bytes, ranges=done.ranges,
            refused=done.refused,
        )  # fmt: skip

    def _ask(self, make: Any) -> Any:
        self._ids += 1
        event, box = threading.Event(), list[Any]()
        self._answers[self._ids] = (event, box)
        self.channel.send(make(self._ids))
        event.wait(60)
        return box[0] if box else None

    # --- the script ------------------------------------------------------------------------
    def step(self, kind: str, arg: dict[str, Any]) -> None:
        if kind == "hello":
            protocol = int(arg.get("protocol", PROTOCOL_VERSION))
            self.channel.send(Hello(protocol=protocol, pid=os.getpid(), sandbox=True))
        elif kind == "loaded":
            self.channel.send(Loaded(url=f"app://{self.app_id}/index.html", elapsed_ms=1.0))
        elif kind == "storage_writes":
            self._write(int(arg["count"]))
        elif kind == "metrics":
            self.channel.send(Metrics(counters=arg["counters"]))
        elif kind == "audit":
            self.channel.send(Audit(action=arg["action"], reason=arg.get("reason", "")))
        elif kind == "consent":
            reply = self._ask(
                lambda rid: ConsentRequest(
                    request_id=rid, capability=arg["capability"], reason=arg.get("reason", "")
                )
            )
            answer = reply.answer.value if reply is not None else "none"
            self.channel.send(Audit(action="fake.consent_answered", fields={"answer": answer}))
        elif kind == "share":
            reply = self._ask(
                lambda rid: ShareRequest(request_id=rid, to=arg["to"], data=arg.get("data", "{}"))
            )
            outcome = reply.outcome if reply is not None else "none"
            self.channel.send(
                Audit(action="fake.share_answered", fields={"share_outcome": outcome})
            )
        elif kind == "raw":
            self.channel._sock.sendall(arg["line"].encode("utf-8"))
        elif kind == "exit":
            os._exit(int(arg["code"]))
        elif kind == "burn":
            import subprocess

            for _ in range(int(arg.get("processes", 1))):
                subprocess.Popen([sys.executable, "-c", "while True: pass"])
        elif kind == "signal":
            os.kill(os.getpid(), signal.Signals[arg["name"]])
        else:
            raise ValueError(f"unknown step {kind!r}")

    def _write(self, count: int) -> None:
        """Real writes through the app's real storage handle, and the counter the real
        runtime sends (``superapp.runtime._metrics.runtime_counters``); the key and limits
        are the ones ``bind`` carried, as in the real runtime."""
        import base64

        from superapp.core.paths import Paths
        from superapp.policy import HostPolicy
        from superapp.runtime._confine import slot_paths
        from superapp.runtime._metrics import runtime_counters
        from superapp.storage import StorageLimits, open_store

        assert self.bind is not None
        # Where the host put its storage: moved into the slot on the generic path.
        paths = slot_paths(Paths.from_env(), self.app_id, self.bind.app_dir, self.slot)
        if self._store is None:
            assert self.bind is not None and self.bind.data_key is not None
            policy = HostPolicy.model_validate(self.bind.policy)
            limits = policy.limits("storage", StorageLimits)
            key = base64.b64decode(self.bind.data_key)
            self._store = open_store(paths, self.app_id, limits=limits, data_key=key)
        for i in range(count):
            self._store.kv.set(f"k{i % 8}", i)
        self.channel.send(Metrics(counters=runtime_counters({}, None, self._store)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m superapp.testing._fake_runtime")
    parser.add_argument("--script", required=True)
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--slot-dir", type=Path, required=True)
    parser.add_argument("--remote-debugging-port", type=int, default=None)
    parser.add_argument("--engine-profile", type=Path, default=None)
    # The generic path's switches (a real runtime's lockdown; the fake applies none).
    parser.add_argument("--pooled", action="store_true")
    parser.add_argument("--connect-ports", default=None)
    args = parser.parse_args(argv)
    script = json.loads(args.script)
    channel = Channel.from_fd(args.control_fd)
    # Generic until bound, like the real runtime: the app id is the host's ``bind``.
    try:
        bind = channel.recv()
    except ChannelClosedError:
        return 0
    if not isinstance(bind, Bind):
        return 2
    fake = _FakeRuntime(channel, bind.app_id, script.get("options", {}))
    fake.bind = bind
    fake.slot = args.slot_dir
    threading.Thread(target=fake.read, name="control", daemon=True).start()
    if bind.restore is not None:  # resumed after a discard: what the host handed back
        restore = bind.restore
        fields = {"location": restore.location, "state": restore.state}
        channel.send(Audit(action="fake.restore", outcome="success", fields=fields))
    steps = script["steps"]
    if bind.restore is not None and "restored_steps" in fake.options:
        steps = fake.options["restored_steps"]  # a resumed runtime that behaves otherwise
    for step in steps:
        [(kind, arg)] = step.items()
        fake.step(kind, arg or {})
    threading.Event().wait()  # until terminate or EOF ends the process
    return 0


if __name__ == "__main__":
    sys.exit(main())
