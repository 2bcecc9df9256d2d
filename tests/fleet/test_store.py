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


def _no(diff: CapabilityDiff) -> bool:
    return False


def test_update_asking_a_new_capability_waits_for_consent(world: World) -> None:
    world.publish(NOTES, 1)
    store = world.store()
    store.install(NOTES)
    world.publish(NOTES, 2, caps=("storage", "clipboard:write"))
    asked: list[CapabilityDiff] = []

    def refuse(diff: CapabilityDiff) -> bool:
        asked.append(diff)
        return False

    [outcome] = store.update_all(refuse)
    assert outcome.status == "pending"
    assert asked[0].added == ("clipboard:write",) and asked[0].removed == ()
    assert world.installed() == 1  # nothing of v2 runs before the user says yes
    assert world.audit("fleet.update_pending")
    [outcome] = store.update_all(lambda d: True)
    assert outcome.status == "updated" and world.installed() == 2


def test_update_without_new_capabilities_installs_and_keeps_previous(world: World) -> None:
    world.publish(NOTES, 1)
    store = world.store()
    store.install(NOTES)
    world.publish(NOTES, 2)
    [outcome] = store.update_all(_no)
    assert outcome.status == "updated" and world.installed() == 2
    assert (world.paths.app_dir(NOTES) / "fleet-previous.sapp").exists()
    assert store.rollback(NOTES).status == "rolled_back"
    assert world.installed() == 1
    assert world.audit("fleet.rolled_back")


def test_rollout_reaches_the_percentage_of_install_ids_and_revert_goes_back(world: World) -> None:
    world.publish(NOTES, 1)
    hosts = [world.host(f"h{i}") for i in range(20)]
    for h in hosts:
        world.store(h).install(NOTES)
    world.publish(NOTES, 2, rollout=0)

    def on_v2() -> int:
        n = 0
        for h in hosts:
            world.store(h).update_all(_no)
            n += world.installed(NOTES, h) == 2
        return n

    assert on_v2() == 0
    from superapp.fleet import revert_rollout, set_rollout

    set_rollout(world.repo, NOTES, 2, 50)
    half = on_v2()
    assert 0 < half < 20
    set_rollout(world.repo, NOTES, 2, 100)
    assert on_v2() == 20
    revert_rollout(world.repo, NOTES)
    assert on_v2() == 0
    assert all(world.installed(NOTES, h) == 1 for h in hosts)


def test_rollout_percentage_only_grows_and_pause_holds_new_hosts(world: World) -> None:
    from superapp.core.errors import FleetError
    from superapp.fleet import pause_rollout, set_rollout

    world.publish(NOTES, 1)
    world.publish(NOTES, 2, rollout=50)
    try:
        set_rollout(world.repo, NOTES, 2, 40)
    except FleetError as err:
        assert err.rule == "rollout"
    else:
        raise AssertionError("a rollout went down")
    pause_rollout(world.repo, NOTES)
    index, _ = world.repo.fleet_state()
    assert index.apps[NOTES].rollout is not None and index.apps[NOTES].rollout.state == "paused"


def test_waiting_update_is_offered_at_launch_and_runs_only_when_allowed(world: World) -> None:
    """The host asks (its own prompt, naming the update) before the new version runs."""
    from superapp.audit import AuditLog
    from superapp.core.consent import ConsentAnswer
    from superapp.host import ConsentPrompt, StopTimeouts, Supervisor
    from superapp.testing._fake_runtime import fake_runtime_argv

    world.publish(NOTES, 1)
    store = world.store()
    store.install(NOTES)
    world.publish(NOTES, 2, caps=("storage", "clipboard:write"))
    [outcome] = store.update_all(None)
    assert outcome.status == "pending" and world.installed() == 1
    asked: list[ConsentPrompt] = []
    answer = ConsentAnswer.DENY

    def consent(prompt: ConsentPrompt) -> ConsentAnswer:
        asked.append(prompt)
        return answer

    ready = [{"hello": {}}, {"loaded": {}}]
    sup = Supervisor(
        world.paths, AuditLog(world.paths.audit_log), consent=consent,
        runtime_argv=fake_runtime_argv(ready), timeouts=StopTimeouts(close_s=5.0, term_s=2.0),
    )  # fmt: skip
    try:
        app = sup.launch(NOTES)
        assert asked[-1].capability == "clipboard:write" and asked[-1].update == "1.1.0 → 1.2.0"
        assert "update" in asked[-1].headline
        assert world.installed() == 1  # declined: the installed version runs
        assert world.audit("fleet.update_declined")
        assert app.loaded.wait(60)
        sup.stop(NOTES)
        answer = ConsentAnswer.ALLOW_ONCE
        app = sup.launch(NOTES)
        assert world.installed() == 2  # allowed: installed before the launch
        assert app.loaded.wait(60)
    finally:
        sup.shutdown()


def test_revoking_a_publisher_keeps_hosts_polling_and_a_rotated_key_publishes(
    world: World,
) -> None:
    """TUF refuses a snapshot that drops a role a host has seen: revoke-publisher keeps it
    listed (empty), so hosts that knew the publisher keep verifying the repository."""
    from superapp.bundles import TrustStore, load_private_key
    from superapp.fleet import generate_key
    from superapp.testing._fleet import make_bundle

    world.publish(NOTES, 1)
    store = world.store()
    store.install(NOTES)
    world.repo.revoke_publisher("acme")
    with store.client.session() as session:
        assert NOTES in session.state.index.apps
    new_key = world.keys / "acme-2.pem"
    world.repo.add_publisher("acme", generate_key(new_key), ["com.acme.*"])
    TrustStore(world.paths).add(load_private_key(new_key).public_key(), "acme 2")
    world.repo.publish(make_bundle(new_key, NOTES, 2), "acme", new_key, rollout=100)
    [outcome] = store.update_all(None)
    assert outcome.status == "failed" and "publisher" in outcome.message  # key changed: refused
    assert world.installed() == 1


def test_rotating_a_publisher_key_keeps_its_releases(world: World) -> None:
    from superapp.fleet import generate_key

    world.publish(NOTES, 1)
    store = world.store()
    store.install(NOTES)
    new_key = world.keys / "acme-rotated.pem"
    generate_key(new_key)
    world.repo.rotate_publisher("acme", new_key)
    with store.client.session() as session:
        info, release = session.release(NOTES, 1)
    assert release.version_code == 1 and info.length > 0
