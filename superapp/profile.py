"""The user's profile: a re-export of ``superapp.state.profile``."""

from __future__ import annotations

from superapp.state.profile import (
    MAX_AVATAR_BYTES,
    MAX_PROFILE_FILE_BYTES,
    Profile,
    ProfileError,
    load_profile,
    profile_path,
    save_profile,
)

__all__ = [
    "MAX_AVATAR_BYTES",
    "MAX_PROFILE_FILE_BYTES",
    "Profile",
    "ProfileError",
    "load_profile",
    "profile_path",
    "save_profile",
]
