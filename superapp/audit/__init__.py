"""The host's audit log (DESIGN §2, §6.8, §6.11).

    _log.py      the writer: append-only JSON Lines, hash chain, rotation (read its docstring
                 first: fields, chain, verification order, rotation)
    _verify.py   ``AuditLog.verify``: the ordered check of the chain and the retained log
    _flood.py    the per-app flood gate behind ``AuditLog.record_app`` ("N more like this")
    _retain.py   security events of rotated-away files, kept in ``audit.jsonl.retained``
    _text.py     ``safe_text``/``render_line``/``inert_json``: app text made inert for terminals

Everything an app sent is untrusted text: every place that shows it (``superapp audit``, the
launcher, host stderr lines) goes through ``safe_text`` or ``render_line``.
"""

from superapp.audit._flood import FloodGate, FloodLimits, Suppressed
from superapp.audit._log import (
    ECS_VERSION,
    GENESIS_HASH,
    AuditLimits,
    AuditLog,
    Outcome,
    entry_hash,
)
from superapp.audit._retain import is_security_event
from superapp.audit._text import (
    InertLogFormatter,
    inert_json,
    is_inert,
    render_line,
    safe_text,
    token,
)
from superapp.audit._verify import VerifyReport

__all__ = [
    "ECS_VERSION",
    "GENESIS_HASH",
    "AuditLimits",
    "AuditLog",
    "FloodGate",
    "FloodLimits",
    "InertLogFormatter",
    "Outcome",
    "Suppressed",
    "VerifyReport",
    "entry_hash",
    "inert_json",
    "is_inert",
    "is_security_event",
    "render_line",
    "safe_text",
    "token",
]
