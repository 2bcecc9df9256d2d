"""Hostile (or merely test) mini-app folders: see :mod:`superapp.testing._apps`."""

from superapp.testing._apps import (
    BOOT,
    audit_events,
    call,
    make_app,
    raw_call,
    wait_for_audit,
    wait_until,
)

__all__ = ["BOOT", "audit_events", "call", "make_app", "raw_call", "wait_for_audit", "wait_until"]
