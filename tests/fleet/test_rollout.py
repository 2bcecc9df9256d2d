"""The host's side of a phased rollout: its install id and the decision it makes from it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superapp.core.errors import PolicyError
from superapp.fleet import AppChannel, Rollout, bucket, load_install_id, wanted_version
from superapp.policy import parse_policy
from tests.fleet.conftest import NOTES, World


def test_install_id_is_made_once_and_kept_owner_only(tmp_path: Path) -> None:
    first = load_install_id(tmp_path)
    assert load_install_id(tmp_path) == first and len(first) == 32
    assert stat.S_IMODE((tmp_path / "install-id").stat().st_mode) == 0o600


def test_install_id_is_never_sent_to_the_repository(world: World) -> None:
    """Checked one layer below the client: every request line and header the server got."""
    world.publish(NOTES, 1)
    store = world.store()
    store.install(NOTES)
    world.publish(NOTES, 2, rollout=50)
    store.update_all()
    assert world.server.seen
    assert not [r for r in world.server.seen if store.install_id in r]


@given(st.text(min_size=1, max_size=40), st.integers(0, 100), st.integers(0, 100))
def test_a_host_in_a_rollout_stays_in_it_as_the_percentage_grows(
    install_id: str, low: int, high: int
) -> None:
    low, high = sorted((low, high))
    stable = AppChannel(publisher="acme", stable=1, rollout=Rollout(version_code=2, percent=low))
    grown = stable.model_copy(update={"rollout": Rollout(version_code=2, percent=high)})
    if wanted_version(stable, install_id, NOTES, 1) == 2:
        assert wanted_version(grown, install_id, NOTES, 1) == 2


def test_buckets_spread_install_ids_evenly() -> None:
    ids = [f"{i:032x}" for i in range(4000)]
    under_half = sum(bucket(i, NOTES, 2) < 5000 for i in ids)
    assert 1800 < under_half < 2200  # 50 % ± 5 % of 4,000


def test_pause_keeps_hosts_on_it_and_revert_sends_everyone_to_stable() -> None:
    paused = AppChannel(
        publisher="acme", stable=1, rollout=Rollout(version_code=2, percent=100, state="paused")
    )
    assert wanted_version(paused, "a" * 32, NOTES, 2) == 2
    assert wanted_version(paused, "a" * 32, NOTES, 1) == 1
    reverted = paused.model_copy(
        update={"rollout": Rollout(version_code=2, percent=100, state="reverted")}
    )
    assert wanted_version(reverted, "a" * 32, NOTES, 2) == 1


def test_fleet_policy_needs_a_root_with_a_repository() -> None:
    with pytest.raises(PolicyError, match="root is required"):
        parse_policy('[fleet]\nrepository = "https://apps.example.com/repo"\n')
    policy = parse_policy('[fleet]\nrepository = "https://a.example/r"\nroot = "/etc/r.json"\n')
    assert policy.fleet.interval_s == 900 and policy.fleet.jitter == 0.25
