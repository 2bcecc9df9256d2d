"""Watching running mini-apps: process-tree sampling, runtime counters, budget escalation.

Pieces, each usable alone (``_sampler``, ``_samples``, ``_budgets``, ``_monitor``):

``ProcessTreeSampler``  one ``/proc`` scan per round for *all* watched trees (not one per
                        app), then per process: CPU time, PSS (RSS where PSS is unavailable
                        or not permitted), threads. CPU % is the delta of CPU time over the
                        delta of the clock, per process (so a child exiting does not make
                        the tree's CPU go negative), in percent of one core.
``RuntimeCounters``     cumulative counts the runtime reports over the control channel
                        (bridge calls and denials per API, network requests and blocks,
                        storage writes); rates are computed between two reports.
``BudgetEvaluator``     pure: turns samples into ``BudgetDecision``s (warn → throttle → terminate,
                        and recover) against the ``[monitor]`` budgets of the host policy,
                        with an injectable clock.
``Monitor``             ties them together for the supervisor: ``watch``/``unwatch``,
                        ``report_counters``, ``heartbeat``, ``tick() -> [BudgetDecision]``, ``run``.

Escalation (per app and per budget): while the value stays over the limit, the step whose
``*_after_s`` has elapsed since it first went over is taken, each step once; memory at
``hard_factor`` × limit is terminated at once. A short dip under the limit does not reset the
clock: only ``cooldown_s`` continuously under it ends the episode (an app that floods, gets
throttled, drops, and floods again keeps climbing). A page that sends no heartbeat for
``hang_timeout_s`` (counted from ``watch`` until the first one) is terminated. After a
terminate decision the evaluator says nothing more about that app.

The supervisor acts on decisions (throttle, kill) and audits them (``record_decision``);
``BudgetDecision.message`` is the sentence for the user:
"Notes was stopped: it used 2.1 GB of memory (limit 1 GB)".
"""

from superapp.monitor._budgets import BudgetEvaluator
from superapp.monitor._monitor import Monitor
from superapp.monitor._pss import tree_pss_mb
from superapp.monitor._sampler import ProcessTreeSampler, TreeSample
from superapp.monitor._samples import AppSample, BudgetDecision, RuntimeCounters, record_decision
from superapp.monitor._types import Action, Metric, format_bytes

__all__ = [
    "Action",
    "AppSample",
    "BudgetDecision",
    "BudgetEvaluator",
    "Metric",
    "Monitor",
    "ProcessTreeSampler",
    "RuntimeCounters",
    "TreeSample",
    "format_bytes",
    "record_decision",
    "tree_pss_mb",
]
