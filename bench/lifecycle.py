"""The app lifecycle (issue 16): resume times, PSS per state, the throttle, 20 apps at once.

One host in this process (``start_host``, as the launcher runs it) under a private Xvfb:

1. ``resume``: the Unit Converter sample, ``--runs`` times: suspend → resume and
   suspend → discard → resume, each timed from the request to the host's confirmation (the
   runtime reports its window shown and its page active; after a discard, which ends the
   runtime (ADR 0014), once a new runtime's restored page has loaded); PSS of the app's
   process tree while running, hidden, suspended and discarded, by process and split into
   anonymous and file-backed memory (``/proc/<pid>/smaps_rollup``); a bare pywebview
   window's PSS in the same run.
2. ``throttle``: a page burning a core (``while (true) {}``) against a CPU budget of 10 % (low,
   so that a burner gets over it even on a loaded machine): its measured CPU share before and
   while throttled (the host's own monitor samples).
3. ``many``: ``--apps`` apps launched four at a time; each is suspended once it has loaded,
   except the last two; the launcher's API (``list_apps`` and ``dashboard``, what its page polls)
   is called every 50 ms throughout and timed; at the end, the suspended apps' process trees'
   CPU time across two monitor rounds.

``states``: only the first half of ``resume`` (the Unit Converter's states and resume times,
no pool, no bare window): what a measurement per machine state (no swap, swap file, zram)
needs. PSS rows also give ``SwapPss`` (pages in swap are not in PSS), the machine's swap, and
for zram the compressed size the suspended tree's pages took (``/sys/block/zram0/mm_stat``).

Usage: python bench/lifecycle.py [--runs 5] [--apps 20] [--only resume,throttle,many,states]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import machine, median, tree_pss_mb, xvfb  # noqa: E402

APP = "dev.superapp.converter"


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _tree_cpu(pid: int) -> float:
    import psutil

    total = 0.0
    try:
        procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return 0.0
    for proc in procs:
        try:
            t = proc.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def _tree_majflt(pid: int) -> int:
    """Major page faults of the tree so far (pages read back from swap or from files)."""
    total = 0
    try:
        procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return 0
    for proc in procs:
        try:
            with open(f"/proc/{proc.pid}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
            total += int(stat[stat.rfind(")") + 2 :].split()[9])  # field 12: majflt
        except (OSError, ValueError, IndexError):
            pass
    return total


def _settle(supervisor: Any, rounds: int = 2) -> None:
    """Wait for ``rounds`` monitor rounds (the host's own clock of events)."""
    for _ in range(rounds):
        latest = supervisor.monitor.latest()
        first = max((s.at for s in latest.values()), default=0.0)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and supervisor.running():
            now = max((s.at for s in supervisor.monitor.latest().values()), default=0.0)
            if now > first:
                break
            time.sleep(0.05)


def _host(home: str, policy: str, pool: bool = False) -> Any:
    from superapp.core.paths import Paths
    from superapp.host import start_host

    paths = Paths.from_env()
    paths.ensure()
    paths.policy_file.write_text(policy, encoding="utf-8")
    from superapp.core.consent import ConsentAnswer

    return start_host(
        paths, consent=lambda prompt: ConsentAnswer.DENY, share_confirm=lambda *a: False,
        pool=pool,
    )  # fmt: skip


#: PSS of one process, in MB, from ``/proc/<pid>/smaps_rollup``: (anonymous, file-backed, shmem).
Split = dict[str, float]


def _role(proc: psutil.Process) -> str:
    """What a process of an app's tree is: the runtime (Qt WebEngine's browser process, with
    its GPU and network service in-process here), a zygote, or a zygote's child (renderer)."""
    args = proc.cmdline()
    kind = next((a[7:] for a in args if a.startswith("--type=")), "")
    if kind == "zygote":
        try:
            parent = proc.parent()
            parent_args = parent.cmdline() if parent is not None else []
        except psutil.Error:  # it exited: label it by its own line
            parent_args = []
        return "renderer" if "--type=zygote" in parent_args else "zygote"
    return kind or "runtime"


def pss_split(pid: int) -> dict[str, Split]:
    """PSS of the tree of ``pid`` by role (runtime, zygote, renderer, ...), each split into
    anonymous, file-backed and shared memory (MB). Without swap only file-backed pages can
    leave memory while the process lives."""
    out: dict[str, Split] = {}
    try:
        procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return out
    for proc in procs:
        try:
            role = _role(proc)
            fields: dict[str, float] = {}
            with open(f"/proc/{proc.pid}/smaps_rollup", encoding="ascii") as f:
                for line in f:
                    name, _, kb = line.partition(":")
                    if name in ("Pss_Anon", "Pss_File", "Pss_Shmem"):
                        fields[name[4:].lower()] = int(kb.split()[0]) * 1024 / 1e6
                    elif name == "SwapPss":  # in swap: not part of PSS
                        fields["swap"] = int(kb.split()[0]) * 1024 / 1e6
        except (psutil.Error, OSError):
            continue
        total = out.setdefault(
            role, {"anon": 0.0, "file": 0.0, "shmem": 0.0, "swap": 0.0, "count": 0.0}
        )
        for key, value in fields.items():
            total[key] += value
        total["count"] += 1
    return out


def _total(split: dict[str, Split], key: str | None = None) -> float:
    keys = (key,) if key else ("anon", "file", "shmem")
    return sum(part[k] for part in split.values() for k in keys)


def swap_state() -> str:
    """The machine's swap as this bench saw it: none, a swap file/partition, or zram."""
    try:
        with open("/proc/swaps", encoding="ascii") as f:
            rows = [line.split() for line in f.read().splitlines()[1:] if line.strip()]
    except OSError:
        rows = []
    if not rows:
        return "no swap"
    parts = []
    for name, kind, size, *_ in rows:
        what = "zram" if "zram" in name else kind
        if what == "zram":
            try:
                with open("/sys/block/zram0/comp_algorithm", encoding="ascii") as f:
                    algo = next((a[1:-1] for a in f.read().split() if a.startswith("[")), "")
                what += f" ({algo})"
            except OSError:
                pass
        parts.append(f"{what} {int(size) / 2**20:.1f} GiB")
    return "swap: " + ", ".join(parts)


def zram_used() -> tuple[float, float, float] | None:
    """zram0's (original data, compressed data, memory used in all) in MB, or None."""
    try:
        with open("/sys/block/zram0/mm_stat", encoding="ascii") as f:
            fields = f.read().split()
        with open("/proc/swaps", encoding="ascii") as f:
            if "zram0" not in f.read():
                return None
    except OSError:
        return None
    orig, compr, used = (int(v) / 1e6 for v in fields[:3])
    return orig, compr, used


def measure_states(runs: int, pool: bool = False, app_id: str = APP) -> dict[str, Any]:
    """The Unit Converter in a host of this process, ``runs`` times: PSS by role while running,
    hidden, suspended and discarded, and resume from suspended and from discarded (request →
    the host's confirmation: window shown, page active; after a discard, the reloaded page
    loaded). Used by ``bench/startup.py`` too (one run with the start-up figures). ``pool``:
    the host keeps the policy's prewarmed runtimes (as the launcher does), so resuming a
    discarded app claims one when it fits (the Unit Converter does since its engine profile can
    be moved into a slot; before that, its ``persistent`` engine storage always started cold)."""
    host = _host(os.environ["SUPERAPP_HOME"], "[lifecycle]\nhidden_suspend_after_s = false\n", pool)
    sup = host.supervisor
    times: dict[str, list[float]] = {"suspended": [], "discarded": [], "suspend": []}
    splits: dict[str, list[dict[str, Split]]] = {
        "running": [], "hidden": [], "suspended": [], "discarded": [], "resumed": [],
    }  # fmt: skip
    #: Major faults of the tree during resume (to the confirmation, then two monitor rounds).
    faults: list[tuple[int, int]] = []
    audit: list[str] = []
    zram: list[tuple[float, float, float]] = []
    kept: list[int] = []
    pooled: list[bool] = []
    try:
        app = sup.launch(app_id)
        assert app.loaded.wait(120)
        for _ in range(runs):
            _settle(sup)
            splits["running"].append(pss_split(app.pid))
            sup.background.hide(app_id)
            _settle(sup)
            splits["hidden"].append(pss_split(app.pid))
            before = zram_used()
            t = time.perf_counter()
            sup.background.hide(app_id, suspend=True)  # freeze, self-compaction, stop, compact
            times["suspend"].append(time.perf_counter() - t)
            splits["suspended"].append(pss_split(app.pid))
            after = zram_used()
            if before is not None and after is not None:  # what this suspend put in zram
                zram.append((after[0] - before[0], after[1] - before[1], after[2] - before[2]))
            majflt = _tree_majflt(app.pid)
            t = time.perf_counter()
            sup.background.resume(app_id)
            times["suspended"].append(time.perf_counter() - t)
            confirmed = _tree_majflt(app.pid)
            _settle(sup)
            faults.append((confirmed - majflt, _tree_majflt(app.pid) - majflt))
            splits["resumed"].append(pss_split(app.pid))
            sup.background.hide(app_id, suspend=True)
            sup.background.discard(app_id)
            # Process-level discard (ADR 0014): the tree has exited; what is left is what the
            # host keeps of the page (in its memory: the in-app URL and handed-over state).
            assert app.exited.is_set() and not psutil.pid_exists(app.pid)
            splits["discarded"].append(pss_split(app.pid))
            saved = sup.discarded.get(app_id)
            kept.append(len(saved.location) + len(saved.state or ""))
            t = time.perf_counter()
            app = sup.discarded.resume(app_id, "bench")  # a launch, page restored, loaded
            times["discarded"].append(time.perf_counter() - t)
            pooled.append(app.pooled)
        audit = _compaction_notes(sup, app_id)
    finally:
        host.close()
    return {
        "times": times, "splits": splits, "compaction": audit, "kept": kept, "pooled": pooled,
        "zram": zram, "swap": swap_state(), "faults": faults,
    }  # fmt: skip


def _compaction_notes(sup: Any, app_id: str = APP) -> list[str]:
    """What the host's compaction said in its audit entries (MiB advised, or the refusal)."""
    from superapp.testing import audit_events

    notes = []
    for event in audit_events(sup.paths, "app.lifecycle", app_id):
        fields = event["superapp"]
        if "compacted_mib" in fields:
            skipped = fields.get("compaction_skipped", "")
            why = f" ({skipped[:120]})" if skipped else ""
            note = f"host: {fields['compacted_mib']} MiB advised{why}"
            if "self_compaction" in fields:
                note += f"; runtime's own claim: {fields['self_compaction']}"
                if "self_compacted_mib" in fields:
                    note += f", {fields['self_compacted_mib']} MiB advised"
                if fields.get("self_compaction_refused"):
                    note += f", refused {fields['self_compaction_refused']}"
            notes.append(note)
    return notes


def _cap_sys_nice() -> bool:
    with open("/proc/self/status", encoding="ascii") as f:
        eff = next(line.split()[1] for line in f if line.startswith("CapEff:"))
    return bool(int(eff, 16) >> 23 & 1)  # CAP_SYS_NICE is capability 23


def _ms(values: list[float]) -> str:
    return f"{median(values) * 1000:.0f} ms p50, {max(values) * 1000:.0f} ms max"


def _role_mb(runs: list[dict[str, Split]], role: str) -> str:
    """One role's median PSS over the runs (MB), its anonymous part in brackets."""
    mine = [s[role] for s in runs if role in s]
    total = median([m["anon"] + m["file"] + m["shmem"] for m in mine])
    return f"{total:.0f} (anon {median([m['anon'] for m in mine]):.0f})"


def state_rows(figures: dict[str, Any]) -> list[str]:
    """Markdown rows: resume times, then PSS per state with its anonymous/file split."""
    times, splits = figures["times"], figures["splits"]
    how = "pooled runtime" if all(figures.get("pooled") or [False]) else "cold runtime"
    rows = [
        f"| suspend from hidden (request → frozen, paged out, stopped, compacted) | "
        f"{_ms(times['suspend'])} |",
        f"| resume from suspended (request → window shown, page active) | "
        f"{_ms(times['suspended'])} |",
        f"| resume from discarded (request → a new {how}'s restored page loaded, "
        f"window shown) | {_ms(times['discarded'])} |",
    ]
    if figures.get("faults"):
        at = median([f[0] for f in figures["faults"]])
        later = median([f[1] for f in figures["faults"]])
        rows.append(
            f"| resume from suspended: major page faults of the tree (pages read back) | "
            f"{at:.0f} by the confirmation, {later:.0f} two monitor rounds later (median) |"
        )
    running = median([_total(s) for s in splits["running"]])
    states = ("running", "hidden", "suspended", "resumed", "discarded")
    for state in (s for s in states if splits.get(s)):
        runs: list[dict[str, Split]] = splits[state]
        total = median([_total(s) for s in runs])
        anon = median([_total(s, "anon") for s in runs])
        file = median([_total(s, "file") for s in runs])
        swap = median([_total(s, "swap") for s in runs])
        roles = sorted({r for s in runs for r in s})
        parts = ", ".join(f"{role} {_role_mb(runs, role)}" for role in roles)
        swapped = f", SwapPss {swap:.0f} (not in PSS)" if swap >= 0.5 else ""
        rows.append(
            f"| PSS {state} | {total:.0f} MB ({100 * total / running:.0f} % of running): "
            f"anon {anon:.0f}, file {file:.0f}{swapped}; {parts} |"
        )
    if figures.get("zram"):
        orig = median([z[0] for z in figures["zram"]])
        compr = median([z[1] for z in figures["zram"]])
        used = median([z[2] for z in figures["zram"]])
        rows.append(
            f"| zram: what one suspend put there (mm_stat, median) | {orig:.0f} MB of pages "
            f"→ {compr:.0f} MB compressed, {used:.0f} MB of RAM used by zram |"
        )
    if figures.get("kept"):
        rows.append(
            f"| discarded: what the host keeps (in-app URL + handed-over state, memory only) | "
            f"{max(figures['kept'])} bytes |"
        )
    if figures["compaction"]:
        rows.append(f"| compaction (audit, last entry) | {figures['compaction'][-1]} |")
    if figures.get("swap"):
        rows.append(f"| machine | {figures['swap']}, host euid {os.geteuid()}, "
                    f"CAP_SYS_NICE {'yes' if _cap_sys_nice() else 'no'} |")  # fmt: skip
    return rows


def bench_resume(runs: int) -> list[str]:
    figures = measure_states(runs)
    from bench.startup import WARM_APP, _install_plain

    _install_plain(Path(os.environ["SUPERAPP_HOME"]))  # a page the pool can serve
    pooled = measure_states(runs, pool=True, app_id=WARM_APP)
    warm = pooled["times"]["discarded"]
    claimed = sum(pooled["pooled"])
    bare = _bare_pss()
    return [
        *state_rows(figures),
        f"| resume from discarded, host with a pool (the launcher's), a plain page that fits "
        f"it ({claimed} of {len(warm)} from the pool) | {_ms(warm)} |",
        f"| PSS bare pywebview, same page, same run | {bare:.0f} MB |",
    ]


def _bare_pss() -> float:
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "_bare_pywebview.py"),
         str(REPO / "miniapps" / "converter")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if "loaded" in line:
                time.sleep(2)  # as the host side: let the page settle (not a measured time)
                return tree_pss_mb(proc.pid)
        return 0.0
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()


def bench_throttle(tmp: Path) -> list[str]:
    from superapp.testing import make_app

    policy = (
        "[monitor]\nsample_interval_s = 1.0\n"
        "[monitor.cpu]\nlimit = 10\nwarn_after_s = 0\nthrottle_after_s = 3\n"
        "terminate_after_s = 3600\ncooldown_s = 3600\n"
    )
    host = _host(os.environ["SUPERAPP_HOME"], policy)
    sup = host.supervisor
    burn = "setTimeout(() => { while (true) {} }, 500);"
    folder = make_app(tmp, "com.example.burner", script=burn)
    before: list[float] = []
    during: list[float] = []
    try:
        app = sup.launch("com.example.burner", dev_src=folder)
        assert app.loaded.wait(120)
        deadline = time.monotonic() + 300
        while app.state.value != "throttled":
            if app.exited.is_set() or time.monotonic() > deadline:
                raise RuntimeError(f"the burner exited: {sup.state('com.example.burner')}")
            _settle(sup, 1)
            sample = sup.monitor.latest().get("com.example.burner")
            if sample is not None and app.state.value != "throttled":
                before.append(sample.cpu_percent)
        _settle(sup, 1)  # the first round under throttle may hold time before it
        for _ in range(6):
            _settle(sup, 1)
            during.append(sup.monitor.latest()["com.example.burner"].cpu_percent)
        share = sup.policy().monitor.throttle_share
    finally:
        host.close()
    return [
        f"| CPU-burning page, before throttle (% of one core) | "
        f"{max(before[1:] or before):.0f} % |",
        f"| same, throttled (`throttle_share = {share}`), 6 samples | "
        f"{median(during):.1f} % median, {max(during):.1f} % max (budget 10 %) |",
    ]


def bench_many(tmp: Path, count: int) -> list[str]:
    from superapp.launcher._api import LauncherApi
    from superapp.testing import make_app

    host = _host(os.environ["SUPERAPP_HOME"], "[lifecycle]\nhidden_suspend_after_s = false\n")
    sup = host.supervisor
    api = LauncherApi(sup.paths, sup, lambda: None)
    answers: list[float] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.05):
            for call in (api.list_apps, api.dashboard):
                t = time.perf_counter()
                call()
                answers.append(time.perf_counter() - t)

    ids = [f"com.example.app{i:02d}" for i in range(count)]
    folders = {i: make_app(tmp, i, script="") for i in ids}
    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    loaded: list[str] = []
    started = time.perf_counter()
    try:
        for batch in range(0, count, 4):
            apps = [sup.launch(i, dev_src=folders[i]) for i in ids[batch : batch + 4]]
            for app in apps:
                if app.loaded.wait(180):
                    loaded.append(app.app_id)
            for app in apps:
                if app.app_id in loaded and ids.index(app.app_id) < count - 2:
                    sup.background.hide(app.app_id, suspend=True)
        wall = time.perf_counter() - started
        suspended = [a for a in sup.running() if a.state.value == "suspended"]
        cpu_before = {a.app_id: _tree_cpu(a.pid) for a in suspended}
        _settle(sup, 2)
        moved = [a.app_id for a in suspended if _tree_cpu(a.pid) != cpu_before[a.app_id]]
        pss_total = sum(tree_pss_mb(a.pid) for a in sup.running())
    finally:
        stop.set()
        poller.join()
        host.close()
    return [
        f"| {count} apps launched (4 at a time), reached `loaded` | {len(loaded)} of {count}, "
        f"{wall:.0f} s in all |",
        f"| launcher API answers during the run ({len(answers)} calls) | "
        f"p50 {_p(answers, 0.5) * 1000:.1f} ms, p99 {_p(answers, 0.99) * 1000:.1f} ms, "
        f"max {max(answers) * 1000:.0f} ms |",
        f"| suspended apps whose tree's CPU time moved across two monitor rounds | "
        f"{len(moved)} of {len(suspended)} |",
        f"| PSS of all {count} trees ({len(suspended)} suspended) | {pss_total / 1000:.1f} GB |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--apps", type=int, default=20)
    parser.add_argument("--only", default="resume,throttle,many")
    args = parser.parse_args()
    parts = args.only.split(",")
    with tempfile.TemporaryDirectory() as home, xvfb():
        os.environ["SUPERAPP_HOME"] = home
        os.environ["PYTHONPATH"] = str(REPO)
        subprocess.run(
            [sys.executable, "-m", "superapp", "samples", "install"], check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        tmp = Path(home) / "apps"
        print(f"## Lifecycle ({machine()}, load average {os.getloadavg()[0]:.1f} at start)\n")
        print("| measure | result |\n|---|---|", flush=True)
        for name, part in (
            ("resume", lambda: bench_resume(args.runs)),
            ("throttle", lambda: bench_throttle(tmp)),
            ("many", lambda: bench_many(tmp, args.apps)),
            ("states", lambda: state_rows(measure_states(args.runs))),
        ):
            if name in parts:
                rows = part()
                print("\n".join(rows), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
