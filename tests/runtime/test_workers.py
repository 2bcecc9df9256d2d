"""Calls waiting for the user's consent cannot starve the bridge's other calls (issue 13).

Before: four workers, and up to four calls waiting per open prompt for up to 300 s, so one
slow prompt per worker blocked every other call of the app. Now a waiting call parks and
gives its running slot back. Qt-free: the pool is the one ``NativeBridge`` uses.
"""

from __future__ import annotations

import threading

from superapp.runtime._workers import WorkerPool, parked


def test_calls_waiting_for_consent_do_not_block_other_calls() -> None:
    pool = WorkerPool(size=2, max_parked=8)
    user_answers = threading.Event()
    waiting = threading.Semaphore(0)

    def consent_call() -> str:
        waiting.release()
        with parked():
            user_answers.wait(60)
        return "answered"

    try:
        prompts = [pool.submit(consent_call) for _ in range(6)]  # three times the pool size
        for _ in prompts:
            assert waiting.acquire(timeout=60)  # all six are waiting for the user
        quick = [pool.submit(lambda i=i: i * 2) for i in range(20)]
        assert [f.result(timeout=60) for f in quick] == [i * 2 for i in range(20)]
        assert not any(f.done() for f in prompts)  # still waiting, and nothing was starved
        user_answers.set()
        assert [f.result(timeout=60) for f in prompts] == ["answered"] * 6
    finally:
        user_answers.set()
        pool.shutdown()


def test_running_calls_stay_bounded_by_the_pool_size() -> None:
    pool = WorkerPool(size=2, max_parked=8)
    lock = threading.Lock()
    running = {"now": 0, "max": 0}
    release = threading.Event()
    started = threading.Semaphore(0)

    def busy() -> None:
        with lock:
            running["now"] += 1
            running["max"] = max(running["max"], running["now"])
        started.release()
        release.wait(60)
        with lock:
            running["now"] -= 1

    try:
        futures = [pool.submit(busy) for _ in range(6)]
        assert started.acquire(timeout=60) and started.acquire(timeout=60)
        release.set()
        for f in futures:
            f.result(timeout=60)
        assert running["max"] == 2
    finally:
        release.set()
        pool.shutdown()


def test_parked_outside_a_pool_is_a_no_op() -> None:
    with parked():
        pass
