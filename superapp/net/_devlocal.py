"""``superapp dev --allow-local http://127.0.0.1:PORT``: the one, dev-only exception to
"loopback is never reached" (DESIGN §6.3), for a local mock API while developing.

The exception is explicit and narrow: an ``http`` origin on a loopback address with an
explicit port, nothing else (no names: ``localhost`` resolves through a resolver we do not
control; no private or link-local addresses; no paths). It exists only in a runtime started
with ``--dev`` (the runtime refuses it otherwise, and ``run``, ``pack`` and ``install`` have
no way to ask for it), it is never read from a manifest, and each runtime that holds one
writes a ``dev.allow_local`` audit event when it starts.
"""

from __future__ import annotations

from superapp.net._host import HostError, IPAddress
from superapp.net._url import parse_authority, split_scheme

__all__ = ["LocalOrigin", "parse_allow_local"]

#: (address, port) of one allowed local origin.
LocalOrigin = tuple[IPAddress, int]


def parse_allow_local(text: str) -> LocalOrigin:
    """``http://127.0.0.1:8080`` → (127.0.0.1, 8080).

    Raises:
        ValueError: a one-line reason that says what is accepted.
    """
    accepted = "write http://127.0.0.1:PORT (or http://[::1]:PORT)"
    try:
        scheme, rest = split_scheme(text)
    except HostError:
        raise ValueError(f"{text!r} is not a URL; {accepted}") from None
    if scheme != "http":
        raise ValueError(f"{text!r}: only http:// is accepted here; {accepted}")
    try:
        auth = parse_authority(scheme, rest)
    except HostError as exc:
        raise ValueError(f"{text!r}: {exc.reason}; {accepted}") from None
    if auth.target not in ("", "/"):
        raise ValueError(f"{text!r}: give only the origin, no path; {accepted}")
    ip = auth.host.ip
    if ip is None:
        raise ValueError(
            f"{text!r}: a name is not accepted (it could resolve anywhere); {accepted}"
        )
    if not ip.is_loopback:
        raise ValueError(f"{text!r}: {ip} is not a loopback address; {accepted}")
    if not auth.explicit_port or auth.port is None:
        raise ValueError(f"{text!r}: give the port explicitly; {accepted}")
    return (ip, auth.port)
