"""The Content-Security-Policy on every ``app://`` response (defence in depth, issue 5).

The request interceptor is the wall; the CSP is a second one that holds even if a request
type slipped past it. ``script-src 'self'`` without ``'unsafe-eval'`` also makes ``eval`` and
``new Function`` fail at run time, backing the static analyser. The host's own shim is
injected by the engine as a user script, which CSP does not govern, so it needs no exception.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["build_csp", "response_headers"]


def _sources(allowed_hosts: Sequence[str], http_hosts: Sequence[str], ws: bool) -> str:
    out = ["'self'"]
    for host in allowed_hosts:
        out.append(f"https://{host}")
        if ws:
            out.append(f"wss://{host}")
    for host in http_hosts:
        out.append(f"http://{host}")
        if ws:
            out.append(f"ws://{host}")
    return " ".join(out)


def build_csp(
    allowed_hosts: Sequence[str] = (), http_hosts: Sequence[str] = (), nonce: str | None = None
) -> str:
    """The app's policy. ``nonce``: the one inline script of this response, the host's
    import map (``_page``); no other response carries one.

    ``'report-sample'`` makes the engine hand the first characters of a refused inline
    script, handler or eval'd string to the violation report (``_cspreport``), so the audit
    entry and the developer's console can say which one it was."""
    scripts = "script-src 'self' 'report-sample'" + (f" 'nonce-{nonce}'" if nonce else "")
    remote = _sources(allowed_hosts, http_hosts, ws=False)
    connect = _sources(allowed_hosts, http_hosts, ws=True)
    frames = (
        " ".join([f"https://{h}" for h in allowed_hosts] + [f"http://{h}" for h in http_hosts])
        or "'none'"
    )
    return "; ".join(
        [
            "default-src 'self'",
            scripts,
            f"connect-src {connect}",
            f"img-src {remote} data: blob:",
            f"media-src {remote} data: blob:",
            f"font-src {remote} data:",
            # Inline styles are common in app markup and carry no script; allowed.
            f"style-src {remote} 'unsafe-inline'",
            # Frames only from allowlisted hosts: they are cross-origin, so they cannot touch
            # the app's document or its callNative.
            f"frame-src {frames}",
            "worker-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            # No document of this app may be framed, not even by the app itself: a same-origin
            # frame could reach the top document's callNative.
            "frame-ancestors 'none'",
        ]
    )


def response_headers(
    allowed_hosts: Sequence[str] = (), http_hosts: Sequence[str] = (), nonce: str | None = None
) -> dict[str, str]:
    return {
        "Content-Security-Policy": build_csp(allowed_hosts, http_hosts, nonce),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
