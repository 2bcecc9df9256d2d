"""Where the host keeps things: a re-export of ``superapp.core.paths``."""

from __future__ import annotations

from superapp.core.paths import APP_ID_RE, Paths, is_valid_app_id

__all__ = ["APP_ID_RE", "Paths", "is_valid_app_id"]
