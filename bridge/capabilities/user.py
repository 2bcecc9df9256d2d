"""``user.*``: what the host user chose to share about themselves."""

from __future__ import annotations

from bridge.context import CallContext
from bridge.models import NoParams, Result
from superapp.state.profile import load_profile

__all__ = ["UserProfile", "profile"]


class UserProfile(Result):
    display_name: str | None
    email: str | None
    #: A ``data:image/...;base64,`` URL, or null.
    avatar: str | None


def profile(ctx: CallContext, params: NoParams) -> UserProfile:
    """The host user's profile (each field null when not configured).

    Needs ``user:readProfile``, which the user must consent to.
    """
    stored = load_profile(ctx.paths)
    return UserProfile(display_name=stored.display_name, email=stored.email, avatar=stored.avatar)
