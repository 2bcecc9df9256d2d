"""The user profile file: validated on every read, written atomically, never a host path."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from superapp.core.paths import Paths
from superapp.state.profile import (
    MAX_AVATAR_BYTES,
    MAX_PROFILE_FILE_BYTES,
    Profile,
    ProfileError,
    load_profile,
    profile_path,
    save_profile,
)


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths.from_env({"SUPERAPP_HOME": str(tmp_path)})


def _avatar(size: int, kind: str = "png") -> str:
    return f"data:image/{kind};base64," + base64.b64encode(b"\0" * size).decode()


def test_missing_file_is_an_empty_profile(paths: Paths) -> None:
    assert load_profile(paths) == Profile()


def test_round_trip(paths: Paths) -> None:
    profile = Profile(display_name="Ada L.", email="ada@example.org", avatar=_avatar(10))
    save_profile(paths, profile)
    assert load_profile(paths) == profile
    assert profile_path(paths).stat().st_mode & 0o077 == 0
    assert [p.name for p in profile_path(paths).parent.iterdir()] == ["profile.json"]


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"display_name": ""}, "display_name"),
        ({"display_name": "a\x1bb"}, "display_name"),
        ({"display_name": " padded"}, "display_name"),
        ({"display_name": "x" * 65}, "display_name"),
        ({"display_name": 5}, "display_name"),
        ({"email": "no-at-sign"}, "email"),
        ({"email": "a@b@c"}, "email"),
        ({"avatar": "file:///home/me/face.png"}, "avatar"),
        ({"avatar": "data:image/svg+xml;base64,PHN2Zz4="}, "avatar"),
        ({"avatar": "data:image/png;base64,@@@"}, "avatar"),
        ({"avatar": _avatar(MAX_AVATAR_BYTES + 1)}, "avatar"),
        ({"nickname": "x"}, "nickname"),
    ],
    ids=lambda v: str(v)[:30],
)
def test_invalid_profile_names_the_field(paths: Paths, content: Any, field: str) -> None:
    profile_path(paths).parent.mkdir(parents=True)
    profile_path(paths).write_text(json.dumps(content))
    with pytest.raises(ProfileError, match=field):
        load_profile(paths)


def test_oversized_or_broken_file_is_refused(paths: Paths) -> None:
    profile_path(paths).parent.mkdir(parents=True)
    profile_path(paths).write_bytes(b" " * (MAX_PROFILE_FILE_BYTES + 1))
    with pytest.raises(ProfileError, match="larger than"):
        load_profile(paths)
    profile_path(paths).write_text("{not json")
    with pytest.raises(ProfileError):
        load_profile(paths)
