"""The per-app quota holds exactly, is shared by storage.* and files.*, and survives races."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from bridge.capabilities import files as files_api
from bridge.capabilities import storage as api
from bridge.context import CallContext
from bridge.errors import QuotaExceededError
from superapp.core.paths import Paths
from superapp.storage import QuotaError, StorageLimits, open_store

APP = "com.example.hog"
QUOTA = 1000
CHILD = Path(__file__).with_name("storage_child.py")


@pytest.fixture
def ctx(make_ctx: Callable[[str], CallContext], paths: Paths) -> CallContext:
    c = make_ctx(APP)
    c.set_resource(
        api.RESOURCE_KEY, open_store(paths, APP, limits=StorageLimits(quota_bytes=QUOTA))
    )
    return c


def _value_of_size(total: int, key: str = "k") -> str:
    """A string value whose entry (key + JSON with quotes) costs exactly ``total`` bytes."""
    return "x" * (total - len(key) - 2)


def test_write_exactly_at_quota_is_accepted(ctx: CallContext) -> None:
    api.set_(ctx, api.StorageSet(key="k", value=_value_of_size(QUOTA)))
    assert api.usage(ctx, api.StorageUsage())["used"] == QUOTA
    assert api.usage(ctx, api.StorageUsage())["available"] == 0


def test_write_one_byte_over_quota_is_refused_and_changes_nothing(ctx: CallContext) -> None:
    api.set_(ctx, api.StorageSet(key="a", value="small"))
    before = api.usage(ctx, api.StorageUsage())
    with pytest.raises(QuotaExceededError, match=f"quota of {QUOTA} bytes"):
        api.set_(ctx, api.StorageSet(key="k", value=_value_of_size(QUOTA - before["used"] + 1)))
    assert api.usage(ctx, api.StorageUsage()) == before
    assert api.get(ctx, api.StorageGet(key="k")) is None
    assert api.get(ctx, api.StorageGet(key="a")) == "small"


def test_growing_an_existing_value_past_quota_keeps_the_old_value(ctx: CallContext) -> None:
    api.set_(ctx, api.StorageSet(key="k", value=_value_of_size(QUOTA)))
    with pytest.raises(QuotaExceededError):
        api.set_(ctx, api.StorageSet(key="k", value=_value_of_size(QUOTA + 1)))
    assert api.get(ctx, api.StorageGet(key="k")) == _value_of_size(QUOTA)
    api.set_(ctx, api.StorageSet(key="k", value="shrunk"))  # shrinking is always allowed
    assert api.usage(ctx, api.StorageUsage())["used"] == len("k") + len('"shrunk"')


def test_files_and_values_share_one_quota(ctx: CallContext) -> None:
    path = "big.bin"
    files_api.write(ctx, files_api.FilesWrite(path=path, data="y" * (QUOTA - len(path) - 10)))
    assert api.usage(ctx, api.StorageUsage())["used"] == QUOTA - 10
    api.set_(ctx, api.StorageSet(key="k", value=_value_of_size(10)))  # exactly at
    with pytest.raises(QuotaExceededError):
        api.set_(ctx, api.StorageSet(key="k2", value=1))
    with pytest.raises(QuotaExceededError):
        files_api.write(ctx, files_api.FilesWrite(path="more.txt", data="z"))
    assert files_api.list_(ctx, files_api.FilesList()) == [
        {"name": path, "kind": "file", "size": QUOTA - len(path) - 10}
    ]
    files_api.delete(ctx, files_api.FilesDelete(path=path))
    api.set_(ctx, api.StorageSet(key="k2", value=1))


def test_key_count_limit_is_quota_exceeded(paths: Paths) -> None:
    with open_store(paths, APP, limits=StorageLimits(max_keys=3)) as store:
        for i in range(3):
            store.kv.set(f"k{i}", i)
        with pytest.raises(QuotaError, match="3 keys"):
            store.kv.set("k3", 3)
        store.kv.set("k0", "overwrite is fine")
        assert store.usage().keys == 3


def test_concurrent_threads_racing_the_quota_never_exceed_it(paths: Paths) -> None:
    limits = StorageLimits(quota_bytes=5_000)
    stores = [open_store(paths, APP, limits=limits) for _ in range(4)]
    start = threading.Barrier(len(stores))
    accepted: list[str] = []
    lock = threading.Lock()

    def hammer(n: int) -> None:
        start.wait()
        for i in range(30):
            key = f"t{n}-{i:03d}"  # each entry costs 6 + 100 = 106 bytes
            try:
                stores[n].kv.set(key, "v" * 98)
            except QuotaError:
                continue
            with lock:
                accepted.append(key)

    try:
        threads = [threading.Thread(target=hammer, args=(n,)) for n in range(len(stores))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        usage = stores[0].usage()
        assert sorted(accepted) == stores[0].kv.keys()
        assert usage.used == 106 * len(accepted) <= 5_000
        assert len(accepted) == 5_000 // 106  # the quota was filled, not just respected
    finally:
        for s in stores:
            s.close()


def test_concurrent_processes_racing_the_quota_never_exceed_it(paths: Paths) -> None:
    home = str(paths.data.parent)
    with open_store(paths, APP):
        pass  # make the data key first, so the race is on the quota only
    argv = [sys.executable, str(CHILD), "race", home, APP]
    procs = [
        subprocess.Popen([*argv, f"p{n}", "25", "4000"], stdout=subprocess.PIPE, text=True)
        for n in range(3)
    ]
    accepted: list[str] = []
    for proc in procs:
        with proc:
            out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        accepted += [line.split()[1] for line in out.splitlines() if line.startswith("ok ")]
    with open_store(paths, APP, limits=StorageLimits(quota_bytes=4000)) as store:
        assert sorted(accepted) == store.kv.keys()
        assert store.usage().used == 107 * len(accepted) <= 4000  # "p0-0000" + 100
        assert len(accepted) == 4000 // 107
