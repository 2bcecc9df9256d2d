"""Moved to ``superapp.host`` (issue 13); this name stays for old imports."""

from superapp.host import (
    AppState,
    RunningApp,
    StopTimeouts,
    Supervisor,
    host_audit,
    host_monitor,
)

__all__ = ["AppState", "RunningApp", "StopTimeouts", "Supervisor", "host_audit", "host_monitor"]
