"""``app.*``: what the app may learn about itself, asking for a capability, closing itself."""

from __future__ import annotations

from typing import Literal

from bridge._authz import authorizer
from bridge.context import CallContext
from bridge.hostui import host_ui
from bridge.models import NoParams, Params, Result
from superapp import __version__

__all__ = [
    "AppInfo",
    "Capability",
    "CapabilityGrant",
    "RequestCapability",
    "close",
    "info",
    "request_capability",
]

# Every known capability, spelled out so the generated .d.ts lists them; a test checks it
# matches superapp.core.capabilities.CAPABILITIES.
Capability = Literal[
    "storage",
    "files",
    "net:request",
    "user:readProfile",
    "clipboard:write",
    "clipboard:read",
    "notifications",
    "share:send",
    "media:camera",
    "media:microphone",
    "location:read",
]


class AppInfo(Result):
    app_id: str
    name: str
    version: str
    dev_mode: bool
    #: Capabilities the manifest declares (the most the app can ever hold).
    declared: list[str]
    #: Capabilities in effect now.
    granted: list[str]
    host_version: str


class RequestCapability(Params):
    capability: Capability


class CapabilityGrant(Result):
    capability: str
    granted: Literal[True]
    #: ``always``: until the user revokes it; ``once``: for the next call that needs it.
    scope: Literal["always", "once"]


def info(ctx: CallContext, params: NoParams) -> AppInfo:
    """The app's own identity, its declared capabilities and those granted now."""
    return AppInfo(
        app_id=ctx.app_id,
        name=ctx.name,
        version=ctx.version,
        dev_mode=ctx.dev_mode,
        declared=sorted(ctx.declared),
        granted=authorizer(ctx).granted(),
        host_version=__version__,
    )


def request_capability(ctx: CallContext, params: RequestCapability) -> CapabilityGrant:
    """Ask the user for a capability the manifest declares, before the call that needs it.

    Resolves at once if it is already granted. Otherwise the host asks the user, showing the
    manifest's ``reason``; "allow once" covers the next call only. Rejects with
    PERMISSION_DENIED for an undeclared capability and CONSENT_DENIED if the user says no
    (further requests within a minute are denied without asking).
    """
    scope = authorizer(ctx).request(params.capability)
    return CapabilityGrant(capability=params.capability, granted=True, scope=scope)


def close(ctx: CallContext, params: NoParams) -> None:
    """Close the app's window; the app's process then exits."""
    host_ui(ctx).close()
