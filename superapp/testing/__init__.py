"""Support for tests of superapp and of mini-apps: real hosts, real windows, no stubs.

Shipped in the package so that the project's test suite, its benchmarks (``bench/``) and
mini-app developers' own tests share one harness; nothing here is imported by the host.

    _harness.py   HostProcess (a ``superapp`` command in its own process group, read line by
                  line), Xvfb, connect (Playwright over CDP), free_port, wait_gone
    _apps.py      make_app (a test mini-app folder), call/raw_call (callNative from a page),
                  audit_events, wait_until, wait_for_audit, wait_for_budget_stop
    _dualapps.py  make_dual_app (a dual-mode test app), dual_pages (its view and logic pages),
                  post_to_logic
    _npm.py       published front-end libraries fetched with npm (the analyser's real inputs)
    _vendor.py    npm builds copied into test mini-apps with their licences (issue 15)
    _miniapp.py   MiniApp (a running app: its Playwright page, consent, grants, storage,
                  audit, toasts, reload and log helpers) and open_miniapp
    plugin.py     the pytest plugin (``pytest11`` entry point): fixtures ``miniapp``,
                  ``miniapp_factory``, ``superapp_home``, screenshots and logs on failure
    _fake_runtime.py  a windowless runtime speaking the real control protocol (host tests
                  without Qt): ``fake_runtime_argv(steps)`` for ``Supervisor(runtime_argv=)``
"""

from superapp.testing._apps import (
    audit_events,
    call,
    make_app,
    raw_call,
    wait_for_audit,
    wait_for_budget_stop,
    wait_until,
)
from superapp.testing._dualapps import DUAL_ECHO_LOGIC, dual_pages, make_dual_app, post_to_logic
from superapp.testing._fake_runtime import fake_runtime_argv
from superapp.testing._harness import (
    DEFAULT_TIMEOUT,
    HostProcess,
    Xvfb,
    connect,
    free_port,
    start_display,
    wait_gone,
    with_group_gone,
)
from superapp.testing._miniapp import MiniApp, MiniAppError, open_miniapp

__all__ = [
    "DEFAULT_TIMEOUT",
    "DUAL_ECHO_LOGIC",
    "HostProcess",
    "MiniApp",
    "MiniAppError",
    "Xvfb",
    "audit_events",
    "call",
    "connect",
    "dual_pages",
    "fake_runtime_argv",
    "free_port",
    "make_app",
    "make_dual_app",
    "open_miniapp",
    "post_to_logic",
    "raw_call",
    "start_display",
    "wait_for_audit",
    "wait_for_budget_stop",
    "wait_gone",
    "wait_until",
    "with_group_gone",
]
