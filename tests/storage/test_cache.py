"""Cache eviction under a free-space threshold never touches storage/ or files/."""

from __future__ import annotations

import os
from pathlib import Path

from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.storage import StorageLimits, app_cache_dir, evict_caches, open_store

A, B = "com.example.a", "com.example.b"
LIMITS = StorageLimits(cache_min_free_bytes=10_000, cache_target_free_bytes=25_000)


def _cache_bytes(paths: Paths) -> int:
    return sum(
        p.stat().st_size
        for p in paths.apps.glob("*/cache/**/*")
        if p.is_file() and not p.is_symlink()
    )


class Disk:
    """A volume whose free space is ``base`` plus whatever eviction has freed."""

    def __init__(self, paths: Paths, base: int) -> None:
        self.paths, self.base, self.start = paths, base, _cache_bytes(paths)

    def __call__(self, _folder: Path) -> int:
        return self.base + self.start - _cache_bytes(self.paths)


def _snapshot(paths: Paths) -> dict[str, bytes]:
    return {
        str(p): p.read_bytes()
        for app in (A, B)
        for sub in ("storage", "files")
        for p in (paths.app_dir(app) / sub).rglob("*")
        if p.is_file()
    }


def _populate(paths: Paths) -> None:
    for n, app in enumerate((A, B)):
        with open_store(paths, app) as store:
            store.kv.set("k", "keep me")
            store.files.write("doc.txt", b"keep me too")
        cache = app_cache_dir(paths, app)
        (cache / "sub").mkdir()
        for i in range(5):
            f = cache / ("sub" if i % 2 else ".") / f"c{i}.bin"
            f.write_bytes(b"c" * 5_000)
            os.utime(f, (1_000 + 10 * i + n, 1_000 + 10 * i + n))  # oldest: A/c0, B/c0, A/c1


def test_nothing_is_evicted_while_free_space_is_above_the_threshold(paths: Paths) -> None:
    _populate(paths)
    report = evict_caches(paths, LIMITS, free_bytes=Disk(paths, 10_000))
    assert report.files_removed == 0
    assert _cache_bytes(paths) == 50_000


def test_low_disk_evicts_oldest_cache_files_first_and_only_cache_files(
    paths: Paths, audit: AuditLog
) -> None:
    _populate(paths)
    before = _snapshot(paths)
    report = evict_caches(paths, LIMITS, audit=audit, free_bytes=Disk(paths, 9_999))
    assert report.free_before == 9_999 and report.free_after >= 25_000
    assert report.files_removed == 4  # 9,999 + 4 x 5,000 >= 25,000
    assert not (paths.app_cache(A) / "c0.bin").exists()
    assert not (paths.app_cache(B) / "c0.bin").exists()
    assert not (paths.app_cache(A) / "sub" / "c1.bin").exists()
    assert (paths.app_cache(A) / "c4.bin").exists()
    assert _snapshot(paths) == before
    evicted = [e for e in audit.events() if e["event"]["action"] == "storage.cache_evicted"]
    assert {e["superapp"]["app_id"] for e in evicted} == {A, B}


def test_links_in_or_as_the_cache_never_lead_eviction_into_storage(paths: Paths) -> None:
    _populate(paths)
    before = _snapshot(paths)
    # A's cache holds a link to its files folder; B's cache folder *is* a link to its storage.
    os.symlink(paths.app_files(A), paths.app_cache(A) / "sub" / "to-files")
    for f in paths.app_cache(B).rglob("*"):
        if f.is_file():
            f.unlink()
    (paths.app_cache(B) / "sub").rmdir()
    paths.app_cache(B).rmdir()
    os.symlink(paths.app_storage(B), paths.app_cache(B))
    evict_caches(paths, LIMITS, free_bytes=lambda _f: 0)  # evict everything it can
    assert _snapshot(paths) == before
    assert paths.app_files(A).is_dir() and paths.app_storage(B).is_dir()
    assert not list(paths.app_cache(A).rglob("*.bin"))
