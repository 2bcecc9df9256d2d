"""Canonical JSON: the one form new signatures cover, and the pinned forms old data uses.

``canonical_json`` is RFC 8785 (JSON Canonicalization Scheme) by the ``rfc8785`` package:
keys sorted by UTF-16 code units, no whitespace, ECMAScript number form, UTF-8. It refuses
what RFC 8785 cannot represent (NaN, infinities, integers beyond 2**53, lone surrogates).

``legacy_json`` is the form the host wrote before (``json.dumps`` with sorted keys and no
whitespace, UTF-8, ``surrogatepass``). It differs from RFC 8785 only for floats (``1.0`` vs
``1``), integers beyond 2**53, keys outside the Basic Multilingual Plane (sort order) and lone
surrogates. It stays, by name, where bytes are already signed or chained (ADR 0009):

============================  ==================  ==================================
data                          writes              reads / verifies
============================  ==================  ==================================
bundle statement (signed)     ``canonical_json``  the stored bytes as they are
revocation ``signed`` object  ``canonical_json``  ``canonical_json`` or ``legacy_json``
audit hash chain              ``legacy_json``     ``legacy_json`` (format pinned)
============================  ==================  ==================================
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

__all__ = ["CanonicalizationError", "canonical_json", "legacy_json"]

CanonicalizationError = rfc8785.CanonicalizationError


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of ``value`` (dicts, lists, str, int, float, bool, None).

    Raises:
        CanonicalizationError: NaN/infinity, an integer beyond 2**53, a lone surrogate or a
            value that is not JSON.
    """
    return rfc8785.dumps(value)


def legacy_json(value: Any) -> bytes:
    """The pre-RFC 8785 form: sorted keys, no whitespace, UTF-8 with ``surrogatepass``.

    Used for the audit hash chain (its logs are already written) and to verify revocation
    documents signed before ADR 0009. Never raises for NaN or lone surrogates: a page's text
    must not stop an audit write.
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")
