"""The one private python-tuf attribute the fleet client reads (``Updater._trusted_set``, for
the verified fleet role's expiry): if a python-tuf upgrade moves it, these fail loudly, and the
client refuses with a clear, audited error instead of an AttributeError."""

from __future__ import annotations

from typing import Any

import pytest
from tuf.api.metadata import Metadata
from tuf.ngclient import Updater

from superapp.core.errors import FleetError
from superapp.fleet._client import verified_expiry
from tests.fleet.conftest import World


def test_ngclient_still_keeps_the_verified_fleet_role_where_we_read_it(world: World) -> None:
    client = world.store().client
    updater = client._updater()
    updater.refresh()
    assert updater.get_targetinfo("_fleet/index.json") is not None
    assert hasattr(updater, "_trusted_set"), "python-tuf moved Updater._trusted_set"
    expires = verified_expiry(updater, "fleet")
    # The same date through public routes: the repository's fleet role, and the copy that
    # ngclient persisted after verifying it.
    assert expires == world.repo.load("fleet").signed.expires
    persisted: Metadata[Any] = Metadata.from_file(str(client.metadata_dir / "fleet.json"))
    assert expires == persisted.signed.expires
    with client.session() as session:
        assert session.state.expires == expires


class _Moved:
    """An Updater of a future python-tuf that keeps its metadata elsewhere."""


def test_a_moved_attribute_is_a_clear_error_not_an_attribute_error() -> None:
    with pytest.raises(FleetError, match="no longer exposes the verified 'fleet' role") as info:
        verified_expiry(_Moved(), "fleet")  # type: ignore[arg-type]
    assert info.value.rule == "internal"


def test_a_role_not_loaded_is_a_clear_error(world: World) -> None:
    updater: Updater = world.store().client._updater()
    updater.refresh()  # top-level roles only: the fleet role is loaded on demand
    with pytest.raises(FleetError, match="KeyError"):
        verified_expiry(updater, "fleet")
