"""OS-level confinement of a mini-app's runtime (DESIGN §6.10, issue 14): its blast radius.

The runtime calls :func:`confine` once, with a :class:`ConfinementPlan` from
:func:`runtime_plan`, before it runs any app code and before any thread starts (Qt, the
engine, the egress proxy), and sends the :class:`ConfinementReport` to the host, which audits
every layer that is not on and may refuse the app by policy (``[confinement]``).

Layers: ``no_new_privs``; ``capabilities`` (all dropped); ``not_dumpable``; ``rlimits`` (no
core dumps, bounded file size and task count);
``seccomp`` (a deny-list that leaves Chromium's own sandbox working, ``_seccomp``);
Landlock (``_landlock``): ``landlock_fs`` (read-only system and Python, the bundle; read-write
only the app's own folders), ``landlock_net`` (TCP connect only to the egress port and the
allowlist's ports; bind only the test CDP port), ``landlock_scope`` (no signals to, no
abstract-socket connections into, processes outside the domain; ptrace outside it is refused by
Landlock itself).

Stages, for a prewarmed runtime that starts before it knows its app. Every call adds a layer
that can only narrow what the process already has, never widen it:

* generic stage (any time, any number of threads): ``no_new_privs``, rlimits and seccomp —
  seccomp uses TSYNC, so it binds every thread: ``confine(ConfinementPlan(landlock=False))``.
* app stage (needs the app: its folder, bundle and ports): the Landlock layers. Landlock
  restricts only the *calling* thread and its later children on this kernel (ABI 7, no
  TSYNC flag), so this stage must run while the process has exactly one thread — before
  Qt, the engine or any helper thread starts. Called later it reports Landlock
  ``unavailable`` (it does not half-apply). A pooled runtime, which starts Qt before it knows
  its app, therefore applies :func:`generic_plan` (its slot folder only) up front and is bound
  only to apps that fit it (``superapp.host._poolfit``, docs/pool.md); a cold runtime applies
  :func:`runtime_plan` for its app before its engine starts.
"""

from __future__ import annotations

from superapp.confine._apply import confine, harden_host, thread_count
from superapp.confine._peer import more_confined_than_self, proc_status
from superapp.confine._plan import (
    GENERIC_PORTS,
    LAYERS,
    ConfinementPlan,
    ConfinementReport,
    LayerResult,
    LayerStatus,
    Rlimits,
    app_folders,
    fits_generic,
    generic_plan,
    runtime_plan,
)
from superapp.confine._userns import INNER_ID, leave_root

__all__ = [
    "GENERIC_PORTS",
    "INNER_ID",
    "LAYERS",
    "ConfinementPlan",
    "ConfinementReport",
    "LayerResult",
    "LayerStatus",
    "Rlimits",
    "app_folders",
    "confine",
    "fits_generic",
    "generic_plan",
    "harden_host",
    "leave_root",
    "more_confined_than_self",
    "proc_status",
    "runtime_plan",
    "thread_count",
]
