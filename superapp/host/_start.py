"""``start_host``: the one host start-up, used by ``superapp run``/``dev`` (headless) and by
the launcher window. Before this it was written twice (issue 13).

Order: the ``HostContext`` (policy parsed once, the one audit sink), the supervisor with the
policy's monitor budgets, the local control socket (``superapp stop`` from other processes),
then the revocation refresher (it may stop apps, so it starts last).
"""

from __future__ import annotations

from dataclasses import dataclass

from superapp.confine import harden_host
from superapp.core.paths import Paths
from superapp.host._app import ConsentFn, ShareConfirmFn
from superapp.host._context import HostContext
from superapp.host._delegate import LaunchEndpoint
from superapp.host._lifecycle import Supervisor
from superapp.host._pool import RuntimePool
from superapp.host._server import HostServer

__all__ = ["Host", "start_host"]


@dataclass(frozen=True)
class Host:
    context: HostContext
    supervisor: Supervisor
    server: HostServer
    #: The launcher's launch endpoint for ``superapp run`` (``_delegate``), when it serves one.
    launches: LaunchEndpoint | None = None

    def close(self) -> None:
        """Stop every app, then the control socket (requests in flight get their reply).
        The launch endpoint stops taking requests first and closes after the apps stopped
        (each open ``superapp run`` gets its app's end)."""
        if self.launches is not None:
            self.launches.stop_accepting()
        self.supervisor.shutdown()
        if self.launches is not None:
            self.launches.close()
        self.server.close()


def start_host(
    paths: Paths,
    *,
    consent: ConsentFn,
    share_confirm: ShareConfirmFn,
    pool: bool = False,
    serve_launches: bool = False,
) -> Host:
    """``pool``: keep the policy's ``[pool]`` of prewarmed runtimes (a host that stays up and
    launches on request, the launcher; ``superapp run`` launches at once and does not).
    ``serve_launches``: open ``superapp run``'s launch endpoint (``_delegate``; the launcher's,
    one per data directory).

    Raises: PolicyError: the policy file is invalid (one line, naming the field)."""
    harden_host()  # runtimes of this user cannot read the host's /proc maps or environ
    context = HostContext.load(paths)
    runtimes = RuntimePool(paths, context.audit, context.policy.pool) if pool else None
    supervisor = Supervisor(
        paths,
        context.audit,
        consent=consent,
        share_confirm=share_confirm,
        monitor=context.monitor(),
        policy=context.policy,
        pool=runtimes,
    )
    server = HostServer(paths, supervisor)
    server.start()
    supervisor.start_revocation_refresher()
    if runtimes is not None:
        runtimes.start()
    launches = None
    if serve_launches:
        launches = LaunchEndpoint(paths, supervisor, context.audit)
        if not launches.start():
            launches = None  # another launcher of this data directory serves them
    return Host(context, supervisor, server, launches)
