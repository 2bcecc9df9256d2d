"""Fetching the document from an ``http(s)://`` URL or a file path, with a size cap."""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from superapp.revocation._errors import FetchError

__all__ = ["fetch_document"]

_CHUNK = 64 * 1024


def fetch_document(source: str, *, timeout: float, max_bytes: int) -> bytes:
    """Read at most ``max_bytes`` of the document at ``source``.

    ``source`` is an ``http://``/``https://`` URL, a ``file://`` URL, or a path. No
    transport security is relied on: the document is signed.

    Raises:
        FetchError: unreachable, an HTTP error status, unreadable, or over ``max_bytes``.
    """
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        request = urllib.request.Request(  # noqa: S310 - scheme checked just above
            source, headers={"User-Agent": "superapp-revocation/1", "Accept": "application/json"}
        )
        deadline = time.monotonic() + timeout
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                # ``timeout`` bounds each socket read; the deadline bounds the whole
                # transfer, so a server dribbling bytes cannot hold the poller forever.
                chunks: list[bytes] = []
                size = 0
                while size <= max_bytes:
                    chunk: bytes = response.read(min(_CHUNK, max_bytes + 1 - size))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
                    if time.monotonic() > deadline:
                        raise FetchError(f"revocation source took longer than {timeout:g} s")
                data = b"".join(chunks)
        except urllib.error.HTTPError as err:
            raise FetchError(f"revocation source answered HTTP {err.code}") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as err:
            why = getattr(err, "reason", None) or err
            raise FetchError(f"cannot reach the revocation source: {why}") from None
    elif scheme in ("", "file"):
        path = Path(urlsplit(source).path if scheme == "file" else source).expanduser()
        try:
            with path.open("rb") as f:
                data = f.read(max_bytes + 1)
        except OSError as err:
            raise FetchError(
                f"cannot read the revocation document {path}: {err.strerror}"
            ) from None
    else:
        raise FetchError(
            f"unsupported revocation source scheme {scheme!r} (use https, http or a path)"
        )
    if len(data) > max_bytes:
        raise FetchError(f"revocation document is larger than {max_bytes} bytes")
    return data
