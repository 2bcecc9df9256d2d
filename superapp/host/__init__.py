"""The host process: one ``HostContext``, the supervisor and what it delegates to.

- ``_context``: ``HostContext`` (paths, the policy loaded once, the one audit sink)
- ``_start``: ``start_host``, the one host start-up (CLI and launcher)
- ``_lifecycle``: ``Supervisor``: spawn, stop, exit of runtimes
- ``_bind``: the ``bind`` message (derived data key, grants, policy) and the grants/inbox answers
- ``_pool``: generic runtimes and the prewarmed ``RuntimePool`` (docs/pool.md)
- ``_broker``: what the host does with each control message; ``_consent``: consent and share
- ``_prompt``: what the consent prompt says (``ConsentPrompt``) and the windowless answer
  (``consent_from_env``, ``SUPERAPP_CONSENT``)
- ``_monitor_loop``: budgets, cache eviction, samples for ``superapp ps``, guarded
- ``_revocation``: the kill switch at launch and while running
- ``_fleet``: the host as a TUF client (``superapp.fleet``): polling with jitter, the
  repository's kill switch, updates waiting for consent offered at launch
- ``_background``: hidden, suspended, discarded, throttled, resumed (``_signals``, ``_throttle``)
- ``_records``: run records on disk; ``_server``: the local control socket
- ``_delegate``: the launcher's launch endpoint, through which ``superapp run`` opens an app in
  the running launcher (``launcher.sock``, ADR 0015)

The host never imports the runtime (an import-linter contract): they meet only on the control
protocol (``superapp.protocol``).
"""

from superapp.host._app import AppState, RunningApp, StopTimeouts
from superapp.host._background import BACKGROUND_STATES
from superapp.host._context import HostContext
from superapp.host._lifecycle import Supervisor
from superapp.host._prompt import (
    ANSWERS,
    DESCRIPTIONS,
    ConsentPrompt,
    build_prompt,
    consent_from_env,
    describe,
    share_confirm_from_env,
)
from superapp.host._records import running_record, running_records
from superapp.host._server import HostServer, request_lifecycle, request_stop
from superapp.host._start import Host, start_host

__all__ = [
    "ANSWERS",
    "BACKGROUND_STATES",
    "DESCRIPTIONS",
    "AppState",
    "ConsentPrompt",
    "Host",
    "HostContext",
    "HostServer",
    "RunningApp",
    "StopTimeouts",
    "Supervisor",
    "build_prompt",
    "consent_from_env",
    "describe",
    "request_lifecycle",
    "request_stop",
    "running_record",
    "running_records",
    "share_confirm_from_env",
    "start_host",
]
