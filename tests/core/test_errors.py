"""The one exception tree and its one mapping table to bridge wire codes."""

from __future__ import annotations

import inspect

import pytest

import bridge.errors
from superapp.core import errors
from superapp.core.errors import (
    CODES,
    WIRE_CODES,
    BridgeError,
    SuperappError,
    to_bridge_error,
    wire_error,
)

#: Every error class the tree defines (the module's public classes deriving from the root).
ERROR_CLASSES = sorted(
    (
        obj
        for name, obj in vars(errors).items()
        if inspect.isclass(obj) and issubclass(obj, SuperappError) and name in errors.__all__
    ),
    key=lambda cls: cls.__name__,
)

#: Host errors whose text may name a host path: the page must get a fixed message instead.
_HOST_ONLY = (
    errors.UsageError,
    errors.ManifestError,
    errors.BundleError,
    errors.TrustError,
    errors.PolicyError,
    errors.AuditError,
    errors.ProfileError,
    errors.RevocationError,
    errors.KeyManagementError,
    errors.EgressUnavailableError,
)


def _instance(cls: type[SuperappError], message: str) -> SuperappError:
    if cls is errors.NotInstalledError:
        return errors.NotInstalledError("com.example.x")
    if cls is errors.InvalidPathError:
        return errors.InvalidPathError(message, rule="dotdot")
    if cls is errors.RequestBlockedError:
        return errors.RequestBlockedError("https://x.example/", "host", message)
    return cls(message)


def test_the_tree_has_one_root_and_every_class_is_exported() -> None:
    defined = {
        name
        for name, obj in vars(errors).items()
        if inspect.isclass(obj) and issubclass(obj, SuperappError)
    }
    assert defined <= set(errors.__all__)
    # The four the old tree left out are in it now.
    for name in ("NetError", "RevocationError", "ProfileError", "InboxFullError"):
        assert name in defined
    assert len(ERROR_CLASSES) >= 50


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_the_mapping_table_lists_every_error_class(cls: type[SuperappError]) -> None:
    assert cls in WIRE_CODES, f"{cls.__name__} has no row in WIRE_CODES"
    mapped = wire_error(_instance(cls, "/home/alice/secret/path"))
    assert isinstance(mapped, BridgeError)
    assert mapped.code in CODES


@pytest.mark.parametrize("cls", _HOST_ONLY, ids=lambda cls: cls.__name__)
def test_a_host_error_never_carries_its_text_to_the_page(cls: type[SuperappError]) -> None:
    mapped = wire_error(_instance(cls, "/home/alice/secret/path"))
    assert mapped.code == "INTERNAL"
    assert "/home/alice" not in mapped.message


@pytest.mark.parametrize(
    ("err", "code", "message"),
    [
        (errors.QuotaError("over quota"), "QUOTA_EXCEEDED", "over quota"),
        (errors.InvalidPathError("bad path", rule="dotdot"), "INVALID_PARAMS", "bad path"),
        (errors.ValueTooLargeError("too big"), "PAYLOAD_TOO_LARGE", "too big"),
        (errors.UnreadableError("/p"), "INTERNAL", "stored data is unreadable"),
        (errors.StorageError("/p"), "INTERNAL", "storage is unavailable"),
        (errors.NetBusyError("busy"), "RATE_LIMITED", "busy"),
        (errors.RequestTimeoutError("timed out"), "NETWORK_BLOCKED", "timed out"),
        (errors.RequestInvalidError("bad header"), "INVALID_PARAMS", "bad header"),
        (
            errors.RequestBlockedError("https://x.example/", "host", "not allowed"),
            "NETWORK_BLOCKED",
            "https://x.example/ is blocked: not allowed",
        ),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else None,
)
def test_service_errors_keep_the_codes_and_messages_they_had(
    err: SuperappError, code: str, message: str
) -> None:
    mapped = wire_error(err)
    assert (mapped.code, mapped.message) == (code, message)


def test_a_bridge_error_is_its_own_wire_error_and_a_bug_is_not_mapped() -> None:
    err = errors.ConsentDeniedError("no")
    assert wire_error(err) is err
    assert to_bridge_error(err) is err
    assert to_bridge_error(TypeError("bug")) is None
    assert to_bridge_error(KeyError("x")) is None


def test_the_package_modules_re_export_the_same_classes() -> None:
    from superapp.net import NetError
    from superapp.revocation import RevocationError
    from superapp.state import inbox, profile
    from superapp.storage import QuotaError

    assert bridge.errors.QuotaExceededError is errors.QuotaExceededError
    assert profile.ProfileError is errors.ProfileError
    assert inbox.InboxFullError is errors.InboxFullError
    assert NetError is errors.NetError
    assert RevocationError is errors.RevocationError
    assert QuotaError is errors.QuotaError
