"""Signed mini-app bundles (``.sapp``): manifest model, pack, sign, verify, trust, install.

See ``_verify`` for the verification procedure and ``docs/bundles.md`` for developers.
"""

from superapp.bundles._format import SIGNATURE_NAME
from superapp.bundles._install import (
    BUNDLE_FILE,
    INSTALL_STEPS,
    REMOVE_HOOKS,
    InstallContext,
    InstallStep,
    install_bundle,
    open_installed,
    remove_app,
    verify_copy,
)
from superapp.bundles._limits import DEFAULT_LIMITS, BundleLimits
from superapp.bundles._manifest import (
    MANIFEST_NAME,
    RESERVED_PREFIX,
    Icon,
    Manifest,
    Permission,
    PlatformVersion,
    SuperappExtension,
    Version,
    Window,
    load_manifest_dir,
    parse_manifest,
)
from superapp.bundles._pack import collect_files, pack_bundle, pack_dir
from superapp.bundles._samples import (
    SAMPLE_PUBLISHER,
    default_samples_root,
    install_samples,
    sample_key,
)
from superapp.bundles._trust import (
    TrustedKey,
    TrustStore,
    generate_keypair,
    key_id_of,
    load_private_key,
    load_public_key,
)
from superapp.bundles._verify import VerifiedBundle, file_sha256, verify_bundle

__all__ = [
    "BUNDLE_FILE",
    "DEFAULT_LIMITS",
    "INSTALL_STEPS",
    "MANIFEST_NAME",
    "REMOVE_HOOKS",
    "RESERVED_PREFIX",
    "SAMPLE_PUBLISHER",
    "SIGNATURE_NAME",
    "BundleLimits",
    "Icon",
    "InstallContext",
    "InstallStep",
    "Manifest",
    "Permission",
    "PlatformVersion",
    "SuperappExtension",
    "TrustStore",
    "TrustedKey",
    "VerifiedBundle",
    "Version",
    "Window",
    "collect_files",
    "default_samples_root",
    "file_sha256",
    "generate_keypair",
    "install_bundle",
    "install_samples",
    "key_id_of",
    "load_manifest_dir",
    "load_private_key",
    "load_public_key",
    "open_installed",
    "pack_bundle",
    "pack_dir",
    "parse_manifest",
    "remove_app",
    "sample_key",
    "verify_bundle",
    "verify_copy",
]
