"""A static HTTP server on loopback serving a repository folder (a stand-in for a CDN or a
mirror), with the hooks attack tests need, and a repository builder with a publisher.

``StaticServer`` serves files under its folder as a plain static host does; ``override`` makes
it answer one path with other bytes (a compromised mirror), ``endless`` streams without end.
It counts requests and bytes per path, which the fleet bench reports per client.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.bundles import load_private_key, pack_bundle

__all__ = ["StaticServer", "make_bundle"]


@dataclass
class _Stats:
    requests: int = 0
    bytes: int = 0
    by_path: dict[str, int] = field(default_factory=dict)


class StaticServer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.overrides: dict[str, bytes] = {}
        self.endless: set[str] = set()
        self.stats = _Stats()
        #: Every request as received: request line and headers (what a client disclosed).
        self.seen: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as two writes: without TCP_NODELAY every keep-alive
            # response would wait for the client's delayed ACK (tens of ms per file).
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                return None

            def do_GET(self) -> None:
                path = unquote(urlsplit(self.path).path).lstrip("/")
                with server._lock:
                    server.seen.append(self.requestline + "\n" + str(self.headers))
                    server.stats.requests += 1
                    server.stats.by_path[path] = server.stats.by_path.get(path, 0) + 1
                if path in server.endless:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.end_headers()
                    try:
                        chunk = b"{" * 65536
                        for _ in range(4096):  # 256 MiB, far beyond any limit
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                data = server.overrides.get(path)
                if data is None:
                    target = (server.folder / path).resolve()
                    if server.folder not in target.parents or not target.is_file():
                        self.send_response(404)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    data = target.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                with server._lock:
                    server.stats.bytes += len(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> StaticServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def reset_stats(self) -> None:
        with self._lock:
            self.stats = _Stats()

    def served(self) -> Iterator[str]:
        yield from self.stats.by_path


def make_bundle(
    key: Ed25519PrivateKey | Path,
    app_id: str,
    code: int,
    *,
    capabilities: Sequence[str] = ("storage",),
    files: Mapping[str, str] | None = None,
    name: str = "Notes",
) -> bytes:
    """A signed ``.sapp`` of a tiny app at ``code`` declaring ``capabilities``."""
    if isinstance(key, Path):
        key = load_private_key(key)
    manifest = {
        "app_id": app_id,
        "name": name,
        "version": {"name": f"1.{code}.0", "code": code},
        "pages": ["index.html"],
        "req_permissions": [{"name": c, "reason": "test"} for c in capabilities],
    }
    content = {
        "manifest.json": json.dumps(manifest).encode(),
        "index.html": (
            b"<!doctype html><html><head><meta charset='utf-8'><title>t</title>"
            b"<script src='app.js'></script></head><body><h1 id='h'>v"
            + str(code).encode()
            + b"</h1></body></html>"
        ),
        "app.js": b"// app\n",
    }
    for fname, text in (files or {}).items():
        content[fname] = text.encode()
    return pack_bundle(content, key)
