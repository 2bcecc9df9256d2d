"""Capability grants: a re-export of ``superapp.state.grants`` (the rule is drawn there)."""

from __future__ import annotations

from superapp.state.grants import Grant, GrantSource, GrantState, GrantStore, is_effective

__all__ = ["Grant", "GrantSource", "GrantState", "GrantStore", "is_effective"]
