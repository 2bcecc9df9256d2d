"""Run records: what a host publishes about each app it runs, for other ``superapp`` commands.

One file per running app (``<state>/run/apps/<app_id>.json``), written by the host that runs
it (``superapp.host._records``) and read by ``superapp stop``/``ps``/``list`` through the same
model, so a field is never written under one name and read under another.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["RunRecord"]


class RunRecord(BaseModel):
    # Unknown fields are ignored, not refused: a record left by an older host still names
    # its pids, which is all `superapp stop` needs.
    model_config = ConfigDict(extra="ignore", frozen=True)

    app_id: str
    host_pid: int
    runtime_pid: int
    cdp_port: int | None = None
    dev_mode: bool = False
    state: str = "running"
    detail: str = ""
    #: The monitor's latest sample of the app (``AppSample.to_json``), when one was taken.
    sample: dict[str, Any] | None = None
    #: The runtime's confinement report, layer -> {status, detail} (``superapp.confine``).
    confinement: dict[str, dict[str, str]] | None = None
