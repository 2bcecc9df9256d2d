"""The message broker: what the host does with each message a runtime sends (DESIGN §1).

The channel is the app's identity: every message is handled under the app id the host
launched on that channel. A frame that breaks the protocol, a message only the host may send,
or a runtime of another protocol version is refused, audited, and the runtime is stopped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.host import _confinement
from superapp.host._app import AppState, ConsentFn, RunningApp, ShareConfirmFn
from superapp.host._bind import answer_grants, answer_inbox
from superapp.host._consent import answer_consent, answer_share
from superapp.host._grantanswers import GrantAnswers
from superapp.host._resumewatch import note_heard
from superapp.monitor import Monitor
from superapp.policy import HostPolicy
from superapp.protocol import (
    PROTOCOL_VERSION,
    Audit,
    Confinement,
    ConsentRequest,
    Console,
    GrantsQuery,
    Hello,
    InboxQuery,
    Loaded,
    Message,
    Metrics,
    Notice,
    PageSaved,
    ShareRequest,
    Warm,
    WindowState,
)

__all__ = ["MessageBroker"]

_log = logging.getLogger("superapp.host")

#: AuditLog.record's own keyword arguments: a runtime's audit field of one of these names
#: would make the call raise TypeError and end that app's control reader thread.
_RECORD_KEYWORDS = frozenset({"app_id", "outcome", "reason"})


class MessageBroker:
    def __init__(
        self,
        paths: Paths,
        audit: AuditLog,
        monitor: Monitor | None,
        consent: ConsentFn,
        share_confirm: ShareConfirmFn,
        on_change: Callable[[str], None],
        stop: Callable[[str, str], None],
        policy: Callable[[], HostPolicy] | None = None,
        write_record: Callable[[RunningApp], None] | None = None,
    ) -> None:
        self._paths = paths
        #: ``grants_query`` answers, read on one kept-open registry connection.
        self._grants = GrantAnswers(paths.registry_db)
        self._audit = audit
        self._monitor = monitor
        self._consent = consent
        self._share_confirm = share_confirm
        self._on_change = on_change
        #: Stops an app with a reason (in a thread of its own: the reader must not block).
        self._stop = stop
        #: Where a developer-mode app's page output goes (``superapp dev`` sets it; see
        #: ``superapp.cli._pageout``): (app id, message), page text unescaped.
        self.page_output: Callable[[str, Console], None] | None = None
        self._policy = policy
        #: Publishes the app's run record again (its confinement, for ``superapp ps``).
        self._write_record = write_record or (lambda app: None)
        #: The life-cycle state machine's (``_background``): window reports, page loaded.
        self.on_window: Callable[[RunningApp, WindowState], None] = lambda app, msg: None
        #: A discarding app's page (``_discard``).
        self.on_saved: Callable[[RunningApp, PageSaved], None] = lambda app, msg: None
        self.on_loaded: Callable[[RunningApp], None] = lambda app: None

    def close(self) -> None:
        """Close the registry connection ``grants_query`` is answered from (host shutdown)."""
        self._grants.close()

    def serve(self, app: RunningApp) -> None:
        """Read ``app``'s channel until it closes (the app's reader thread)."""
        app.channel.serve(lambda msg: self.handle(app, msg), lambda why: self.refuse(app, why))

    def refuse(self, app: RunningApp, why: str) -> None:
        """A protocol violation: audited, then the runtime is stopped (it cannot be trusted
        to follow the protocol any further)."""
        self._audit.record("control.refused", app_id=app.app_id, outcome="failure", reason=why)
        reason = "stopped: it broke the host's control protocol"
        threading.Thread(
            target=self._stop, args=(app.app_id, reason), name="protocol-stop", daemon=True
        ).start()

    def _enforce_confinement(self, app: RunningApp) -> None:
        """Publish ``app``'s confinement; stop it if the policy requires a layer it lacks."""
        self._write_record(app)
        self._on_change(app.app_id)
        if self._policy is None:
            return
        reason = _confinement.refusal(self._policy(), app)
        if reason is not None:
            self._audit.record(
                "confinement.refused", app_id=app.app_id, outcome="failure", reason=reason
            )
            threading.Thread(
                target=self._stop, args=(app.app_id, reason), name="policy-stop", daemon=True
            ).start()

    def handle(self, app: RunningApp, msg: Message) -> None:
        note_heard(app, msg.type)
        if isinstance(msg, Hello):
            if msg.protocol != PROTOCOL_VERSION:
                self.refuse(
                    app, f"protocol version {msg.protocol}, this host speaks {PROTOCOL_VERSION}"
                )
                return
            app.sandbox = msg.sandbox
            if not msg.sandbox:
                self._audit.record(
                    "engine.sandbox_disabled", app_id=app.app_id, outcome="unknown",
                    reason="Chromium's sandbox is off for this app (running as root)",
                )  # fmt: skip
        elif isinstance(msg, Confinement):
            _confinement.record_confinement(self._audit, app, msg)
            self._enforce_confinement(app)
        elif isinstance(msg, Loaded):
            app.loaded_at = time.monotonic()
            app.renderer_pid = msg.renderer_pid
            if "engine_sandbox" not in app.confinement:
                _confinement.on_loaded(self._audit, app)
                self._enforce_confinement(app)
            if app.state is AppState.STARTING:
                app.state = AppState.RUNNING
            app.loaded.set()
            self.on_loaded(app)
            self._on_change(app.app_id)
        elif isinstance(msg, WindowState):
            self.on_window(app, msg)
        elif isinstance(msg, PageSaved):
            self.on_saved(app, msg)
        elif isinstance(msg, Audit):
            # Everything a runtime reports was caused by its page: through the flood gate,
            # and counted in the app's audit budget. Colliding names keep a suffixed name, as
            # AuditLog does for its reserved fields.
            fields = {f"{k}_" if k in _RECORD_KEYWORDS else k: v for k, v in msg.fields.items()}
            if self._monitor is not None:
                self._monitor.count_audit(app.app_id)
            self._audit.record_app(
                msg.action, app_id=app.app_id, outcome=msg.outcome, reason=msg.reason, **fields
            )
        elif isinstance(msg, Metrics):
            app.counters = dict(msg.counters)
            if self._monitor is not None:
                self._monitor.report_counters(app.app_id, app.counters)
        elif isinstance(msg, ShareRequest):
            threading.Thread(
                target=answer_share,
                args=(self._paths, self._audit, self._share_confirm, app, msg),
                name="share",
                daemon=True,
            ).start()
        elif isinstance(msg, ConsentRequest):
            threading.Thread(
                target=answer_consent,
                args=(self._paths, self._consent, app, msg),
                name="consent",
                daemon=True,
            ).start()
        elif isinstance(msg, GrantsQuery):
            answer_grants(self._grants, app, msg)  # one indexed read; the reader answers it
        elif isinstance(msg, InboxQuery):
            threading.Thread(
                target=answer_inbox, args=(self._paths, app, msg), name="inbox", daemon=True
            ).start()
        elif isinstance(msg, Warm):
            pass  # the pool's business; a bound runtime may still say it
        elif isinstance(msg, Notice):
            app.detail = msg.message
            self._on_change(app.app_id)
        elif isinstance(msg, Console):
            # Developer mode only: an installed app's runtime never sends it, and if one did
            # its text would go nowhere.
            if app.dev_src is not None and self.page_output is not None:
                self.page_output(app.app_id, msg)
        else:  # a runtime must not send host-to-runtime messages
            _log.warning("unexpected %s from %s", msg.type, app.app_id)
            self._audit.record(
                "control.refused", app_id=app.app_id, outcome="failure",
                reason=f"a runtime sent a host-only message: {msg.type}",
            )  # fmt: skip
