"""The host user's profile, shared with mini-apps through ``user.profile`` (after consent).

Stored as ``<config>/profile.json``; written by the host user (launcher or CLI), read on
every ``user.profile`` call so edits apply at once. Every field is optional; a missing file
is an empty profile — the host never falls back to the OS account name, which the user did
not choose to share.

Validation (``Profile``): ``display_name`` 1–64 printable characters; ``email`` a plausible
address of at most 254 characters; ``avatar`` a ``data:image/(png|jpeg|webp);base64,`` URL of
at most ``MAX_AVATAR_BYTES`` decoded bytes (a data URL, so a page never learns a host path).
Unknown fields are refused so that a typo is not silently ignored.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from superapp.core.errors import ProfileError
from superapp.core.files import atomic_write_text
from superapp.core.paths import Paths

__all__ = [
    "MAX_AVATAR_BYTES",
    "MAX_PROFILE_FILE_BYTES",
    "Profile",
    "ProfileError",
    "load_profile",
    "profile_path",
    "save_profile",
]

MAX_AVATAR_BYTES = 256 * 1024
#: A profile file larger than this is refused unread (the avatar dominates: base64 is 4/3).
MAX_PROFILE_FILE_BYTES = 512 * 1024

_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
_AVATAR = re.compile(r"^data:image/(png|jpeg|webp);base64,([A-Za-z0-9+/]*={0,2})$")


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    display_name: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    avatar: str | None = None

    @field_validator("display_name")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and (not value.isprintable() or value != value.strip()):
            raise ValueError("must be printable text without leading or trailing spaces")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError("is not an e-mail address")
        return value

    @field_validator("avatar")
    @classmethod
    def _avatar(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _AVATAR.fullmatch(value)
        if match is None:
            raise ValueError("must be a data:image/(png|jpeg|webp);base64, URL")
        try:
            size = len(base64.b64decode(match.group(2), validate=True))
        except (binascii.Error, ValueError):
            raise ValueError("is not valid base64") from None
        if size > MAX_AVATAR_BYTES:
            raise ValueError(f"is larger than {MAX_AVATAR_BYTES} bytes")
        return value


def profile_path(paths: Paths) -> Path:
    return paths.config / "profile.json"


def _explain(err: ValidationError) -> str:
    first = err.errors(include_url=False, include_input=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or "profile"
    return f"{field}: {first['msg'].removeprefix('Value error, ')}"


def load_profile(paths: Paths) -> Profile:
    """The stored profile, or an empty one when none was configured.

    Raises:
        ProfileError: the file is too large, not JSON, or fails validation.
    """
    path = profile_path(paths)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_PROFILE_FILE_BYTES + 1)
    except FileNotFoundError:
        return Profile()
    except OSError as err:
        raise ProfileError(f"cannot read {path}: {err.strerror}") from None
    if len(data) > MAX_PROFILE_FILE_BYTES:
        raise ProfileError(f"{path} is larger than {MAX_PROFILE_FILE_BYTES} bytes")
    try:
        return Profile.model_validate_json(data)
    except ValidationError as err:
        raise ProfileError(f"{path}: {_explain(err)}") from None


def save_profile(paths: Paths, profile: Profile) -> None:
    """Write the profile atomically (temp file + rename), owner-only."""
    path = profile_path(paths)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = json.dumps(profile.model_dump(exclude_none=True), indent=2, ensure_ascii=False)
    atomic_write_text(path, text + "\n")
