"""Fleet simulation: N lightweight hosts (the real ``superapp.fleet`` client code, no windows)
polling a repository served by a static HTTP server on loopback.

    .venv/bin/python bench/fleet.py [--clients 1000] [--interval 900] [--jitter 0.25]

Each client is a real host folder (its own TUF metadata cache, trust store and random install
id) running the host's poll (``FleetClient.session``: ngclient's whole workflow, the fleet state
written to disk), then, when the version this machine should run differs from what it holds,
``session.release`` + ``session.download`` (the bundle against its signed length and hash) and
the bundle signature check (``verify_bundle``). Not included: the registry install and the
install-time code scan (``superapp.bundles``), which are measured by bench/verify.py and
bench/scan.py and do not touch the network. The run:

1. bootstrap: every client fetches v1 (first poll: all metadata + the bundle);
2. idle: every client polls once with nothing new (what a fleet costs the CDN every interval);
3. change: the operator publishes v2 at 100 % and revokes another app, in one step each; every
   client polls once more and must end holding v2 (verified) and the revocation.

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
from superapp.bundles import TrustStore, load_private_key, verify_bundle
from superapp.core.paths import Paths
from superapp.fleet import (
    FleetClient,
    add_revocation,
    fleet_dir,
    generate_key,
    init_repository,
    load_install_id,
    wanted_version,
)
from superapp.fleet._model import Revocation
from superapp.policy import load_policy
from superapp.testing._fleet import StaticServer, make_bundle

APP = "com.acme.notes"


class Client:
    """One host's fleet client: the code the host's poller runs, minus the registry install."""

    def __init__(self, root: Path, url: str, root_json: Path, key: Path) -> None:
        paths = Paths(root / "data", root / "state", root / "config", root / "cache")
        paths.config.mkdir(parents=True)
        (paths.config / "policy.toml").write_text(
            f'[fleet]\nrepository = "{url}"\nroot = "{root_json}"\n', encoding="utf-8"
        )
        TrustStore(paths).add(load_private_key(key).public_key(), "acme")
        self.paths = paths
        self.client = FleetClient(paths, load_policy(paths).fleet, AuditLog(paths.audit_log))
        self.install_id = load_install_id(fleet_dir(paths))
        self.held: int | None = None

    def poll(self) -> None:
        with self.client.session() as session:
            channel = session.state.index.apps[APP]
            want = wanted_version(channel, self.install_id, APP, self.held)
            if want is not None and want != self.held:
                info, _release = session.release(APP, want)
                data = session.download(info, APP)
                verify_bundle(data, TrustStore(self.paths))
                self.held = want


def _phase(
    server: StaticServer, label: str, stores: list[Client], step: object
) -> dict[str, float]:
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
    ap.add_argument("--interval", type=float, nargs="+", default=[900.0, 60.0])
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
                Client(tmp / f"h{i}", server.url, repo.meta / "1.root.json", acme)
                for i in range(args.clients)
            ]
            boot = _phase(server, "bootstrap", stores, lambda s: s.poll())
            bare = _phase(
                server, "bare GET", stores,
                lambda s: urllib.request.urlopen(  # noqa: S310 - loopback URL we built
                    f"{server.url}/metadata/timestamp.json", timeout=10
                ).read(),
            )  # fmt: skip
            idle = _phase(server, "idle poll", stores, lambda s: s.poll())
            # The change: one publish and one revoke (each a signed commit).
            repo.publish(make_bundle(acme, APP, 2), "acme", acme, rollout=100)
            add_revocation(repo, Revocation(kind="app", app_id="com.acme.evil", reason="bench"))
            change = _phase(server, "change", stores, lambda s: s.poll())
            have = 0
            for s in stores:
                state = s.client.load_state()
                revoked = state is not None and any(
                    r.app_id == "com.acme.evil" for r in state.revocations
                )
                have += s.held == 2 and revoked
            print(f"clients with v2 and the revocation after one poll: {have}/{len(stores)}")
        # The virtual schedule: first poll after the change, per client.
        for interval in args.interval:
            arrivals = []
            for _ in stores:
                t = -rng.uniform(0, interval)  # the last poll before the change
                while t <= 0:
                    t += interval * rng.uniform(1 - args.jitter, 1 + args.jitter)
                arrivals.append(t)
            p50, p99, pmax = pct(arrivals, 0.5), pct(arrivals, 0.99), max(arrivals)
            print(
                f"interval {interval:g} s ±{args.jitter:.0%}: time until 50 % {p50:.0f} s, "
                f"99 % {p99:.0f} s, 100 % {pmax:.0f} s"
            )
            polls = 1_000_000 / interval
            print(
                f"  1 M devices: {polls:,.0f} polls/s → "
                f"{polls * idle['requests_per_client']:,.0f} HTTP requests/s, "
                f"{polls * idle['bytes_per_client'] * 8 / 1e6:,.1f} Mbit/s of bodies idle; "
                f"a change costs {change['bytes_per_client'] * 1e6 / 1e9:,.2f} GB in total "
                f"({change['requests_per_client']:.2f} requests per device)"
            )
        _ = boot, bare
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
