"""Sampling real process trees: memory (PSS), CPU time and %, threads, children, exits."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from superapp.monitor import ProcessTreeSampler

MiB = 1024 * 1024

# Allocates (and touches) N MiB, optionally in a child of its own, then waits for stdin to close.
_HOLDER = """
import subprocess, sys
mib = int(sys.argv[1])
child = None
if len(sys.argv) > 2:
    child = subprocess.Popen([sys.executable, "-c", sys.argv[2], sys.argv[3]],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
data = b"x" * (mib * 1024 * 1024)
print("ready", flush=True)
sys.stdin.read()
if child is not None:
    child.stdin.close()
    child.wait()
"""

# Waits for "go", burns CPU until it has used N seconds of it, says so, and keeps burning.
_BURNER = """
import sys, time
target = float(sys.argv[1])
assert sys.stdin.readline().strip() == "go"
start = time.process_time()
said = False
while True:
    if not said and time.process_time() - start >= target:
        print("burned", flush=True)
        said = True
"""


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()


def test_memory_of_a_process_is_its_pss(procs: list[subprocess.Popen[str]]) -> None:
    holder = _spawn(_HOLDER, "150")
    procs.append(holder)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    sample = ProcessTreeSampler().sample({"app": holder.pid})["app"]
    assert sample.alive and sample.processes == 1
    assert sample.memory_kind == "pss"
    assert 150 * MiB <= sample.memory_bytes < 400 * MiB
    assert sample.threads >= 1


def test_the_whole_tree_is_counted(procs: list[subprocess.Popen[str]]) -> None:
    parent = _spawn(_HOLDER, "20", _HOLDER, "120")
    procs.append(parent)
    assert parent.stdout is not None and parent.stdout.readline().strip() == "ready"
    sampler = ProcessTreeSampler()
    sample = sampler.sample({"app": parent.pid})["app"]
    assert sample.processes == 2
    assert sample.memory_bytes >= 140 * MiB  # the grandchild's 120 MiB is included
    assert sample.threads >= 2


def test_cpu_time_and_percent_of_a_busy_process(procs: list[subprocess.Popen[str]]) -> None:
    burner = _spawn(_BURNER, "0.5")
    procs.append(burner)
    assert burner.stdin is not None and burner.stdout is not None
    clock = FakeClock()
    sampler = ProcessTreeSampler(clock)
    first = sampler.sample({"app": burner.pid})["app"]
    assert first.cpu_percent == 0.0  # no baseline yet
    burner.stdin.write("go\n")
    burner.stdin.flush()
    assert burner.stdout.readline().strip() == "burned"
    clock.now = 1.0
    second = sampler.sample({"app": burner.pid})["app"]
    assert second.cpu_seconds - first.cpu_seconds >= 0.5
    # percent = CPU seconds used / clock seconds elapsed, of one core
    assert second.cpu_percent == pytest.approx(100 * (second.cpu_seconds - first.cpu_seconds))
    assert second.cpu_percent >= 50


def test_an_exited_tree_is_reported_gone(procs: list[subprocess.Popen[str]]) -> None:
    holder = _spawn(_HOLDER, "1")
    procs.append(holder)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    sampler = ProcessTreeSampler()
    assert sampler.sample({"app": holder.pid})["app"].alive
    holder.kill()
    holder.wait(timeout=30)
    gone = sampler.sample({"app": holder.pid})["app"]
    assert not gone.alive and gone.processes == 0 and gone.memory_bytes == 0


def test_several_trees_are_sampled_in_one_round(procs: list[subprocess.Popen[str]]) -> None:
    holders = [_spawn(_HOLDER, str(10 * (i + 1))) for i in range(3)]
    procs.extend(holders)
    for h in holders:
        assert h.stdout is not None and h.stdout.readline().strip() == "ready"
    samples = ProcessTreeSampler().sample({f"app{i}": h.pid for i, h in enumerate(holders)})
    assert [s.processes for s in samples.values()] == [1, 1, 1]
    assert samples["app0"].memory_bytes < samples["app2"].memory_bytes
