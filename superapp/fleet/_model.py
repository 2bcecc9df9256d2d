"""What the repository says beyond TUF's own fields, as strict pydantic models.

Two places carry it, both inside signed TUF metadata (never a format of our own):

- a publisher's ``TargetFile.custom`` for ``<app_id>/<version_code>.sapp``: ``Release`` (what
  the bundle is: id, version, the capabilities it declares, the bundle key that signs it);
- the operator's ``fleet`` role (short-lived, delegated by ``targets``), two targets whose
  ``custom`` is read straight from the verified metadata:
  ``_fleet/index.json`` → ``FleetIndex`` (every app's stable version and its rollout) and
  ``_fleet/revocations.json`` → ``Revocations`` (the kill switch list).

Each target's file holds the same JSON as its ``custom``, so its hashes are honest and a mirror
serves it like any other target; hosts read ``custom`` and never need to download it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from superapp.revocation import Revocation

__all__ = [
    "INDEX_PATH",
    "REVOCATIONS_PATH",
    "AppChannel",
    "FleetIndex",
    "Release",
    "Revocation",
    "Revocations",
    "Rollout",
    "release_path",
]

INDEX_PATH = "_fleet/index.json"
REVOCATIONS_PATH = "_fleet/revocations.json"


def release_path(app_id: str, version_code: int) -> str:
    """The TUF target path of one release (the publisher's delegation covers ``<app_id>/*``)."""
    return f"{app_id}/{version_code}.sapp"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Release(_Model):
    app_id: StrictStr
    name: Annotated[StrictStr, Field(max_length=200)]
    version_code: Annotated[StrictInt, Field(ge=0)]
    version_name: Annotated[StrictStr, Field(max_length=100)]
    #: Capabilities the manifest declares: the update diff the user is shown comes from these.
    capabilities: tuple[StrictStr, ...] = ()
    #: Key id of the bundle signature (checked again, independently, by the bundle verifier).
    bundle_key: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{64}$")]
    publisher: StrictStr


class Rollout(_Model):
    """A phased release of ``version_code``: ``percent`` only grows (the repo tool refuses
    less); ``paused`` stops new hosts taking it; ``reverted`` sends hosts back to stable."""

    version_code: Annotated[StrictInt, Field(ge=0)]
    percent: Annotated[StrictInt, Field(ge=0, le=100)]
    state: Literal["active", "paused", "reverted"] = "active"


class AppChannel(_Model):
    publisher: StrictStr
    name: StrictStr = ""
    #: The version every host may run (None until a first rollout reaches 100 %).
    stable: StrictInt | None = None
    rollout: Rollout | None = None


class FleetIndex(_Model):
    apps: dict[StrictStr, AppChannel] = Field(default_factory=dict)


class Revocations(_Model):
    revocations: tuple[Revocation, ...] = ()
