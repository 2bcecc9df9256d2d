"""Packing: deterministic output, folder rules, and pack→verify properties (hypothesis)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from superapp.bundles import (
    DEFAULT_LIMITS,
    TrustStore,
    collect_files,
    pack_bundle,
    pack_dir,
    verify_bundle,
)
from superapp.bundles._names import collision_key
from superapp.core.errors import BundleError, ManifestError, SuperappError
from superapp.core.paths import Paths
from tests.bundles.builders import app_files, manifest, write_tree


class Trusted:
    def __init__(self, root: Path) -> None:
        self.paths = Paths(root / "data", root / "state", root / "config", root / "cache")
        self.key = Ed25519PrivateKey.generate()
        self.trust = TrustStore(self.paths)
        self.trust.add(self.key.public_key(), "Example Co")


@pytest.fixture(scope="module")
def trusted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trusted]:
    yield Trusted(tmp_path_factory.mktemp("trusted"))


def test_same_folder_and_key_give_byte_identical_bundles(tmp_path: Path, trusted: Trusted) -> None:
    src = write_tree(tmp_path / "app", app_files())
    first = pack_dir(src, trusted.key)
    os.utime(src / "index.html", (0, 0))  # timestamps and walk order must not matter
    (src / "js" / "app.js").touch()
    assert pack_dir(src, trusted.key) == first
    assert pack_bundle(dict(reversed(list(app_files().items()))), trusted.key) == first


@pytest.mark.parametrize("deflate", [False, True], ids=["stored", "deflated"])
def test_packed_bundle_is_a_standard_zip(trusted: Trusted, deflate: bool) -> None:
    data = pack_bundle(app_files(), trusted.key, deflate=deflate)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        assert zf.namelist()[0] == "manifest.json"
        assert zf.namelist()[-1] == "META-INF/signature.json"
        assert zf.read("js/app.js") == app_files()["js/app.js"]


def test_hidden_files_are_left_out(tmp_path: Path, trusted: Trusted) -> None:
    files = {**app_files(), ".git/config": b"secret", ".DS_Store": b"x", "js/.env": b"TOKEN=1"}
    bundle = verify_bundle(pack_dir(write_tree(tmp_path, files), trusted.key), trusted.trust)
    assert set(bundle.names) == set(app_files())


def test_symlink_in_folder_is_refused(tmp_path: Path, trusted: Trusted) -> None:
    src = write_tree(tmp_path / "app", app_files())
    os.symlink("/etc/passwd", src / "js" / "passwd.js")
    with pytest.raises(BundleError, match=r"passwd\.js: symlinks are not allowed"):
        pack_dir(src, trusted.key)


def test_symlinked_folder_is_refused(tmp_path: Path, trusted: Trusted) -> None:
    src = write_tree(tmp_path / "app", app_files())
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", src / "lib")
    with pytest.raises(BundleError, match="symlinks are not allowed"):
        pack_dir(src, trusted.key)


def test_case_colliding_files_are_refused_when_packing(trusted: Trusted) -> None:
    with pytest.raises(BundleError, match="differ only by case"):
        pack_bundle({**app_files(), "JS/app.js": b"x"}, trusted.key)


def test_reserved_folder_is_refused_when_packing(trusted: Trusted) -> None:
    with pytest.raises(BundleError, match="reserved for the host"):
        pack_bundle({**app_files(), "META-INF/x": b"x"}, trusted.key)


def test_invalid_manifest_is_refused_when_packing(trusted: Trusted) -> None:
    files = app_files()
    files["manifest.json"] = json.dumps(manifest(app_id="bad")).encode()
    with pytest.raises(ManifestError, match="app_id"):
        pack_bundle(files, trusted.key)


def test_oversized_file_is_refused_when_packing(tmp_path: Path) -> None:
    from superapp.bundles import BundleLimits

    src = write_tree(tmp_path, {**app_files(), "big.bin": bytes(5000)})
    with pytest.raises(BundleError, match=r"big\.bin is larger than 4096 bytes"):
        collect_files(src, BundleLimits(max_file_bytes=4096))


def test_highly_compressible_file_is_stored_to_stay_within_the_ratio(trusted: Trusted) -> None:
    files = {**app_files(), "zeros.bin": bytes(8 * 1024 * 1024)}
    data = pack_bundle(files, trusted.key, deflate=True)
    assert verify_bundle(data, trusted.trust).read("zeros.bin") == bytes(8 * 1024 * 1024)


# --- properties ----------------------------------------------------------------------------

_part = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-é", min_size=1, max_size=12)
_name = (
    st.lists(_part, min_size=1, max_size=4)
    .map("/".join)
    .filter(lambda n: not n.startswith(("meta-inf", "manifest.json")))
)
_content = st.one_of(st.binary(max_size=3000), st.text(max_size=3000).map(str.encode))
_trees = st.dictionaries(_name, _content, max_size=12).filter(
    lambda t: len({collision_key(n) for n in t}) == len(t)
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=_trees, deflate=st.booleans())
def test_pack_then_verify_round_trips_any_file_tree(
    trusted: Trusted, tree: dict[str, bytes], deflate: bool
) -> None:
    doc = {"app_id": "com.example.tree", "name": "Tree", "version": {"name": "1", "code": 1}}
    files = {**tree, "manifest.json": json.dumps(doc).encode(), "index.html": b"<p>hi</p>"}
    data = pack_bundle(files, trusted.key, deflate=deflate)
    bundle = verify_bundle(data, trusted.trust)
    assert set(bundle.names) == set(files)
    for name, content in files.items():
        assert bundle.read(name) == content
    assert pack_bundle(files, trusted.key, deflate=deflate) == data


@pytest.fixture(scope="module", params=[False, True], ids=["stored", "deflated"])
def sample_bundle(trusted: Trusted, request: pytest.FixtureRequest) -> bytes:
    return pack_bundle(app_files(), trusted.key, deflate=bool(request.param))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_single_byte_change_is_rejected(
    trusted: Trusted, sample_bundle: bytes, data: st.DataObject
) -> None:
    position = data.draw(st.integers(0, len(sample_bundle) - 1), label="position")
    xor = data.draw(st.integers(1, 255), label="xor")
    mutated = bytearray(sample_bundle)
    mutated[position] ^= xor
    with pytest.raises(SuperappError):
        verify_bundle(bytes(mutated), trusted.trust)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_any_single_byte_insertion_or_deletion_is_rejected(
    trusted: Trusted, sample_bundle: bytes, data: st.DataObject
) -> None:
    position = data.draw(st.integers(0, len(sample_bundle) - 1), label="position")
    if data.draw(st.booleans(), label="insert"):
        byte = data.draw(st.integers(0, 255), label="byte")
        mutated = sample_bundle[:position] + bytes([byte]) + sample_bundle[position:]
    else:
        mutated = sample_bundle[:position] + sample_bundle[position + 1 :]
    with pytest.raises(SuperappError):
        verify_bundle(mutated, trusted.trust)


@pytest.mark.parametrize("extra", [0, 6 * 1024 * 1024], ids=["small", "large_parallel_digest"])
def test_digest_is_sha256_of_the_whole_file(trusted: Trusted, extra: int) -> None:
    data = pack_bundle({**app_files(), "big.bin": os.urandom(extra)}, trusted.key)
    bundle = verify_bundle(data, trusted.trust)
    assert bundle.digest == hashlib.sha256(data).hexdigest()
    assert bundle.size == len(data)


def test_unmodified_sample_bundle_verifies(trusted: Trusted, sample_bundle: bytes) -> None:
    bundle = verify_bundle(sample_bundle, trusted.trust, DEFAULT_LIMITS)
    assert bundle.read("icon.png") == app_files()["icon.png"]
    with pytest.raises(KeyError):
        bundle.read("META-INF/signature.json")
