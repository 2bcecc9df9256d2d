"""Names and addresses no mini-app may reach, whatever its manifest says (DESIGN §6.3).

One function, :func:`local_target`, answers "does this host point at the local machine or a
local network by its very name or address?". The manifest validator (validate, pack,
install, developer mode), the allowlist matcher (entries and URLs), the egress proxy and
``net.request`` all ask it, so a name refused in one place is refused in all of them.

Refused names (the name itself or any sub-domain of it):

=================  ==========================================================================
``localhost``      RFC 6761 §6.3: resolvers answer loopback for it and every sub-domain
``local``          RFC 6762: multicast DNS on the local link
``home.arpa``      RFC 8375: home networks
``arpa``           infrastructure: reverse zones, ``ipv4only.arpa`` (RFC 8880) answers local
                   addresses
``internal``       reserved by ICANN (2024) for private networks
``onion``          RFC 7686: Tor onion services, never resolved by DNS
``invalid``        RFC 6761 §6.4: never resolves
``alt``            RFC 9476: names outside the DNS
``lan`` ``home``   RFC 6762 appendix G: top labels used on private networks, never delegated
``corp``
``intranet``
``private``
=================  ==========================================================================

``test`` and ``example`` (RFC 6761 §6.2, §6.5) are *not* refused: the RFC asks applications
not to treat them specially, they resolve nowhere on the public DNS, and where a local
resolver maps them somewhere private (a common developer set-up maps ``*.test`` to
127.0.0.1), the address check below refuses them at connect time like any other name. The
end-to-end tests rely on ``.test`` names, which only the test-only host map of the egress
proxy (``SUPERAPP_TEST_HOSTS``) sends to loopback.

Refused addresses: every address :func:`address_class` does not call ``public`` —
loopback, RFC 1918, link-local, unique-local, shared, documentation, unspecified, multicast,
reserved, and IPv6 forms embedding any of those.
"""

from __future__ import annotations

from typing import Final

from superapp.net._host import Host, IPAddress, address_class

__all__ = ["SPECIAL_USE_NAMES", "local_address", "local_target"]

#: Special-use and local-only domains, each with the reason shown in refusals.
SPECIAL_USE_NAMES: Final = {
    "localhost": "a loopback name (RFC 6761)",
    "local": "a link-local multicast DNS name (RFC 6762)",
    "home.arpa": "a home-network name (RFC 8375)",
    "arpa": "an infrastructure name (.arpa)",
    "internal": "a private-network name (.internal)",
    "onion": "a Tor onion name (RFC 7686)",
    "invalid": "a name that never resolves (RFC 6761)",
    "alt": "a name outside the DNS (RFC 9476)",
    "lan": "a private-network name (RFC 6762 appendix G)",
    "home": "a private-network name (RFC 6762 appendix G)",
    "corp": "a private-network name (RFC 6762 appendix G)",
    "intranet": "a private-network name (RFC 6762 appendix G)",
    "private": "a private-network name (RFC 6762 appendix G)",
}


def local_address(ip: IPAddress) -> str | None:
    """Why ``ip`` is never connected to, or None for a public address."""
    cls = address_class(ip)
    if cls == "public":
        return None
    if cls == "forbidden":
        return f"{ip} is not an address anything may connect to"
    return f"{ip} is a loopback, private or link-local address"


def local_target(host: Host) -> tuple[str, str] | None:
    """``(rule, reason)`` when ``host`` names the local machine or a local network, else None.

    Rules: ``special-use-name`` for a name in :data:`SPECIAL_USE_NAMES` (or under one),
    ``local-address`` for an IP literal that is not public.
    """
    if host.ip is not None:
        why = local_address(host.ip)
        return None if why is None else ("local-address", why)
    name = host.name
    while True:
        why = SPECIAL_USE_NAMES.get(name)
        if why is not None:
            return ("special-use-name", f"{host.name} is {why}; mini-apps cannot reach it")
        dot = name.find(".")
        if dot == -1:
            return None
        name = name[dot + 1 :]
