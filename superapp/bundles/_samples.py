"""First-run set-up of the bundled sample mini-apps.

The samples are signed on this machine by a per-machine *sample publisher* key, generated on
first use under ``<data>/keys/`` (private key mode 0600, never shipped or committed), whose
public key is trusted under the name ``superapp samples``. Every folder under the samples root
that has a ``manifest.json`` is packed with that key and installed, or updated when its version
code went up; the same version already installed is left alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.bundles._install import install_bundle
from superapp.bundles._manifest import MANIFEST_NAME, load_manifest_dir
from superapp.bundles._pack import pack_dir
from superapp.bundles._trust import (
    TrustStore,
    key_id_of,
    load_private_key,
    write_private_key,
)
from superapp.core.errors import NotInstalledError
from superapp.core.paths import Paths
from superapp.resources import samples_root
from superapp.state.registry import InstalledApp, get_app

__all__ = [
    "SAMPLE_KEY_FILE",
    "SAMPLE_PUBLISHER",
    "default_samples_root",
    "install_samples",
    "sample_key",
]

SAMPLE_PUBLISHER: Final = "superapp samples"
SAMPLE_KEY_FILE: Final = "sample-publisher.key"


def default_samples_root() -> Path:
    """The sample mini-apps shipped with the package (edited in the repository's ``miniapps/``)."""
    return samples_root()


def sample_key(paths: Paths) -> Ed25519PrivateKey:
    """This machine's sample publisher key, created (and trusted) on first use."""
    keys = paths.data / "keys"
    keys.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = keys / SAMPLE_KEY_FILE
    if path.exists():
        key = load_private_key(path)
    else:
        key = Ed25519PrivateKey.generate()
        write_private_key(path, key)
    trust = TrustStore(paths)
    key_id = key_id_of(key.public_key())
    if key_id not in {k.key_id for k in trust.list()}:
        trust.add(key.public_key(), SAMPLE_PUBLISHER)
    return key


def install_samples(paths: Paths, src_root: Path | None = None) -> list[InstalledApp]:
    """Sign and install (or update) every sample app under ``src_root``.

    Raises:
        ManifestError / BundleError: a sample folder is invalid.
        InstallError: a sample's id is installed from another publisher or at a newer version.
    """
    root = src_root if src_root is not None else default_samples_root()
    folders = (
        sorted(p for p in root.iterdir() if (p / MANIFEST_NAME).is_file()) if root.is_dir() else []
    )
    if not folders:
        return []
    key = sample_key(paths)
    key_id = key_id_of(key.public_key())
    installed: list[InstalledApp] = []
    for folder in folders:
        manifest = load_manifest_dir(folder)
        try:
            current = get_app(paths, manifest.app_id)
        except NotInstalledError:
            current = None
        if (
            current is not None
            and current.key_id == key_id
            and current.version_code == manifest.version.code
        ):
            installed.append(current)
            continue
        installed.append(install_bundle(paths, pack_dir(folder, key)))
    return installed
