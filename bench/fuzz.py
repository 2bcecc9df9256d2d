"""Coverage-guided fuzzing of the two doors that take bytes from a less trusted party.

    .venv/bin/python bench/fuzz.py dispatcher [--runs N] [--timeout S] [libFuzzer flags...]
    .venv/bin/python bench/fuzz.py control    [--runs N] [--timeout S] [libFuzzer flags...]

Targets (issue 13; outside the test suite because a campaign takes many minutes):

``dispatcher``
    ``Dispatcher.dispatch(raw)`` of a real dispatcher (``bridge.testing.open_test_bridge``:
    real grants store in SQLite, real audit log, real per-app storage and files under a
    temporary ``SUPERAPP_HOME``), every capability declared and consent always given, so
    inputs reach the handlers. The first input byte picks how the rest reaches the
    dispatcher: as bytes, or as text decoded with lone surrogates kept, as Latin-1 or with
    replacement characters. Finding: ``dispatch`` raising, a reply that is not strict
    JSON of the documented shape, an ``INTERNAL`` code (an unhandled exception inside), a
    traceback or the host's data folder in a reply.
``control``
    ``superapp.protocol.decode_message(frame)``: the function that turns one received
    control-channel frame into a typed message. Finding: any exception other than
    ``ChannelClosedError``, or an accepted message that cannot be sent back and decoded to
    the same message (the host writes what it receives to the audit log and answers with it).

Hangs: libFuzzer's ``-timeout`` (default here 10 s per input) reports any input that runs
longer. One worker (``-workers`` is not passed): the project's machine is shared.

The seed corpus is ``bench/fuzz-corpus/<target>/`` (committed, small) plus a token
dictionary ``bench/fuzz-corpus/<target>.dict``; inputs the fuzzer finds are written to a
scratch folder (``--work``, default a new temporary folder), never into the repository.
At the end the script prints one Markdown row for bench/RESULTS.md from libFuzzer's final
statistics.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import atheris

HERE = Path(__file__).resolve().parent
# Run as a script, this folder comes first on sys.path, and bench/bridge.py would shadow
# the bridge package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
CORPUS = HERE / "fuzz-corpus"
TARGETS = ("dispatcher", "control")

# Coverage feedback comes from Python code only: the json scanner and pydantic-core are
# native and not instrumented, so raw bytes get little guidance through them. Half of the
# inputs are therefore read as choices in a small JSON grammar (below); the grammar's own
# branches are instrumented, which lets the fuzzer keep inputs that produce new shapes.
_WORDS = (
    "id", "api", "params", "type", "key", "value", "prefix", "path", "data", "encoding",
    "base64", "utf8", "text", "title", "body", "capability", "url", "method", "headers",
    "to", "storage", "files", "net:request", "user:readProfile", "../", "a/../../b",
    "/etc/passwd", "http://127.0.0.1/", "https://api.example.com/x", "app://com.example.fuzz/",
    "file:///etc/passwd", "com.example.other", "pid", "sandbox", "elapsed_ms", "fields",
    "request_id", "answer", "allow_once", "deny", "outcome", "counters", "level", "message",
    "reason", "action", "renderer_pid", "\u0000", "\ud800", "", " ", "GET", "POST",
)  # fmt: skip
_MAX_DEPTH = 4


@atheris.instrument_func
def _grammar_value(fdp: atheris.FuzzedDataProvider, depth: int = 0) -> object:
    """One JSON-like value chosen by the input (lists and objects up to ``_MAX_DEPTH``)."""
    kind = fdp.ConsumeIntInRange(0, 11)
    if kind == 0:
        return None
    if kind == 1:
        return fdp.ConsumeBool()
    if kind == 2:
        return fdp.ConsumeInt(fdp.ConsumeIntInRange(1, 16))
    if kind == 3:
        return fdp.ConsumeFloat()  # includes NaN, infinities, -0.0
    if kind == 4:
        return fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 40))  # may hold lone surrogates
    if kind == 5:
        return _WORDS[fdp.ConsumeIntInRange(0, len(_WORDS) - 1)]
    if kind == 6 and depth < _MAX_DEPTH:
        return [_grammar_value(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 4))]
    if kind == 7 and depth < _MAX_DEPTH:
        return _grammar_object(fdp, depth + 1)
    if kind == 8:
        # Pathological nesting (recursion limits of parsers and validators).
        inner: object = _grammar_value(fdp, _MAX_DEPTH)
        # Depths spread over powers of two up to 4,096, so most inputs stay cheap.
        for _ in range(1 << fdp.ConsumeIntInRange(0, 12)):
            inner = [inner] if fdp.ConsumeBool() else {"a": inner}
        return inner
    if kind == 9:
        # Large values: long strings, and integers up to Python's digit limit (4,300).
        char = fdp.ConsumeUnicode(1) or "x"
        size = (1 << fdp.ConsumeIntInRange(0, 18)) + fdp.ConsumeIntInRange(-1, 1)  # to 256 Ki
        return int("9" * max(1, min(size, 4300))) if fdp.ConsumeBool() else char * max(0, size)
    return fdp.ConsumeInt(4)


@atheris.instrument_func
def _grammar_object(fdp: atheris.FuzzedDataProvider, depth: int = 0) -> dict[str, object]:
    obj: dict[str, object] = {}
    for _ in range(fdp.ConsumeIntInRange(0, 5)):
        known = fdp.ConsumeBool()
        key = (
            _WORDS[fdp.ConsumeIntInRange(0, len(_WORDS) - 1)]
            if known
            else (fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 12)))
        )
        obj[key] = _grammar_value(fdp, depth)
    return obj


def _dumps(fdp: atheris.FuzzedDataProvider, value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=fdp.ConsumeBool())
    except RecursionError:
        return "[" * 3000  # the grammar nested past json.dumps' own limit


class FindingError(Exception):
    """A fuzz input broke a documented promise (raised to make libFuzzer save the input)."""


def _refuse_constant(name: str) -> object:
    raise FindingError(f"reply contains {name}")


def _declared() -> frozenset[str]:
    from superapp.core.capabilities import CAPABILITIES, WEB_PERMISSION_CAPABILITIES

    return CAPABILITIES - WEB_PERMISSION_CAPABILITIES


#: Every bridge capability, so inputs reach every handler (net.request has no allowed host:
#: the campaign never touches the network).
DECLARED = _declared()


# --- dispatcher --------------------------------------------------------------------------
def _dispatcher_target() -> Callable[[bytes], None]:
    with atheris.instrument_imports(include=["bridge", "superapp"]):
        from bridge.errors import CODES
        from bridge.limits import RATE_CLASSES, BridgeLimits, RateLimit
        from bridge.table import API_TABLE
        from bridge.testing import open_test_bridge
        from superapp.core.consent import FixedAnswerBroker

    home = Path(os.environ.get("SUPERAPP_FUZZ_HOME") or tempfile.mkdtemp(prefix="fuzz-home-"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ["SUPERAPP_HOME"] = str(home)
    # Rates and consent out of the way, so inputs get past them to validation and handlers.
    generous = RateLimit(burst=10**9, per_second=10**9)
    bridge = open_test_bridge(
        home,
        "com.example.fuzz",
        declared=DECLARED,
        broker=FixedAnswerBroker.allow(),
        limits=BridgeLimits(rates=dict.fromkeys(RATE_CLASSES, generous), consent_prompts=generous),
    )
    dispatch = bridge.dispatcher.dispatch
    home_text = str(home)
    codes = frozenset(CODES)

    def check(reply: object) -> None:
        if not isinstance(reply, str):
            raise FindingError(f"dispatch returned {type(reply).__name__}")
        reply.encode("utf-8")  # a lone surrogate here could not reach the page
        value = json.loads(reply, parse_constant=_refuse_constant)
        if not isinstance(value, dict) or value.get("ok") not in (True, False):
            raise FindingError(f"malformed reply {reply[:200]!r}")
        if value["ok"]:
            if set(value) != {"id", "ok", "result"}:
                raise FindingError(f"malformed success reply {reply[:200]!r}")
            return
        error = value.get("error")
        if set(value) != {"id", "ok", "error"} or not isinstance(error, dict):
            raise FindingError(f"malformed error reply {reply[:200]!r}")
        if error.get("code") not in codes or not isinstance(error.get("message"), str):
            raise FindingError(f"malformed error {reply[:200]!r}")
        if error["code"] == "INTERNAL":
            raise FindingError(f"unhandled exception inside the dispatcher: {reply[:200]!r}")
        if "Traceback" in error["message"] or home_text in reply:
            raise FindingError(f"reply leaks host detail: {reply[:200]!r}")

    apis = sorted(API_TABLE)

    @atheris.instrument_func
    def structured(fdp: atheris.FuzzedDataProvider) -> str:
        envelope: dict[str, object] = {}
        if fdp.ConsumeIntInRange(0, 7):
            envelope["id"] = fdp.ConsumeInt(fdp.ConsumeIntInRange(1, 9))
        else:
            envelope["id"] = _grammar_value(fdp)
        envelope["api"] = (
            apis[fdp.ConsumeIntInRange(0, len(apis) - 1)]
            if fdp.ConsumeIntInRange(0, 7)
            else _grammar_value(fdp)
        )
        if fdp.ConsumeIntInRange(0, 7):
            envelope["params"] = _grammar_object(fdp)
        elif fdp.ConsumeBool():
            envelope["params"] = _grammar_value(fdp)
        if not fdp.ConsumeIntInRange(0, 15):
            envelope[fdp.ConsumeUnicode(4)] = _grammar_value(fdp)
        return _dumps(fdp, envelope)

    def one_input(data: bytes) -> None:
        if not data:
            return
        mode, body = data[0] & 7, data[1:]
        raw: str | bytes
        if mode == 0:
            raw = body
        elif mode == 1:
            raw = body.decode("utf-8", "surrogateescape")  # invalid bytes → lone surrogates
        elif mode == 2:
            raw = body.decode("latin-1")
        elif mode == 3:
            raw = body.decode("utf-8", "replace")
        else:
            text = structured(atheris.FuzzedDataProvider(body))
            raw = text.encode("utf-8", "surrogatepass") if mode == 4 else text
        check(dispatch(raw))

    return one_input


# --- control channel ---------------------------------------------------------------------
def _control_target() -> Callable[[bytes], None]:
    with atheris.instrument_imports(include=["superapp"]):
        from superapp.protocol import ChannelClosedError, decode_message

    # One valid message of each type (the seed corpus): half of the structured inputs start
    # from one and change, drop or add fields, so they reach the models' field validation and,
    # when accepted, the round trip.
    templates = [
        json.loads(p.read_bytes())
        for p in sorted((CORPUS / "control").iterdir())
        if p.name[:1] == "0" or p.name[:2] == "10"
    ]
    types = [t["type"] for t in templates]

    @atheris.instrument_func
    def from_template(fdp: atheris.FuzzedDataProvider) -> dict[str, object]:
        msg = dict(templates[fdp.ConsumeIntInRange(0, len(templates) - 1)])
        for key in list(msg):
            action = fdp.ConsumeIntInRange(0, 5)
            if action == 0:
                msg[key] = _grammar_value(fdp)
            elif action == 1 and key != "type":
                del msg[key]
        if not fdp.ConsumeIntInRange(0, 7):
            msg[fdp.ConsumeUnicode(6)] = _grammar_value(fdp)
        return msg

    @atheris.instrument_func
    def structured(fdp: atheris.FuzzedDataProvider) -> bytes:
        if fdp.ConsumeBool():
            msg = from_template(fdp)
        else:
            msg = _grammar_object(fdp)
            if fdp.ConsumeIntInRange(0, 7):
                msg["type"] = types[fdp.ConsumeIntInRange(0, len(types) - 1)]
        text = _dumps(fdp, msg)
        return text.encode("utf-8", "surrogatepass")

    def one_input(data: bytes) -> None:
        # Inputs that start like a JSON object go in as raw bytes, as read from the socket.
        frame = data if data[:1] == b"{" else structured(atheris.FuzzedDataProvider(data))
        # Frames are lines (``Channel.recv`` reads up to and including ``\n``): the input gets
        # the terminator it lacks, so inputs reach the JSON and model steps.
        frame = frame if frame.endswith(b"\n") else frame + b"\n"
        try:
            msg = decode_message(frame)
        except ChannelClosedError:
            return
        again = decode_message(msg.model_dump_json().encode("utf-8") + b"\n")
        if again != msg:
            raise FindingError(f"accepted message does not round-trip: {msg!r} → {again!r}")

    return one_input


_STATS = re.compile(r"^stat::(\w+):\s*(\d+)", re.M)
_DONE = re.compile(r"^#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\S+)", re.M)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=TARGETS)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=int, default=10, help="seconds per input (hang)")
    parser.add_argument("--max-len", type=int, default=4096)
    parser.add_argument("--work", type=Path, help="scratch corpus folder (kept)")
    args, extra = parser.parse_known_args()

    if "--child" not in extra:
        # Run libFuzzer in a child so its stderr (statistics) can be read back here.
        return _campaign(args, extra)
    extra.remove("--child")
    target = _dispatcher_target() if args.target == "dispatcher" else _control_target()
    atheris.Setup([sys.argv[0], *extra], target)
    atheris.Fuzz()
    return 0


def _campaign(args: argparse.Namespace, extra: list[str]) -> int:
    import platform
    import subprocess

    work = args.work or Path(tempfile.mkdtemp(prefix=f"superapp-fuzz-{args.target}-"))
    work.mkdir(parents=True, exist_ok=True)
    seeds = CORPUS / args.target
    artifacts = work / "findings"
    artifacts.mkdir(exist_ok=True)
    log = work / "libfuzzer.log"
    cmd = [
        sys.executable, str(Path(__file__).resolve()), args.target, "--child",
        f"-runs={args.runs}", f"-timeout={args.timeout}", f"-max_len={args.max_len}",
        f"-dict={CORPUS / (args.target + '.dict')}", f"-artifact_prefix={artifacts}/",
        "-print_final_stats=1", "-rss_limit_mb=4096", *extra, str(work / "corpus"), str(seeds),
    ]  # fmt: skip
    (work / "corpus").mkdir(exist_ok=True)
    print(f"fuzz: {args.target}, {args.runs:,} runs, log {log}", file=sys.stderr)
    start = time.monotonic()
    home = work / "home"  # the dispatcher's SUPERAPP_HOME; removed afterwards
    env = {**os.environ, "SUPERAPP_FUZZ_HOME": str(home)}
    with log.open("w") as out:
        rc = subprocess.run(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env, check=False
        ).returncode
    shutil.rmtree(home, ignore_errors=True)
    seconds = time.monotonic() - start
    text = log.read_text(errors="replace")
    stats = {k: int(v) for k, v in _STATS.findall(text)}
    done = _DONE.search(text)
    findings = sorted(p.name for p in artifacts.iterdir())
    runs = stats.get("number_of_executed_units", 0)
    corpus_files = len(list((work / "corpus").iterdir()))
    row = (
        f"| {args.target} | {runs:,} | {seconds:,.0f} s | {runs / max(seconds, 1e-9):,.0f} | "
        f"{done.group(2) if done else '?'} | {done.group(4) if done else '?'} "
        f"({done.group(5) if done else '?'}) | {corpus_files} | {len(findings)} |"
    )
    print(f"machine: {platform.node()} {platform.python_version()} rc={rc}")
    print("| target | inputs | wall time | exec/s | coverage (edges) | corpus (units, size) "
          "| new corpus files | findings |")  # fmt: skip
    print(row)
    for name in findings:
        print(f"finding: {artifacts / name}")
    if rc != 0 and not findings:
        print(text[-3000:], file=sys.stderr)
    if not args.work and not findings:
        shutil.rmtree(work / "corpus", ignore_errors=True)
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
