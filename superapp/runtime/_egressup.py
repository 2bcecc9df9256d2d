"""The runtime's egress proxy, started and proven live before the engine (DESIGN §6.3).

Apart from ``_wiring`` (the door, storage, the capability table) so that the runtime's main
thread reaches this step without importing the bridge: in a cold launch the verify thread is
importing it at the same time, and the main thread waited on it (issue 16 point 2,
bench/RESULTS.md). Nothing here is app-specific; the order of the steps is ``Startup.run``'s.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

from superapp.net import EgressProxy, EgressUnavailableError, NetPolicy

__all__ = ["start_egress"]

#: Test-only: the proxy is closed before its liveness check (the runtime must refuse to start).
_TEST_BREAK_EGRESS = "SUPERAPP_TEST_BREAK_EGRESS"


def start_egress(
    policy: NetPolicy,
    refused: Callable[[str, str, str, str], None],
    sock: socket.socket | None = None,
) -> EgressProxy:
    """Start the runtime's egress proxy and prove it answers (see ``superapp.net._egress``).

    It starts before the runtime is bound, with a policy that allows nothing; ``bind`` puts
    the app's policy in. Refusals go to ``refused`` (the runtime's guard once bound:
    ``net.blocked``, ``via=egress``, folded like the interceptor's).

    Raises:
        EgressUnavailableError: the proxy could not start or does not answer.
    """
    from superapp.runtime._env import test_dns_map, test_host_map

    proxy = EgressProxy(
        policy,
        refused,
        test_hosts=test_host_map(os.environ),
        test_dns=test_dns_map(os.environ),
    )
    proxy.start(sock)  # bound before the lockdown took the right to bind (``_confine``)
    if os.environ.get(_TEST_BREAK_EGRESS) == "1":
        proxy.close()
    try:
        proxy.check_live()
    except EgressUnavailableError:
        proxy.close()
        raise
    return proxy
