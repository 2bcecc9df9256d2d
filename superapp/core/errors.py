"""The whole exception tree, and the one table that turns an error into a bridge wire code.

Every error the host or the bridge raises on purpose derives from ``SuperappError``::

    SuperappError                      one-line, user-facing message; CLI exit code 1
    ├── UsageError                     bad CLI arguments or an unknown app id (exit 2)
    ├── NotInstalledError              no installed app with that id (exit 2)
    ├── AppStateError                  the app is (not) running, locked by another host, ...
    ├── ManifestError                  manifest.json missing or invalid (names the field)
    ├── BundleError                    a .sapp that is malformed, tampered with or over a limit
    │   ├── SignatureError             signature missing, malformed, or from an untrusted key
    │   └── ScanInputError             not a folder or readable .sapp for the scanner (exit 2)
    ├── TrustError                     trust store problems (unknown key id, bad key file)
    ├── InstallError                   install/update/remove refused (downgrade, publisher change)
    ├── StorageError                   per-app storage problems on the host side
    │   ├── InvalidKeyError            a key that is empty, too long or not valid text
    │   ├── InvalidValueError          a value that is not JSON
    │   ├── InvalidPathError           a file path refused by the confinement rules (``rule``)
    │   ├── ValueTooLargeError         one value or file over its size limit
    │   ├── QuotaError                 the write would take the app over its quota
    │   ├── UnreadableError            a stored value/file failed authentication
    │   └── KeyManagementError         master/data key unavailable (may name host paths)
    ├── PolicyError                    the host policy file is invalid
    │   └── DenylistError              a denylist file is unreadable or malformed (exit 2)
    ├── AuditError                     the audit log is unreadable or fails verification
    ├── RuntimeStartError              a mini-app runtime could not be started
    ├── ProfileError                   profile.json is unreadable or invalid
    ├── InboxFullError                 the recipient has too many unread shared items
    ├── EgressUnavailableError         the egress proxy is not running or not answering
    ├── NetError                       ``net.request`` failures
    │   ├── RequestBlockedError        the policy (or a DNS answer) refused a hop
    │   ├── RequestInvalidError        a malformed request
    │   ├── RequestTooLargeError       request body over the limit
    │   ├── ResponseTooLargeError      response body over the limit
    │   ├── RequestTimeoutError        the request ran out of time
    │   ├── ConnectionFailedError      DNS, connect, TLS or protocol failure
    │   └── NetBusyError               too many requests in flight
    ├── RevocationError                the kill switch (``rule`` names what failed)
    │   ├── FetchError                 the document could not be fetched ("fetch")
    │   ├── DocumentFormatError        not a revocation document we understand ("format")
    │   ├── UnknownKeyError            signed by no trusted platform key ("unknown_key")
    │   ├── BadSignatureError          a trusted key's signature does not verify ("bad_signature")
    │   ├── ThresholdError             too few distinct trusted keys signed ("threshold")
    │   ├── RollbackError              older than (or conflicting with) what we hold ("rollback")
    │   ├── KeysetRollbackError        rotates back to an older key set ("keyset_rollback")
    │   └── ExpiredError               past its ``expires`` time ("expired")
    ├── FleetError                     the mini-app repository (TUF) refused or failed (``rule``)
    └── BridgeError                    an error a page sees; carries its wire ``code``
        ├── UnknownApiError            UNKNOWN_API
        ├── InvalidParamsError         INVALID_PARAMS
        ├── PermissionDeniedError      PERMISSION_DENIED  capability not declared / not granted
        ├── ConsentDeniedError         CONSENT_DENIED     the user said no
        ├── RateLimitedError           RATE_LIMITED
        ├── QuotaExceededError         QUOTA_EXCEEDED
        ├── PayloadTooLargeError       PAYLOAD_TOO_LARGE
        ├── NetworkBlockedError        NETWORK_BLOCKED
        ├── NetworkFailedError         NETWORK_BLOCKED    timeout, DNS, connect, TLS failure
        ├── RevokedError               REVOKED
        └── InternalError              INTERNAL           never carries detail to the page

``WIRE_CODES`` maps every class above to the wire code (and message) a page gets for it;
``to_bridge_error`` applies it. It is used at the bridge boundary (the dispatcher), and by the
capability modules' context managers that add an audit line before the same mapping.
Programming mistakes stay ``TypeError`` / ``RuntimeError`` and become ``INTERNAL`` with the
detail only in the host log.

The message of a ``BridgeError`` goes to the page, so it must never contain a host path, a
traceback or another app's data: host-side errors whose message may name a host path map to a
fixed message (``WireRule.message``). Messages never contain secrets; host-side messages may
name host paths because they are shown only to the local user (CLI, launcher).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal, get_args

__all__ = [
    "CODES",
    "WIRE_CODES",
    "AppStateError",
    "AuditError",
    "BadSignatureError",
    "BridgeError",
    "BundleError",
    "ConnectionFailedError",
    "ConsentDeniedError",
    "DenylistError",
    "DocumentFormatError",
    "EgressUnavailableError",
    "ErrorCode",
    "ExpiredError",
    "FetchError",
    "FleetError",
    "InboxFullError",
    "InstallError",
    "InternalError",
    "InvalidKeyError",
    "InvalidParamsError",
    "InvalidPathError",
    "InvalidValueError",
    "KeyManagementError",
    "KeysetRollbackError",
    "ManifestError",
    "NetBusyError",
    "NetError",
    "NetworkBlockedError",
    "NetworkFailedError",
    "NotInstalledError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PolicyError",
    "ProfileError",
    "QuotaError",
    "QuotaExceededError",
    "RateLimitedError",
    "RequestBlockedError",
    "RequestInvalidError",
    "RequestTimeoutError",
    "RequestTooLargeError",
    "ResponseTooLargeError",
    "RevocationError",
    "RevokedError",
    "RollbackError",
    "RuntimeStartError",
    "ScanInputError",
    "SignatureError",
    "StorageError",
    "SuperappError",
    "ThresholdError",
    "TrustError",
    "UnknownApiError",
    "UnknownKeyError",
    "UnreadableError",
    "UsageError",
    "ValueTooLargeError",
    "WireRule",
    "to_bridge_error",
    "wire_error",
]


class SuperappError(Exception):
    """Base of every deliberate host error; ``str(err)`` is a complete one-line message."""

    exit_code: int = 1


# --- host ---------------------------------------------------------------------------------
class UsageError(SuperappError):
    exit_code = 2


class NotInstalledError(SuperappError):
    exit_code = 2

    def __init__(self, app_id: str) -> None:
        super().__init__(f"no installed mini-app with id {app_id!r} (see 'superapp list')")
        self.app_id = app_id


class AppStateError(SuperappError):
    pass


class ManifestError(SuperappError):
    pass


class BundleError(SuperappError):
    pass


class SignatureError(BundleError):
    pass


class ScanInputError(BundleError):
    """The path is not a folder or a readable .sapp, or the archive is unsafe to read."""

    exit_code = 2


class TrustError(SuperappError):
    pass


class InstallError(SuperappError):
    pass


class PolicyError(SuperappError):
    pass


class DenylistError(PolicyError):
    """A denylist file is unreadable or has a malformed line."""

    exit_code = 2


class AuditError(SuperappError):
    pass


class RuntimeStartError(SuperappError):
    pass


class ProfileError(SuperappError):
    """profile.json is unreadable or invalid (names the field)."""


class InboxFullError(SuperappError):
    pass


class EgressUnavailableError(SuperappError):
    """The egress proxy is not running or not answering: no engine may start without it."""


# --- storage ------------------------------------------------------------------------------
class StorageError(SuperappError):
    pass


class InvalidKeyError(StorageError):
    pass


class InvalidValueError(StorageError):
    pass


class InvalidPathError(StorageError):
    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message)
        #: Short name of the rule that refused the path (for the audit log).
        self.rule = rule


class ValueTooLargeError(StorageError):
    pass


class QuotaError(StorageError):
    pass


class UnreadableError(StorageError):
    pass


class KeyManagementError(StorageError):
    pass


# --- net ----------------------------------------------------------------------------------
class NetError(SuperappError):
    """Base of ``net.request`` failures; ``WIRE_CODES`` maps each subclass to a wire code."""


class RequestBlockedError(NetError):
    """The policy (or a DNS answer) refused a hop; ``url`` is the URL refused."""

    def __init__(self, url: str, rule: str, reason: str) -> None:
        super().__init__(f"{url} is blocked: {reason}")
        self.url, self.rule, self.reason = url, rule, reason


class RequestInvalidError(NetError):
    pass


class RequestTooLargeError(NetError):
    pass


class ResponseTooLargeError(NetError):
    pass


class RequestTimeoutError(NetError):
    pass


class ConnectionFailedError(NetError):
    pass


class NetBusyError(NetError):
    pass


# --- fleet (the mini-app repository, superapp/fleet) --------------------------------------
class FleetError(SuperappError):
    """A repository or store operation refused or failed; ``rule`` names which check (the TUF
    threat it defends against, e.g. ``rollback``, ``freeze``, ``bad_target``) or step."""

    def __init__(self, message: str, rule: str = "fleet") -> None:
        super().__init__(message)
        self.rule = rule


# --- revocation ---------------------------------------------------------------------------
class RevocationError(SuperappError):
    rule: ClassVar[str] = "revocation"


class FetchError(RevocationError):
    rule = "fetch"


class DocumentFormatError(RevocationError):
    rule = "format"


class UnknownKeyError(RevocationError):
    rule = "unknown_key"


class BadSignatureError(RevocationError):
    rule = "bad_signature"


class ThresholdError(RevocationError):
    rule = "threshold"


class RollbackError(RevocationError):
    rule = "rollback"


class KeysetRollbackError(RevocationError):
    rule = "keyset_rollback"


class ExpiredError(RevocationError):
    rule = "expired"


# --- bridge (what a page sees, DESIGN §5) ---------------------------------------------------
ErrorCode = Literal[
    "UNKNOWN_API",
    "INVALID_PARAMS",
    "PERMISSION_DENIED",
    "CONSENT_DENIED",
    "RATE_LIMITED",
    "QUOTA_EXCEEDED",
    "PAYLOAD_TOO_LARGE",
    "NETWORK_BLOCKED",
    "REVOKED",
    "INTERNAL",
]

CODES: tuple[ErrorCode, ...] = get_args(ErrorCode)


class BridgeError(SuperappError):
    code: ClassVar[ErrorCode] = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownApiError(BridgeError):
    code = "UNKNOWN_API"


class InvalidParamsError(BridgeError):
    code = "INVALID_PARAMS"


class PermissionDeniedError(BridgeError):
    code = "PERMISSION_DENIED"


class ConsentDeniedError(BridgeError):
    code = "CONSENT_DENIED"


class RateLimitedError(BridgeError):
    code = "RATE_LIMITED"


class QuotaExceededError(BridgeError):
    code = "QUOTA_EXCEEDED"


class PayloadTooLargeError(BridgeError):
    code = "PAYLOAD_TOO_LARGE"


class NetworkBlockedError(BridgeError):
    code = "NETWORK_BLOCKED"


class NetworkFailedError(BridgeError):
    """The request could not complete: timeout, DNS, connection, TLS or protocol failure.

    The wire codes of DESIGN §5 have none for this yet, so it travels as ``NETWORK_BLOCKED``
    with a message that says what failed; a dedicated code is one row in ``WIRE_CODES``.
    """

    code = "NETWORK_BLOCKED"


class RevokedError(BridgeError):
    code = "REVOKED"


class InternalError(BridgeError):
    code = "INTERNAL"


# --- the one mapping table ------------------------------------------------------------------
@dataclass(frozen=True)
class WireRule:
    """How one error class reaches the page: the bridge error it becomes, and its message.

    ``message`` None passes ``str(err)`` through: only for errors whose message is written to be
    safe for the page (it names the app's own key, path or URL, never a host path).
    """

    bridge: type[BridgeError]
    message: str | None = None


_INTERNAL = WireRule(InternalError, "internal error")


def _own(cls: type[BridgeError]) -> WireRule:
    return WireRule(cls)


#: Every error class of the tree, and what a page sees for it. A class missing here would fall
#: back to its nearest listed base; tests/core/test_errors.py holds that none is missing.
WIRE_CODES: Mapping[type[SuperappError], WireRule] = {
    # Host-side errors never reach a page with their text (it may name host paths).
    SuperappError: _INTERNAL,
    UsageError: _INTERNAL,
    NotInstalledError: _INTERNAL,
    AppStateError: _INTERNAL,
    ManifestError: _INTERNAL,
    BundleError: _INTERNAL,
    SignatureError: _INTERNAL,
    ScanInputError: _INTERNAL,
    TrustError: _INTERNAL,
    InstallError: _INTERNAL,
    PolicyError: _INTERNAL,
    DenylistError: _INTERNAL,
    AuditError: _INTERNAL,
    RuntimeStartError: _INTERNAL,
    ProfileError: _INTERNAL,
    EgressUnavailableError: _INTERNAL,
    RevocationError: _INTERNAL,
    FetchError: _INTERNAL,
    DocumentFormatError: _INTERNAL,
    UnknownKeyError: _INTERNAL,
    BadSignatureError: _INTERNAL,
    ThresholdError: _INTERNAL,
    RollbackError: _INTERNAL,
    KeysetRollbackError: _INTERNAL,
    ExpiredError: _INTERNAL,
    FleetError: _INTERNAL,
    InboxFullError: WireRule(QuotaExceededError, "the recipient has too many unread shared items"),
    # Storage (storage.* and files.*): the first five name only the app's own key or path.
    StorageError: WireRule(InternalError, "storage is unavailable"),
    InvalidKeyError: WireRule(InvalidParamsError),
    InvalidValueError: WireRule(InvalidParamsError),
    InvalidPathError: WireRule(InvalidParamsError),
    ValueTooLargeError: WireRule(PayloadTooLargeError),
    QuotaError: WireRule(QuotaExceededError),
    UnreadableError: WireRule(InternalError, "stored data is unreadable"),
    KeyManagementError: WireRule(InternalError, "storage is unavailable"),
    # net.request: messages name the page's own URL and the rule, never a host path.
    NetError: WireRule(NetworkFailedError),
    RequestBlockedError: WireRule(NetworkBlockedError),
    RequestInvalidError: WireRule(InvalidParamsError),
    RequestTooLargeError: WireRule(PayloadTooLargeError),
    ResponseTooLargeError: WireRule(PayloadTooLargeError),
    RequestTimeoutError: WireRule(NetworkFailedError),
    ConnectionFailedError: WireRule(NetworkFailedError),
    NetBusyError: WireRule(RateLimitedError),
    # Bridge errors are already what the page sees.
    BridgeError: _own(BridgeError),
    UnknownApiError: _own(UnknownApiError),
    InvalidParamsError: _own(InvalidParamsError),
    PermissionDeniedError: _own(PermissionDeniedError),
    ConsentDeniedError: _own(ConsentDeniedError),
    RateLimitedError: _own(RateLimitedError),
    QuotaExceededError: _own(QuotaExceededError),
    PayloadTooLargeError: _own(PayloadTooLargeError),
    NetworkBlockedError: _own(NetworkBlockedError),
    NetworkFailedError: _own(NetworkFailedError),
    RevokedError: _own(RevokedError),
    InternalError: _own(InternalError),
}


def wire_error(err: SuperappError) -> BridgeError:
    """The bridge error a page sees for ``err``, by the nearest class listed in ``WIRE_CODES``."""
    if isinstance(err, BridgeError):
        return err
    for cls in type(err).__mro__:
        rule = WIRE_CODES.get(cls)
        if rule is not None:
            return rule.bridge(str(err) if rule.message is None else rule.message)
    raise AssertionError("unreachable: SuperappError itself is listed")  # pragma: no cover


def to_bridge_error(err: BaseException) -> BridgeError | None:
    """The bridge error a page sees for ``err``, or None for an unexpected exception.

    A ``BridgeError`` is returned as it is, another ``SuperappError`` mapped by ``wire_error``.
    Anything else (a programming mistake) gives None: the caller answers ``INTERNAL`` and logs
    the detail on the host only.
    """
    return wire_error(err) if isinstance(err, SuperappError) else None
