"""What the host asks a runtime to page out of itself at suspend, and how it audits the answer.

An unprivileged host cannot compact another process (``_compact``: ``process_madvise`` needs
``CAP_SYS_NICE``), but a process may page out its own memory. So the ``freeze`` command asks
the runtime to do that for its own process once its page is frozen (``page_out``: file-backed
mappings, and anonymous memory too when the machine has swap), and the ``window_state`` that
confirms the frozen page says what it advised (``superapp.protocol._compaction``).

That answer is a claim from a process the host does not trust: the protocol bounds every
field, and here it is only checked against what was asked and turned into audit fields. It
decides nothing: the host stops the tree (and compacts it itself where it may) whatever the
claim says. Chromium's children (zygotes, renderer) cannot be asked: only the host's own
compaction reaches them.
"""

from __future__ import annotations

from collections.abc import Callable

from superapp.core.pageout import page_out_mode
from superapp.protocol import PageOut, SelfCompaction

__all__ = ["claim_fields", "page_out_for"]


def page_out_for(stop_processes: bool, swap_total: Callable[[], int]) -> PageOut:
    """What a ``freeze`` asks the runtime to page out: nothing when the policy does not stop
    suspended trees (a running process would touch it all back), else file-backed memory,
    and anonymous memory too on a machine with swap."""
    if not stop_processes:
        return "none"
    return page_out_mode(swap_total())


def claim_fields(asked: PageOut, claim: SelfCompaction | None) -> dict[str, object]:
    """The suspend's audit fields for the runtime's self-compaction claim (every value a
    validated number or a fixed word: inert wherever audit entries are shown)."""
    if asked == "none":
        return {"self_compaction": "unasked"} if claim is not None else {}
    if claim is None:
        return {"self_compaction": "not reported"}
    if claim.mode != asked:
        return {"self_compaction": f"ignored (asked {asked}, claimed {claim.mode})"}
    fields: dict[str, object] = {
        "self_compaction": claim.mode,
        "self_compacted_mib": claim.advised_bytes // 2**20,
    }
    if claim.refused:
        fields["self_compaction_refused"] = claim.refused
    return fields
