"""What the host asks a runtime to page out of itself at suspend, and how its answer (a claim
from an untrusted process) is bounded by the protocol and audited (``_selfclaim``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from superapp.host._selfclaim import claim_fields, page_out_for
from superapp.protocol import ChannelClosedError, SelfCompaction, WindowState, decode_message
from superapp.protocol._compaction import MAX_CLAIMED_BYTES


def test_freeze_asks_for_file_memory_and_anonymous_only_with_swap() -> None:
    assert page_out_for(True, lambda: 0) == "file"
    assert page_out_for(True, lambda: 2**31) == "all"
    # A tree the policy does not stop would touch it all back at once: nothing asked.
    assert page_out_for(False, lambda: 2**31) == "none"


def _claim(**fields: Any) -> SelfCompaction:
    base: dict[str, Any] = {"mode": "file", "advised_bytes": 3 * 2**20 + 5, "ranges": 40}
    return SelfCompaction.model_validate({**base, **fields})


@pytest.mark.parametrize(
    ("asked", "claim", "want"),
    [
        ("none", None, {}),
        ("none", _claim(), {"self_compaction": "unasked"}),
        ("file", None, {"self_compaction": "not reported"}),
        ("file", _claim(mode="all"), {"self_compaction": "ignored (asked file, claimed all)"}),
        ("file", _claim(), {"self_compaction": "file", "self_compacted_mib": 3}),
        ("all", _claim(mode="all", refused="EINVAL"),
         {"self_compaction": "all", "self_compacted_mib": 3, "self_compaction_refused": "EINVAL"}),
    ],
    ids=["not-asked", "unasked-claim", "no-report", "mismatch", "file", "all-refused"],
)  # fmt: skip
def test_claim_becomes_audit_fields(
    asked: str, claim: SelfCompaction | None, want: dict[str, object]
) -> None:
    assert claim_fields(asked, claim) == want  # type: ignore[arg-type]


def _frame(compaction: dict[str, Any]) -> bytes:
    msg = {"type": "window_state", "visible": False, "page": "frozen", "compaction": compaction}
    return json.dumps(msg).encode() + b"\n"


def test_a_valid_claim_decodes() -> None:
    msg = decode_message(
        _frame({"mode": "all", "advised_bytes": 2**30, "ranges": 900, "refused": "EPERM"})
    )
    assert isinstance(msg, WindowState) and msg.compaction is not None
    assert msg.compaction.advised_bytes == 2**30


@pytest.mark.parametrize(
    "compaction",
    [
        {"mode": "all", "advised_bytes": -1, "ranges": 1},
        {"mode": "all", "advised_bytes": MAX_CLAIMED_BYTES + 1, "ranges": 1},
        {"mode": "all", "advised_bytes": 1, "ranges": -5},
        {"mode": "all", "advised_bytes": 1.5, "ranges": 1},
        {"mode": "none", "advised_bytes": 0, "ranges": 0},
        {"mode": "all", "advised_bytes": 1, "ranges": 1, "refused": "\x1b[31mEPERM"},
        {"mode": "all", "advised_bytes": 1, "ranges": 1, "refused": "eperm"},
        {"mode": "all", "advised_bytes": 1, "ranges": 1, "refused": "E" + "X" * 40},
        {"mode": "all", "advised_bytes": 1, "ranges": 1, "path": "/home/u/secret"},
    ],
    ids=["negative", "over-address-space", "negative-ranges", "float", "mode-none",
         "escape-in-errno", "lowercase-errno", "long-errno", "extra-field"],
)  # fmt: skip
def test_an_out_of_bounds_claim_is_a_protocol_violation(compaction: dict[str, Any]) -> None:
    with pytest.raises(ChannelClosedError, match="malformed control message"):
        decode_message(_frame(compaction))


def test_freeze_with_an_unknown_page_out_is_refused() -> None:
    frame = b'{"type":"lifecycle","command":"freeze","page_out":"everything"}\n'
    with pytest.raises(ChannelClosedError):
        decode_message(frame)
