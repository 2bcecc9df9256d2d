"""The engine-storage budget (issue 12): an app's engine profile on disk, measured by the
monitor every round; over the limit the app is stopped at once with the reason."""

from __future__ import annotations

import os
from pathlib import Path

from superapp.monitor import AppSample, BudgetEvaluator, Monitor
from superapp.policy import HostPolicy, parse_policy
from superapp.storage import folder_bytes
from tests.monitor.test_budgets import FakeClock, _sample

MiB = 1024**2


def test_engine_storage_over_its_budget_is_stopped_at_once_with_the_reason() -> None:
    evaluator = BudgetEvaluator(HostPolicy().monitor, FakeClock())
    assert evaluator.evaluate(_sample(engine_bytes=49 * MiB)) == []
    (decision,) = evaluator.evaluate(_sample(engine_bytes=51 * MiB))
    assert (decision.action, decision.metric) == ("terminate", "engine_storage")
    assert decision.limit == 50 * MiB
    assert decision.message == (
        "Notes was stopped: its web storage reached 51 MB on disk (limit 50 MB)"
    )


def test_engine_storage_budget_comes_from_the_policy_file() -> None:
    policy = parse_policy('[monitor.engine_storage]\nlimit = "5 MiB"\n')
    evaluator = BudgetEvaluator(policy.monitor, FakeClock())
    (decision,) = evaluator.evaluate(_sample(engine_bytes=6 * MiB))
    assert (decision.action, decision.metric, decision.limit) == (
        "terminate", "engine_storage", 5 * MiB,
    )  # fmt: skip


def test_monitor_measures_the_engine_folder_it_was_given(tmp_path: Path) -> None:
    profile = tmp_path / "webview"
    (profile / "IndexedDB").mkdir(parents=True)
    (profile / "IndexedDB" / "000003.log").write_bytes(os.urandom(3 * MiB))
    clock = FakeClock()
    monitor = Monitor(
        parse_policy('[monitor.engine_storage]\nlimit = "2 MiB"\n').monitor, clock=clock
    )
    monitor.watch("com.example.notes", os.getpid(), "Notes", heartbeats=False, engine_dir=profile)
    monitor.watch("com.example.other", os.getpid(), "Other", heartbeats=False)
    decisions = monitor.tick()
    samples: dict[str, AppSample] = monitor.latest()
    assert samples["com.example.notes"].engine_bytes >= 3 * MiB
    assert samples["com.example.other"].engine_bytes == 0
    assert [(d.app_id, d.metric) for d in decisions] == [("com.example.notes", "engine_storage")]


def test_folder_size_does_not_follow_links_out_of_the_profile(tmp_path: Path) -> None:
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"x" * MiB)
    profile = tmp_path / "webview"
    profile.mkdir()
    (profile / "link").symlink_to(outside)
    (profile / "dirlink").symlink_to(tmp_path, target_is_directory=True)
    (profile / "own").write_bytes(b"y" * 100)
    assert 100 <= folder_bytes(profile) < MiB
    assert folder_bytes(tmp_path / "missing") == 0
