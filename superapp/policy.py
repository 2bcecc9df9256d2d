"""The host policy: one TOML file (``Paths.policy_file``) holding every operator-set limit.

A missing file means "all defaults". Every field has a documented default (below and in
``docs/operators.md``); unknown keys are refused, so a typo cannot silently leave a limit at
its default. Errors are one line naming the file and the dotted field::

    policy.toml: monitor.memory.limit: must be greater than 0

Sections::

    [monitor]                  sampling and the hang bound
    [monitor.memory]           budget: bytes of PSS (RSS where PSS is unavailable)
    [monitor.cpu]              budget: percent of one core, sustained
    [monitor.bridge_calls]     budget: callNative calls per second
    [monitor.net_requests]     budget: network requests per second (allowed or blocked)
    [monitor.storage_writes]   budget: storage writes per second
    [monitor.audit_events]     budget: audit events an app causes per second (before the gate)
    [monitor.engine_storage]   budget: bytes of the app's engine profile on disk
    [lifecycle]                background apps: when hidden/idle apps are suspended, discarded
    [revocation]               the kill switch: source, interval, platform keys, expiry policy
    [fleet]                    the mini-app repository (TUF): URL, trusted root, polling
    [audit]                    audit log rotation, retained security log, per-app flood gate
    [bridge]                   overrides for the bridge's frozen limits model (see ``limits``)
    [storage]                  overrides for storage's frozen limits model (see ``limits``)
    [confinement]              OS-level layers a runtime must have, or the app is refused

A budget escalates while the app stays over ``limit``: a warning after ``warn_after_s``,
throttling after ``throttle_after_s``, termination after ``terminate_after_s`` (a step set to
nothing is skipped). Being under the limit for ``cooldown_s`` ends the episode.
"""

from __future__ import annotations

import base64
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from superapp.audit import AuditLimits, FloodLimits
from superapp.core.errors import PolicyError
from superapp.core.paths import Paths

__all__ = [
    "CONFINEMENT_LAYERS",
    "AuditPolicy",
    "Budget",
    "ConfinementPolicy",
    "DiskBudget",
    "FleetPolicy",
    "HostPolicy",
    "LifecyclePolicy",
    "LimitOverrides",
    "MemoryBudget",
    "MonitorPolicy",
    "PoolPolicy",
    "RevocationPolicy",
    "load_policy",
    "parse_size",
]

T = TypeVar("T")

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(value: object) -> object:
    """``"1 GiB"``, ``"512MB"``, ``"2g"`` or an int → bytes (binary units: 1 GB = 1024³).

    Anything else is returned unchanged for pydantic to refuse with its own message.
    """
    if isinstance(value, str):
        match = _SIZE_RE.match(value)
        if not match:
            raise ValueError(f"not a size: {value!r} (use e.g. 1073741824, '512 MB' or '1 GiB')")
        number, unit = match.groups()
        return int(float(number) * _UNITS[(unit or "").lower()[:1]])
    return value


Size = Annotated[int, BeforeValidator(parse_size), Field(gt=0)]
Seconds = Annotated[float, Field(ge=0)]
#: Scalar overrides for another module's frozen limits model (``HostPolicy.limits``).
LimitOverrides = dict[str, StrictInt | StrictFloat | StrictBool | StrictStr]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RateOverride(_Section):
    """One token bucket: up to ``burst`` calls at once, refilled at ``per_second``."""

    burst: Annotated[float, Field(ge=1)]
    per_second: Annotated[float, Field(gt=0)]


class Budget(_Section):
    """One resource budget and its escalation steps (seconds spent over ``limit``)."""

    limit: Annotated[float, Field(gt=0)]
    warn_after_s: Seconds | None = 0.0
    throttle_after_s: Seconds | None = None
    terminate_after_s: Seconds | None = None
    #: Seconds back under the limit before the episode ends (and throttling is lifted).
    cooldown_s: Seconds = 5.0

    @model_validator(mode="after")
    def _steps_in_order(self) -> Budget:
        steps = [s for s in (self.warn_after_s, self.throttle_after_s, self.terminate_after_s) if s]
        if steps != sorted(steps):
            raise ValueError("warn_after_s <= throttle_after_s <= terminate_after_s is required")
        return self


class MemoryBudget(Budget):
    """Memory of the app's whole process tree, in bytes (sizes like ``"1 GiB"`` accepted)."""

    limit: Size = 1024**3
    warn_after_s: Seconds | None = 0.0
    throttle_after_s: Seconds | None = None  # throttling does not give memory back
    terminate_after_s: Seconds | None = 3.0
    #: At ``hard_factor × limit`` the app is stopped at once, without waiting.
    hard_factor: Annotated[float, Field(ge=1.0)] = 2.0


class CpuBudget(Budget):
    """CPU of the app's process tree in percent of one core, sustained."""

    limit: Annotated[float, Field(gt=0)] = 90.0
    warn_after_s: Seconds | None = 10.0
    throttle_after_s: Seconds | None = 20.0
    terminate_after_s: Seconds | None = 60.0


class RateBudget(Budget):
    """Events per second, averaged over one sampling interval."""

    warn_after_s: Seconds | None = 0.0
    throttle_after_s: Seconds | None = 2.0
    terminate_after_s: Seconds | None = 10.0


class DiskBudget(Budget):
    """Bytes an app's engine profile takes on disk (``webview/``, sizes like ``"50 MiB"``).

    Stopped at once when over: a folder does not shrink while the page keeps writing, and the
    supervisor then evicts the engine storage so the next launch starts within the budget.
    """

    limit: Size = 50 * 1024**2
    warn_after_s: Seconds | None = None
    throttle_after_s: Seconds | None = None
    terminate_after_s: Seconds | None = 0.0


def _rate(limit: float) -> Any:
    return Field(default_factory=lambda: RateBudget(limit=limit))


class MonitorPolicy(_Section):
    """``[monitor]``: sampling, the hang bound, and the budgets."""

    #: Seconds between samples of every running app's process tree.
    sample_interval_s: Annotated[float, Field(ge=0.05, le=60)] = 1.0
    #: An app whose page has not answered a heartbeat for this long is stopped.
    hang_timeout_s: Annotated[float, Field(gt=0)] = 10.0
    memory: MemoryBudget = Field(default_factory=MemoryBudget)
    cpu: CpuBudget = Field(default_factory=CpuBudget)
    bridge_calls: RateBudget = _rate(200.0)
    #: 500 requests a second is either broken or mining.
    net_requests: RateBudget = _rate(100.0)
    storage_writes: RateBudget = _rate(100.0)
    #: Audit events an app causes (denials, blocks, ...), counted before the flood gate: a
    #: page that makes 20 refused attempts a second for 10 s is attacking, not browsing.
    audit_events: RateBudget = _rate(20.0)
    #: The engine's own web storage on disk: only apps with ``engine_storage = "persistent"``
    #: keep any; the default in-memory storage counts in ``memory`` instead.
    engine_storage: DiskBudget = Field(default_factory=DiskBudget)
    #: The throttle step is real (issue 16): a throttled app's process tree is stopped and
    #: continued in a duty cycle, running ``throttle_share`` of every ``throttle_period_s``.
    throttle_share: Annotated[float, Field(ge=0.05, le=0.9)] = 0.25
    throttle_period_s: Annotated[float, Field(ge=0.02, le=2.0)] = 0.2


def _false_is_off(value: object) -> object:
    return None if value is False else value


#: A step that ``false`` turns off (TOML has no null).
OptionalSeconds = Annotated[Seconds | None, BeforeValidator(_false_is_off)]
OptionalSize = Annotated[Size | None, BeforeValidator(_false_is_off)]


class LifecyclePolicy(_Section):
    """``[lifecycle]``: apps in the background (docs/lifecycle.md). A step set to nothing is off.

    hidden → suspended after ``hidden_suspend_after_s``; a visible window nobody has used for
    ``idle_suspend_after_s`` is hidden and suspended; while the machine's available memory is
    under ``discard_below_available``, suspended apps are discarded (their runtime ends; the
    host keeps the page's URL and handed-over state and relaunches it on resume, ADR 0014), one
    per ``pressure_check_s``, and any suspended app after ``suspended_discard_after_s``.
    ``false`` turns a step off.
    """

    hidden_suspend_after_s: OptionalSeconds = 30.0
    #: Off by default: on a desktop, a window the user reads without touching is not idle.
    idle_suspend_after_s: OptionalSeconds = None
    discard_below_available: OptionalSize = 512 * 1024**2
    #: A suspended app is discarded (its runtime ends, ADR 0014) after this long even without
    #: memory pressure; off by default (resume then costs a launch instead of a continue).
    suspended_discard_after_s: OptionalSeconds = None
    pressure_check_s: Annotated[float, Field(ge=0.1, le=600)] = 5.0
    #: Stop (SIGSTOP) a suspended app's whole process tree: a frozen page alone leaves the
    #: engine's browser process waking up. Budgets and the kill switch continue it to stop it.
    stop_processes: bool = True


def _public_key(value: object) -> object:
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except ValueError as err:
            raise ValueError("platform key is not base64") from err
        if len(raw) != 32:
            raise ValueError("platform key must be a raw 32-byte Ed25519 public key in base64")
    return value


PublicKey = Annotated[str, BeforeValidator(_public_key)]


class RevocationPolicy(_Section):
    """``[revocation]``: where the signed revocation document comes from and who signs it."""

    #: ``https://…``/``http://…`` URL or a file path; unset disables the kill switch.
    source: str | None = None
    #: Seconds between fetches while the host runs (it also fetches at start).
    interval_s: Annotated[float, Field(ge=1)] = 3600.0
    #: Platform public keys (base64 raw Ed25519) trusted to sign the document.
    platform_keys: tuple[PublicKey, ...] = ()
    #: Distinct platform keys whose signatures a document needs.
    threshold: Annotated[int, Field(ge=1)] = 1
    #: Version of the key set above. A document may rotate to a newer set; raise this when
    #: you ship a newer set here, so that it takes over from a rotated set on disk.
    keyset_version: Annotated[int, Field(ge=1)] = 1
    #: When the last verified document has expired and no fresh one can be had:
    #: ``open`` keeps enforcing the last known list and lets every other app run;
    #: ``closed`` refuses to launch any app. See docs/adr/0005-revocation-expiry.md.
    on_expired: Literal["open", "closed"] = "open"
    fetch_timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    max_document_bytes: Annotated[int, Field(ge=1024)] = 4 * 1024 * 1024

    @field_validator("source")
    @classmethod
    def _source(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _threshold_reachable(self) -> RevocationPolicy:
        if self.source is not None and not self.platform_keys:
            raise ValueError("platform_keys is required when source is set")
        if self.platform_keys and self.threshold > len(set(self.platform_keys)):
            raise ValueError("threshold is larger than the number of distinct platform_keys")
        return self


class FleetPolicy(_Section):
    """``[fleet]``: the mini-app repository this host installs, updates and revokes from."""

    #: Base URL of the repository (``metadata/`` and ``targets/`` under it); unset: off.
    repository: str | None = None
    #: Path of the repository's trusted ``root.json`` (the trust anchor, shipped with the
    #: host); required with ``repository``. Later roots are reached by TUF's rotation.
    root: str | None = None
    #: Seconds between polls while the host runs (it also polls at start).
    interval_s: Annotated[float, Field(ge=1)] = 900.0
    #: Each wait is ``interval_s`` times a random factor in [1 - jitter, 1 + jitter], so a
    #: fleet started at once does not poll the CDN in step.
    jitter: Annotated[float, Field(ge=0, le=0.9)] = 0.25
    fetch_timeout_s: Annotated[int, Field(gt=0, le=120)] = 10
    #: Install updates found by polling (those asking new capabilities still wait for consent).
    auto_update: bool = True
    #: When no fresh verified fleet metadata can be had (expired: frozen or offline):
    #: ``open`` keeps enforcing the last verified revocation list; ``closed`` refuses every
    #: app installed from the repository (as ``[revocation] on_expired``, ADR 0005).
    on_expired: Literal["open", "closed"] = "open"

    @model_validator(mode="after")
    def _root_given(self) -> FleetPolicy:
        if self.repository is not None and not self.root:
            raise ValueError("root is required when repository is set")
        return self


class AuditPolicy(_Section):
    """``[audit]``: rotation of ``audit.jsonl``, the retained security log, the flood gate."""

    max_bytes: Annotated[Size, Field(ge=1024)] = 10 * 1024 * 1024
    backups: Annotated[int, Field(ge=1, le=1000)] = 10
    #: Cap of ``audit.jsonl.retained``, the security events of rotated-away files.
    retained_max_bytes: Annotated[Size, Field(ge=1024)] = 10 * 1024 * 1024
    #: Flood gate: per app and window, at most ``flood_per_kind`` entries of one kind
    #: (action + rule/code) and ``flood_per_app`` in all; the rest become one summary.
    flood_window_s: Annotated[float, Field(gt=0, le=3600)] = 10.0
    flood_per_kind: Annotated[int, Field(ge=1)] = 5
    flood_per_app: Annotated[int, Field(ge=1)] = 50


#: Layers ``[confinement] require`` may name: ``superapp.confine.LAYERS`` and the engine's own
#: sandbox (checked by the host on the renderer process).
CONFINEMENT_LAYERS: tuple[str, ...] = (
    "no_new_privs", "capabilities", "not_dumpable", "rlimits", "seccomp", "landlock_fs",
    "landlock_net", "landlock_scope", "engine_sandbox",
)  # fmt: skip


class ConfinementPolicy(_Section):
    """``[confinement]``: refuse to run an app whose runtime lacks a layer (issue 14).

    ``require = ["landlock_fs", "seccomp"]`` names layers; ``require_all = true`` all of them.
    A layer reported ``partial`` or ``unavailable`` does not count. Default: warn, run anyway.
    """

    require: tuple[str, ...] = ()
    require_all: bool = False

    @field_validator("require")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v not in CONFINEMENT_LAYERS]
        if unknown:
            names = ", ".join(CONFINEMENT_LAYERS)
            raise ValueError(f"unknown layer {unknown[0]!r}; one of {names}")
        return value

    def required(self) -> tuple[str, ...]:
        return CONFINEMENT_LAYERS if self.require_all else self.require


class PoolPolicy(_Section):
    """``[pool]``: prewarmed runtimes (docs/operators.md, issue 16). A pooled runtime is a
    generic runtime process with its engine already started, bound to one app when claimed and
    never reused. Only a host that stays up (the launcher) keeps a pool; ``superapp run`` and
    ``superapp dev`` launch one app at once and never pool."""

    #: Generic runtimes kept warm; 0 turns the pool off (every launch is cold).
    size: Annotated[int, Field(ge=0, le=8)] = 1
    #: The pool's idle processes together (their trees' PSS) may use this many MB; a runtime
    #: whose warm-up would go over it is not started (audited ``pool.over_budget``).
    max_idle_mb: Annotated[float, Field(ge=0)] = 400.0


class HostPolicy(_Section):
    """The whole policy file. Frozen: the host loads it once at start."""

    monitor: MonitorPolicy = Field(default_factory=MonitorPolicy)
    lifecycle: LifecyclePolicy = Field(default_factory=LifecyclePolicy)
    revocation: RevocationPolicy = Field(default_factory=RevocationPolicy)
    fleet: FleetPolicy = Field(default_factory=FleetPolicy)
    audit: AuditPolicy = Field(default_factory=AuditPolicy)
    pool: PoolPolicy = Field(default_factory=PoolPolicy)
    #: Keys of the bridge's limits model (e.g. ``max_payload_bytes``), checked by ``limits``.
    bridge: LimitOverrides = Field(default_factory=dict)
    #: Keys of storage's limits model (e.g. ``quota_bytes``), checked by ``limits``.
    storage: LimitOverrides = Field(default_factory=dict)
    #: Token buckets of the bridge's rate classes (``[bridge_rates.cheap]`` etc.), replacing
    #: the defaults of the classes named; checked against the class names by the bridge.
    bridge_rates: dict[str, RateOverride] = Field(default_factory=dict)
    confinement: ConfinementPolicy = Field(default_factory=ConfinementPolicy)

    def limits(self, section: Literal["bridge", "storage"], model: type[T]) -> T:
        """Build ``model`` (a frozen pydantic model or dataclass) with this section's overrides.

        Raises:
            PolicyError: an unknown key or a bad value, naming ``section.key``.
        """
        overrides: Mapping[str, object] = getattr(self, section)
        try:
            return model(**overrides)
        except ValidationError as err:
            first = err.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise PolicyError(f"policy: {section}.{loc}: {_msg(first['msg'])}") from None
        except (TypeError, ValueError) as err:
            raise PolicyError(f"policy: [{section}]: {err}") from None

    def audit_limits(self) -> AuditLimits:
        """The ``AuditLimits`` for ``AuditLog(path, limits=...)``."""
        a = self.audit
        flood = FloodLimits(
            window_s=a.flood_window_s, per_kind=a.flood_per_kind, per_app=a.flood_per_app
        )
        return AuditLimits(
            max_bytes=a.max_bytes,
            backups=a.backups,
            retained_max_bytes=a.retained_max_bytes,
            flood=flood,
        )


def _msg(text: str) -> str:
    text = text.removeprefix("Value error, ")
    return text[:1].lower() + text[1:]


def load_policy(paths: Paths | None = None, *, path: Path | None = None) -> HostPolicy:
    """Read the policy file (``path`` or ``paths.policy_file``); defaults when it is absent.

    Raises:
        PolicyError: unreadable file, invalid TOML, unknown key, or a bad value — one line,
            naming the file and the dotted field.
    """
    if path is None:
        path = (paths or Paths.from_env()).policy_file
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return HostPolicy()
    except (OSError, UnicodeDecodeError) as err:
        raise PolicyError(f"{path}: cannot read the policy file: {err}") from None
    return parse_policy(text, name=str(path))


def parse_policy(text: str, *, name: str = "policy.toml") -> HostPolicy:
    """Parse policy TOML text (see ``load_policy``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PolicyError(f"{name}: invalid TOML: {err}") from None
    try:
        return HostPolicy.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        parts = [str(p) for p in first["loc"]]
        msg = "unknown key" if first["type"] == "extra_forbidden" else _msg(first["msg"])
        if parts[:1] in (["bridge"], ["storage"]) and len(parts) > 2:
            parts, msg = parts[:2], "must be a number, a string or true/false"
        loc = ".".join(parts) or "(top level)"
        more = err.error_count() - 1
        extra = f" (and {more} more)" if more and not msg.startswith("must be a number") else ""
        raise PolicyError(f"{name}: {loc}: {msg}{extra}") from None
