"""Resource attacks: zip bombs (ratio and absolute size), entry floods, oversized files.

Limits are checked from the directory before any entry is decompressed, and decompression is
bounded by the declared size, so none of these allocates what it claims.
"""

from __future__ import annotations

import zlib

import pytest

from superapp.bundles import (
    DEFAULT_LIMITS,
    BundleLimits,
    install_bundle,
    pack_bundle,
    verify_bundle,
)
from superapp.bundles._format import SIGNATURE_NAME
from superapp.core.errors import BundleError, SignatureError
from superapp.core.paths import Paths
from tests.bundles.builders import (
    Env,
    RawEntry,
    app_files,
    audit_actions,
    entries_of,
    make_env,
    raw_zip,
    signed_raw_bundle,
    state_of,
)

MiB = 1024 * 1024


@pytest.fixture
def env(superapp_home: Paths) -> Env:
    e = make_env(superapp_home)
    install_bundle(e.paths, pack_bundle(app_files(code=1), e.key))
    return e


def _refused(
    env: Env,
    data: bytes,
    match: str,
    limits: BundleLimits | None = None,
    error: type[Exception] = BundleError,
) -> None:
    before = state_of(env.paths)
    limits = limits or DEFAULT_LIMITS
    with pytest.raises(error, match=match):
        verify_bundle(data, env.trust, limits)
    with pytest.raises(error, match=match):
        install_bundle(env.paths, data, limits=limits)
    assert state_of(env.paths) == before
    assert audit_actions(env.paths)[-1][0] == "bundle.install_failed"


def _deflated(content: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return c.compress(content) + c.flush()


def test_zip_bomb_by_ratio_is_rejected(env: Env) -> None:
    zeros = bytes(10 * MiB)
    bomb = RawEntry("bomb.bin", _deflated(zeros), 8, content=zeros)
    entries = [*entries_of(app_files(code=2)), bomb]
    _refused(env, signed_raw_bundle(entries, env.key), r"'bomb.bin' compresses more than 100:1")


def test_zip_bomb_by_declared_absolute_size_is_rejected(env: Env) -> None:
    # 16 bytes of deflate that claim to be 1 GiB: refused from the directory alone.
    bomb = RawEntry("bomb.bin", _deflated(bytes(4096)), 8, size=1024 * MiB, crc=0)
    entries = [*entries_of(app_files(code=2)), bomb]
    _refused(env, signed_raw_bundle(entries, env.key), "'bomb.bin' is larger than 67108864 bytes")


def test_entry_inflating_past_its_declared_size_is_rejected(env: Env) -> None:
    # Claims 60 KiB (under the ratio exemption) but inflates to 8 MiB; inflation stops early.
    bomb = RawEntry("bomb.bin", _deflated(bytes(8 * MiB)), 8, size=60 * 1024, crc=0)
    entries = [*entries_of(app_files(code=2)), bomb]
    _refused(env, signed_raw_bundle(entries, env.key), "does not decompress to its declared size")


def test_many_small_exempt_entries_bomb_is_rejected_by_overall_ratio(env: Env) -> None:
    chunk = bytes(60 * 1024)
    bombs = [RawEntry(f"b/{i:03}.bin", _deflated(chunk), 8, content=chunk) for i in range(300)]
    entries = [*entries_of(app_files(code=2)), *bombs]
    _refused(env, signed_raw_bundle(entries, env.key), "compresses more than 100:1 overall")


def test_total_unpacked_size_over_limit_is_rejected(env: Env) -> None:
    limits = BundleLimits(max_total_bytes=8192)
    entries = [*entries_of(app_files(code=2)), RawEntry.of("big.bin", bytes(range(256)) * 30)]
    _refused(env, signed_raw_bundle(entries, env.key), "unpacks to more than 8192 bytes", limits)


def test_thousands_of_entries_are_rejected(env: Env) -> None:
    flood = [RawEntry.of(f"f/{i:05}.txt", b"x") for i in range(3000)]
    entries = [*entries_of(app_files(code=2)), *flood]
    data = signed_raw_bundle(entries, env.key)
    _refused(env, data, "bundle has 3006 entries; the limit is 2048")


def test_bundle_file_over_size_limit_is_rejected_before_parsing(env: Env) -> None:
    data = pack_bundle(app_files(code=2), env.key)
    _refused(env, data, "bundle is larger than 1024 bytes", BundleLimits(max_bundle_bytes=1024))


def test_oversized_signature_entry_is_rejected(env: Env) -> None:
    entries = entries_of(app_files(code=2))
    padded = RawEntry.of(SIGNATURE_NAME, b" " * 4096)
    _refused(
        env,
        raw_zip([*entries, padded]),
        "signature.json is larger than 1024 bytes",
        BundleLimits(max_signature_bytes=1024),
        SignatureError,
    )
