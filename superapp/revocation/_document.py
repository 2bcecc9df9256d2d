"""The revocation document: model, canonical encoding, signing, and the verification procedure.

Shape (JSON, UTF-8)::

    {"signed": {
        "_type": "superapp.revocations", "spec_version": 1,
        "version": 7,                           monotonic; the host never goes back
        "issued": "2026-11-21T05:00:00Z", "expires": "2026-11-28T05:00:00Z",
        "revocations": [
          {"kind": "app", "app_id": "com.example.notes", "reason": "..."},
          {"kind": "app_versions", "app_id": "...", "version_codes": [3, 4], "reason": "..."},
          {"kind": "publisher_key", "key_id": "<hex sha-256 of the raw key>", "reason": "..."},
          {"kind": "bundle_digest", "digest": "<hex sha-256 of the .sapp>", "reason": "..."}],
        "next_keyset": {"version": 2, "threshold": 1, "keys": ["<base64 raw Ed25519>"]}  optional
     },
     "signatures": [{"keyid": "<hex>", "sig": "<base64 Ed25519>"}]}

The signature covers ``DOMAIN + canonical(signed)``: keys sorted, no whitespace, UTF-8, and no
floats anywhere (so the encoding has exactly one form). The whole list is one signed object:
there are no per-entry signatures to mix and match.

Verification (``verify_document``), in this order; the first failure rejects the document
and nothing of it is used or stored:

1. Size: at most ``max_document_bytes`` bytes (before parsing anything).
2. Syntax: a JSON object with exactly ``signed`` (object) and ``signatures`` (list of
   ``{keyid, sig}``); duplicate keys anywhere are refused.
3. Type: ``signed._type`` is ``superapp.revocations`` and ``spec_version`` is one we know.
4. Trusted keys: the newer of the policy's key set and the one persisted from an earlier
   rotation (compared by key set ``version``).
5. Signatures: valid Ed25519 signatures over the canonical bytes from at least ``threshold``
   *distinct* trusted keys. A signature entry only names which trusted key to try; repeats of
   one key count once, untrusted keys count zero. Failing that: a trusted key whose
   signature does not verify → ``BadSignatureError``; no trusted key at all →
   ``UnknownKeyError``; otherwise ``ThresholdError``.
6. Content: only now is ``signed`` parsed into the model (strict types, unknown fields refused).
7. Key rotation: a ``next_keyset`` older than the trusted set is refused; a newer one must
   itself be met by valid signatures from its own ``threshold`` of keys (the new keys prove
   possession, the old ones authorise the change); the same version must be the same set.
8. Rollback: ``version`` below the persisted version is refused; the same version is accepted
   only with byte-identical ``signed`` content (reported as unchanged).
9. Freeze: ``expires`` must be in the future (and after ``issued``).

The caller (``RevocationChecker``) then persists the document, its version and the (possibly
rotated) key set atomically, and only then uses it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from superapp.core.canon import CanonicalizationError, canonical_json, legacy_json
from superapp.core.strictjson import unique_keys
from superapp.revocation._errors import (
    BadSignatureError,
    DocumentFormatError,
    ExpiredError,
    KeysetRollbackError,
    RollbackError,
    ThresholdError,
    UnknownKeyError,
)
from superapp.revocation._keys import key_id, public_key_b64, verify_signature

__all__ = [
    "DOC_TYPE",
    "DOMAIN",
    "SPEC_VERSION",
    "Keyset",
    "Revocation",
    "RevocationList",
    "VerifiedDocument",
    "canonical_bytes",
    "encode_document",
    "sign_document",
    "verify_document",
]

DOC_TYPE = "superapp.revocations"
SPEC_VERSION = 1
#: Domain separation: a revocation signature can never be replayed as any other signature.
DOMAIN = b"superapp-revocations-v1\x00"

_HEX64 = r"^[0-9a-f]{64}$"


class _Model(BaseModel):
    # Lax only where JSON needs it (lists → tuples); scalars are Strict* below.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Revocation(_Model):
    """One entry. ``kind`` says which of the other fields apply.

    ``unverified`` never appears in a document: the checker returns it when the policy is
    fail-closed and there is no current verified list.
    """

    kind: Literal["app", "app_versions", "publisher_key", "bundle_digest", "unverified"]
    reason: Annotated[StrictStr, Field(max_length=500)] = ""
    app_id: StrictStr | None = None
    version_codes: tuple[StrictInt, ...] = ()
    key_id: Annotated[StrictStr, Field(pattern=_HEX64)] | None = None
    digest: Annotated[StrictStr, Field(pattern=_HEX64)] | None = None

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Revocation:
        need = {
            "app": {"app_id"},
            "app_versions": {"app_id", "version_codes"},
            "publisher_key": {"key_id"},
            "bundle_digest": {"digest"},
            "unverified": set(),
        }[self.kind]
        have = {f for f in ("app_id", "version_codes", "key_id", "digest") if getattr(self, f)}
        if have != need:
            raise ValueError(f"a {self.kind!r} revocation takes exactly {sorted(need)}")
        return self

    def matches(
        self, app_id: str | None, version_code: int | None, key: str | None, digest: str | None
    ) -> bool:
        if self.kind == "app":
            return app_id == self.app_id
        if self.kind == "app_versions":
            return app_id == self.app_id and version_code in self.version_codes
        if self.kind == "publisher_key":
            return key is not None and key.lower() == self.key_id
        if self.kind == "bundle_digest":
            return digest is not None and digest.lower() == self.digest
        return True  # "unverified" refuses everything

    def describe(self) -> str:
        what = {
            "app": f"app {self.app_id}",
            "app_versions": f"app {self.app_id} versions {list(self.version_codes)}",
            "publisher_key": f"publisher key {self.key_id}",
            "bundle_digest": f"bundle {self.digest}",
            "unverified": "every app (no current verified revocation list)",
        }[self.kind]
        return f"{what}: {self.reason}" if self.reason else what


class Keyset(_Model):
    """Platform keys trusted to sign documents, with a version for rotation."""

    version: Annotated[StrictInt, Field(ge=1)]
    threshold: Annotated[StrictInt, Field(ge=1)]
    keys: Annotated[tuple[StrictStr, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _valid(self) -> Keyset:
        for k in self.keys:
            try:
                raw = base64.b64decode(k, validate=True)
            except ValueError:
                raw = b""
            if len(raw) != 32:
                raise ValueError("keys must be base64 raw 32-byte Ed25519 public keys")
        if self.threshold > len(set(self.keys)):
            raise ValueError("threshold is larger than the number of distinct keys")
        return self

    def by_id(self) -> dict[str, str]:
        return {key_id(k): k for k in self.keys}


class RevocationList(_Model):
    """The ``signed`` part of a document."""

    type_: Literal["superapp.revocations"] = Field("superapp.revocations", alias="_type")
    spec_version: Literal[1] = 1
    version: Annotated[StrictInt, Field(ge=1)]
    issued: AwareDatetime
    expires: AwareDatetime
    revocations: tuple[Revocation, ...] = ()
    next_keyset: Keyset | None = None

    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True
    )

    @model_validator(mode="before")
    @classmethod
    def _times(cls, data: Any) -> Any:
        # The wire has RFC 3339 strings, nothing else (no epoch numbers).
        if isinstance(data, dict):
            data = dict(data)
            for name in ("issued", "expires"):
                value = data.get(name)
                if not isinstance(value, str | datetime):
                    raise ValueError(f"{name} must be an RFC 3339 time string")
                if isinstance(value, str):
                    try:
                        data[name] = datetime.fromisoformat(value)
                    except ValueError as err:
                        raise ValueError(f"{name} is not an RFC 3339 time") from err
        return data

    @model_validator(mode="after")
    def _order(self) -> RevocationList:
        if self.expires <= self.issued:
            raise ValueError("expires must be after issued")
        if any(r.kind == "unverified" for r in self.revocations):
            raise ValueError("'unverified' is not a kind a document may carry")
        return self

    def to_wire(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        data["issued"] = _rfc3339(self.issued)
        data["expires"] = _rfc3339(self.expires)
        for entry in data["revocations"]:
            for empty in [k for k, v in entry.items() if v in (None, [], ())]:
                del entry[empty]
        return data


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class VerifiedDocument:
    body: RevocationList
    #: Hex SHA-256 of the canonical ``signed`` bytes.
    digest: str
    #: The key set trusted after this document (rotated if it carried a newer one).
    keyset: Keyset
    #: The raw document, to persist as it was received.
    raw: bytes
    #: Same version and content as the one already held.
    unchanged: bool


_reject_duplicates = unique_keys(
    lambda key: DocumentFormatError(f"duplicate key {key!r} in the revocation document")
)


def _no_floats(value: Any) -> None:
    if isinstance(value, float):
        raise DocumentFormatError("the revocation document may not contain numbers with a fraction")
    if isinstance(value, dict):
        for v in value.values():
            _no_floats(v)
    elif isinstance(value, list):
        for v in value:
            _no_floats(v)


def canonical_bytes(signed: Any) -> bytes:
    """What a signature covers: ``DOMAIN`` + RFC 8785 canonical JSON of ``signed`` (ADR 0009).

    Raises:
        DocumentFormatError: a number with a fraction, or a value RFC 8785 cannot represent
            (an integer beyond 2**53, a lone surrogate).
    """
    _no_floats(signed)
    try:
        return DOMAIN + canonical_json(signed)
    except CanonicalizationError as exc:
        raise DocumentFormatError(f"the revocation document is not canonical JSON: {exc}") from None


def legacy_bytes(signed: Any) -> bytes:
    """What signatures made before ADR 0009 cover: ``DOMAIN`` + the sorted-keys form.

    Also what the document digest (held in the checker's state) is computed over, so that
    digests held from before ADR 0009 still compare equal.
    """
    _no_floats(signed)
    return DOMAIN + legacy_json(signed)


def _messages(signed: Any) -> tuple[bytes, ...]:
    """Every form a valid signature may cover: RFC 8785, then the legacy form if it differs."""
    legacy = legacy_bytes(signed)
    try:
        current = canonical_bytes(signed)
    except DocumentFormatError:
        return (legacy,)
    return (current,) if current == legacy else (current, legacy)


def sign_document(
    body: RevocationList | dict[str, Any],
    keys: Sequence[Ed25519PrivateKey],
    *,
    existing: Sequence[dict[str, str]] = (),
) -> dict[str, Any]:
    """The envelope ``{"signed": ..., "signatures": [...]}`` signed by every key in ``keys``.

    ``existing`` signatures (co-signing the same content) are kept unless re-signed.
    """
    signed = body.to_wire() if isinstance(body, RevocationList) else body
    message = canonical_bytes(signed)
    sigs = {s["keyid"]: s for s in existing}
    for key in keys:
        kid = key_id(public_key_b64(key))
        sigs[kid] = {"keyid": kid, "sig": base64.b64encode(key.sign(message)).decode("ascii")}
    return {"signed": signed, "signatures": list(sigs.values())}


def encode_document(envelope: dict[str, Any]) -> bytes:
    """Readable JSON for publishing (verification re-canonicalises ``signed``)."""
    return (json.dumps(envelope, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _count_valid(
    keyset: Keyset, signatures: list[Any], messages: tuple[bytes, ...]
) -> tuple[int, list[str]]:
    """Distinct keys of ``keyset`` with a valid signature; and trusted keys whose didn't verify."""
    trusted = keyset.by_id()
    good: set[str] = set()
    bad: list[str] = []
    for entry in signatures:
        kid, sig = entry["keyid"], entry["sig"]
        public = trusted.get(kid)
        if public is None:
            continue
        if any(verify_signature(public, sig, message) for message in messages):
            good.add(kid)
        elif kid not in bad:
            bad.append(kid)
    return len(good), [k for k in bad if k not in good]


def verify_document(
    raw: bytes,
    *,
    trusted: Keyset,
    held_version: int,
    held_digest: str | None,
    now: datetime,
    max_bytes: int,
) -> VerifiedDocument:
    """Run the procedure in the module docstring; return the verified document.

    Raises:
        DocumentFormatError, UnknownKeyError, BadSignatureError, ThresholdError,
        KeysetRollbackError, RollbackError, ExpiredError: the step that failed.
    """
    # 1. size
    if len(raw) > max_bytes:
        raise DocumentFormatError(f"document is larger than {max_bytes} bytes")
    # 2. syntax
    try:
        envelope = json.loads(raw.decode("utf-8"), object_pairs_hook=_reject_duplicates)
    except (UnicodeDecodeError, ValueError) as err:
        if isinstance(err, DocumentFormatError):
            raise
        raise DocumentFormatError("document is not valid UTF-8 JSON") from None
    except RecursionError:
        raise DocumentFormatError("document is nested too deeply") from None
    if not isinstance(envelope, dict) or set(envelope) != {"signed", "signatures"}:
        raise DocumentFormatError("document must be an object with 'signed' and 'signatures'")
    signed, signatures = envelope["signed"], envelope["signatures"]
    if not isinstance(signed, dict) or not isinstance(signatures, list):
        raise DocumentFormatError("'signed' must be an object and 'signatures' a list")
    for entry in signatures:
        if (
            not isinstance(entry, dict)
            or set(entry) != {"keyid", "sig"}
            or not all(isinstance(v, str) for v in entry.values())
        ):
            raise DocumentFormatError("each signature must be {'keyid': str, 'sig': str}")
    # 3. type
    if signed.get("_type") != DOC_TYPE:
        raise DocumentFormatError(f"not a revocation document (_type must be {DOC_TYPE!r})")
    spec = signed.get("spec_version")
    if type(spec) is not int or spec != SPEC_VERSION:
        raise DocumentFormatError(f"unsupported spec_version {signed.get('spec_version')!r}")
    try:
        messages = _messages(signed)
    except RecursionError:
        raise DocumentFormatError("document is nested too deeply") from None
    # 4-5. signatures by the trusted key set
    valid, bad = _count_valid(trusted, signatures, messages)
    if valid < trusted.threshold:
        if bad:
            raise BadSignatureError(f"the signature by platform key {bad[0][:16]}… does not verify")
        if valid == 0:
            named = ", ".join(sorted({str(s["keyid"])[:16] for s in signatures})) or "none"
            raise UnknownKeyError(f"not signed by any trusted platform key (signed by: {named})")
        raise ThresholdError(
            f"signed by {valid} trusted platform key(s); the policy needs {trusted.threshold}"
        )
    # 6. content
    try:
        body = RevocationList.model_validate(signed)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "signed"
        raise DocumentFormatError(f"signed.{loc}: {first['msg']}") from None
    # 7. key rotation
    keyset = trusted
    nxt = body.next_keyset
    if nxt is not None:
        if nxt.version < trusted.version:
            raise KeysetRollbackError(
                f"document names key set {nxt.version}, older than the trusted set "
                f"{trusted.version}"
            )
        if nxt.version == trusted.version:
            if (set(nxt.keys), nxt.threshold) != (set(trusted.keys), trusted.threshold):
                raise KeysetRollbackError(
                    f"document names a different key set under the trusted version {nxt.version}"
                )
        else:
            new_valid, _ = _count_valid(nxt, signatures, messages)
            if new_valid < nxt.threshold:
                raise ThresholdError(
                    f"rotation to key set {nxt.version} is signed by {new_valid} of its own "
                    f"keys; it needs {nxt.threshold}"
                )
            keyset = nxt
    # 8. rollback
    digest = hashlib.sha256(messages[-1]).hexdigest()  # the legacy form: held digests compare
    if body.version < held_version:
        raise RollbackError(
            f"document version {body.version} is older than the held version {held_version}"
        )
    unchanged = body.version == held_version
    if unchanged and held_digest is not None and digest != held_digest:
        raise RollbackError(
            f"document version {body.version} differs from the held document of the same version"
        )
    # 9. freeze
    if body.expires <= now:
        raise ExpiredError(f"document version {body.version} expired at {_rfc3339(body.expires)}")
    return VerifiedDocument(body, digest, keyset, raw, unchanged)
