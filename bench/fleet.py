"""Fleet simulation: N lightweight hosts (the real ``superapp.fleet`` client code, no windows)
polling a repository served by a static HTTP server on loopback.

    .venv/bin/python bench/fleet.py [--clients 1000] [--interval 900] [--jitter 0.25]

Each client is a real host folder (its own TUF metadata cache, trust store, registry and random
install id) running ``Store``: ngclient's whole workflow, the bundle signature check and a real
install. The run:

1. bootstrap: every client installs v1 (first poll: all metadata + the bundle);
2. idle: every client polls once with nothing new (what a fleet costs the CDN every interval);
3. change: the operator publishes v2 at 100 % and revokes another app, in one step each; every
   client polls once more and must end with v2 installed and the revocation held.

Polls run for real, one after another (wall clock measured); *when* each client polls is a
virtual schedule: a random phase in [0, interval) and then ``interval × U(1 ± jitter)``, as the
host's poller does, so "time until 99 % have it" is the 99th percentile, over the clients, of
the first scheduled poll after the change (each of which really fetched and verified it).
Requests and bytes are counted by the server (one layer below the client). Baseline in the same
run: one plain ``urllib`` GET of ``timestamp.json`` per client (what a bare poll costs).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import machine, pct
from superapp.audit import AuditLog
from superapp.bundles import TrustStore, load_private_key
from superapp.core.paths import Paths
from superapp.fleet import (
    Store,
    add_revocation,
    generate_key,
    init_repository,
)
from superapp.fleet._model import Revocation
from superapp.policy import load_policy
from superapp.state import registry
from superapp.testing._fleet import StaticServer, make_bundle

APP = "com.acme.notes"


def _client(root: Path, url: str, root_json: Path, key: Path) -> Store:
    paths = Paths(root / "data", root / "state", root / "config", root / "cache")
    paths.config.mkdir(parents=True)
    (paths.config / "policy.toml").write_text(
        f'[fleet]\nrepository = "{url}"\nroot = "{root_json}"\n', encoding="utf-8"
    )
    TrustStore(paths).add(load_private_key(key).public_key(), "acme")
    return Store(paths, load_policy(paths), AuditLog(paths.audit_log))


def _phase(server: StaticServer, label: str, stores: list[Store], step: object) -> dict[str, float]:
    server.reset_stats()
    start = time.perf_counter()
    for store in stores:
        step(store)  # type: ignore[operator]
    wall = time.perf_counter() - start
    n = len(stores)
    out = {
        "requests_per_client": server.stats.requests / n,
        "bytes_per_client": server.stats.bytes / n,
        "wall_s": wall,
        "polls_per_s": n / wall,
    }
    print(
        f"{label:10s} {out['requests_per_client']:6.2f} req/client "
        f"{out['bytes_per_client']:9.0f} B/client  {wall:7.1f} s wall  "
        f"{out['polls_per_s']:6.1f} polls/s",
        flush=True,
    )
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--interval", type=float, default=900.0)
    ap.add_argument("--jitter", type=float, default=0.25)
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    print(machine(), flush=True)
    with tempfile.TemporaryDirectory(prefix="superapp-fleet-bench-") as tmp_s:
        tmp = Path(tmp_s)
        keys = tmp / "keys"
        repo = init_repository(tmp / "repo", keys)
        acme = keys / "acme.pem"
        repo.add_publisher("acme", generate_key(acme), ["com.acme.*"])
        repo.publish(make_bundle(acme, APP, 1), "acme", acme, rollout=100)
        with StaticServer(tmp / "repo") as server:
            stores = [
                _client(tmp / f"h{i}", server.url, repo.meta / "1.root.json", acme)
                for i in range(args.clients)
            ]
            boot = _phase(server, "bootstrap", stores, lambda s: s.install(APP))
            bare = _phase(
                server, "bare GET", stores,
                lambda s: urllib.request.urlopen(  # noqa: S310 - loopback URL we built
                    f"{server.url}/metadata/timestamp.json", timeout=10
                ).read(),
            )  # fmt: skip
            idle = _phase(server, "idle poll", stores, lambda s: s.update_all())
            # The change: one publish and one revoke (each a signed commit).
            repo.publish(make_bundle(acme, APP, 2), "acme", acme, rollout=100)
            add_revocation(repo, Revocation(kind="app", app_id="com.acme.evil", reason="bench"))
            change = _phase(server, "change", stores, lambda s: s.update_all())
            have = sum(
                registry.get_app(s.paths, APP).version_code == 2
                and any(r.app_id == "com.acme.evil" for r in s.client.load_state().revocations)  # type: ignore[union-attr]
                for s in stores
            )
            print(f"clients with v2 and the revocation after one poll: {have}/{len(stores)}")
        # The virtual schedule: first poll after the change, per client.
        arrivals = []
        for _ in stores:
            t = -rng.uniform(0, args.interval)  # the last poll before the change
            while t <= 0:
                t += args.interval * rng.uniform(1 - args.jitter, 1 + args.jitter)
            arrivals.append(t)
        p50, p99, pmax = pct(arrivals, 0.5), pct(arrivals, 0.99), max(arrivals)
        print(
            f"interval {args.interval:g} s ±{args.jitter:.0%}: time until 50 % {p50:.0f} s, "
            f"99 % {p99:.0f} s, 100 % {pmax:.0f} s"
        )
        per_poll_rps = 1_000_000 / args.interval
        print(
            f"1 M devices: {per_poll_rps:,.0f} req-polls/s → "
            f"{per_poll_rps * idle['requests_per_client']:,.0f} HTTP requests/s, "
            f"{per_poll_rps * idle['bytes_per_client'] * 8 / 1e6:,.1f} Mbit/s idle; "
            f"a change costs {change['bytes_per_client'] * 1e6 / 1e9:,.2f} GB in total "
            f"({change['requests_per_client']:.2f} requests per device)"
        )
        _ = boot, bare
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
