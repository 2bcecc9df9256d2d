"""Install and update from the repository, the capability-diff consent, one-step rollback."""

from __future__ import annotations

from superapp.fleet import CapabilityDiff
from tests.fleet.conftest import NOTES, World


def test_install_from_the_store_verifies_and_installs(world: World) -> None:
    world.publish(NOTES, 1)
    outcome = world.store().install(NOTES)
    assert outcome.status == "installed"
    assert world.installed() == 1
    assert world.audit("fleet.installed")
