"""Real keys, real signed documents, and a local HTTP server on 127.0.0.1 that serves them."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.policy import RevocationPolicy
from superapp.revocation import (
    Keyset,
    RevocationChecker,
    RevocationList,
    encode_document,
    generate_private_key,
    public_key_b64,
    sign_document,
)

#: "Now" for signed test documents, taken from the real clock: hosts started by these tests read
#: the real clock, so a document built around a fixed date would expire while the suite stays
#: the same (it did, on 2026-11-28). Whole seconds, as documents carry them.
NOW = datetime.now(UTC).replace(microsecond=0)

NOTES = {"kind": "app", "app_id": "com.example.notes", "reason": "steals notes"}


def pub(key: Ed25519PrivateKey) -> str:
    return public_key_b64(key)


def follow_feed(
    home: Paths, source: object, platform: Ed25519PrivateKey, *, interval_s: int | None = None
) -> str:
    """Write the home's policy: follow the revocation document at ``source`` (a URL or a path)
    signed by ``platform``; ``interval_s`` left out keeps the policy's default. Returns the text."""
    text = f'[revocation]\nsource = "{source}"\nplatform_keys = ["{pub(platform)}"]\n'
    if interval_s is not None:
        text += f"interval_s = {interval_s}\n"
    home.policy_file.parent.mkdir(parents=True, exist_ok=True)
    home.policy_file.write_text(text, encoding="utf-8")
    return text


def make_doc(
    version: int,
    keys: Sequence[Ed25519PrivateKey],
    *,
    revocations: Sequence[dict[str, Any]] = (NOTES,),
    issued: datetime = NOW - timedelta(hours=1),
    expires: datetime = NOW + timedelta(days=7),
    next_keyset: Keyset | None = None,
) -> bytes:
    body = RevocationList.model_validate(
        {
            "_type": "superapp.revocations",
            "version": version,
            "issued": issued.isoformat(),
            "expires": expires.isoformat(),
            "revocations": list(revocations),
            "next_keyset": next_keyset.model_dump(mode="json") if next_keyset else None,
        }
    )
    return encode_document(sign_document(body, keys))


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Server:
    """Serves ``body`` with ``status`` at any path; counts requests."""

    body: bytes = b""
    status: int = 200
    #: When set, written to the socket as it is instead of an HTTP answer.
    raw: bytes | None = None
    hits: int = 0
    url: str = ""
    _httpd: ThreadingHTTPServer | None = field(default=None, repr=False)


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits += 1
            if state.raw is not None:
                self.wfile.write(state.raw)
                return
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/revocations.json"
    state._httpd = httpd
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@dataclass
class Platform:
    """The platform's keys and a host checker pointed at the test server."""

    paths: Paths
    server: Server
    clock: Clock
    key_a: Ed25519PrivateKey
    key_b: Ed25519PrivateKey
    audit: AuditLog

    def policy(self, **overrides: Any) -> RevocationPolicy:
        settings: dict[str, Any] = {
            "source": self.server.url,
            "platform_keys": (pub(self.key_a),),
            "interval_s": 1,
            "fetch_timeout_s": 5,
        }
        settings.update(overrides)
        return RevocationPolicy(**settings)

    def checker(self, **overrides: Any) -> RevocationChecker:
        return RevocationChecker(
            self.paths, self.policy(**overrides), audit=self.audit, clock=self.clock
        )

    def serve(self, doc: bytes) -> None:
        self.server.body = doc

    def audit_actions(self) -> list[tuple[str, str]]:
        return [(e["event"]["action"], e["superapp"].get("rule", "")) for e in self.audit.events()]


@pytest.fixture
def platform(superapp_home: Paths, server: Server) -> Platform:
    return Platform(
        superapp_home,
        server,
        Clock(),
        generate_private_key(),
        generate_private_key(),
        AuditLog(superapp_home.audit_log),
    )
