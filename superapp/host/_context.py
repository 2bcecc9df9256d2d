"""The host's shared services, built once per host and passed down (issue 13).

Before this, every user of the policy parsed the file again and every user of the audit log
opened its own ``AuditLog`` (without the policy's ``[audit]`` rotation and flood limits).
A ``HostContext`` is made once, at host start-up (``start_host``), and holds the one policy
and the one audit sink of that host.
"""

from __future__ import annotations

from dataclasses import dataclass

from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.monitor import Monitor
from superapp.policy import HostPolicy, load_policy

__all__ = ["HostContext"]


@dataclass(frozen=True)
class HostContext:
    paths: Paths
    #: The policy file, parsed once for this host.
    policy: HostPolicy
    #: The one audit sink: the policy's rotation, retention and flood gate applied.
    audit: AuditLog

    @classmethod
    def load(cls, paths: Paths) -> HostContext:
        """Raises: PolicyError: the policy file is invalid (one line, naming the field)."""
        policy = load_policy(paths)
        return cls(paths, policy, AuditLog(paths.audit_log, limits=policy.audit_limits()))

    def monitor(self) -> Monitor:
        """A resource monitor with the policy's ``[monitor]`` budgets."""
        return Monitor(self.policy.monitor)
