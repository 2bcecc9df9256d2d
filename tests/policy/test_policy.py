"""The host policy file: defaults, validation, one-line errors naming the field."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from superapp.audit import AuditLimits, FloodLimits
from superapp.core.errors import PolicyError
from superapp.core.paths import Paths
from superapp.policy import HostPolicy, load_policy, parse_policy, parse_size

KEY = base64.b64encode(bytes(range(32))).decode()


def test_missing_file_means_documented_defaults(superapp_home: Paths) -> None:
    policy = load_policy(superapp_home)
    assert policy == HostPolicy()
    assert policy.monitor.sample_interval_s == 1.0
    assert policy.monitor.memory.limit == 1024**3
    assert policy.monitor.net_requests.limit == 100
    assert policy.revocation.source is None
    assert policy.revocation.on_expired == "open"
    assert policy.audit_limits() == AuditLimits()


def test_a_full_policy_file_is_read(superapp_home: Paths) -> None:
    superapp_home.policy_file.write_text(
        f"""
[monitor]
sample_interval_s = 0.5
hang_timeout_s = 4

[monitor.memory]
limit = "512 MB"
terminate_after_s = 1

[monitor.net_requests]
limit = 50
throttle_after_s = 1
terminate_after_s = 3

[revocation]
source = "https://platform.invalid/revocations.json"
interval_s = 60
platform_keys = ["{KEY}"]
on_expired = "closed"

[audit]
max_bytes = "1 MiB"
backups = 3
retained_max_bytes = "2 MiB"
flood_window_s = 30
flood_per_kind = 2
flood_per_app = 20

[monitor.audit_events]
limit = 5

[bridge]
max_payload_bytes = 65536
"""
    )
    policy = load_policy(superapp_home)
    assert policy.monitor.memory.limit == 512 * 1024**2
    assert policy.monitor.net_requests.terminate_after_s == 3
    assert policy.revocation.platform_keys == (KEY,)
    assert policy.revocation.on_expired == "closed"
    assert policy.audit_limits() == AuditLimits(
        max_bytes=1024**2,
        backups=3,
        retained_max_bytes=2 * 1024**2,
        flood=FloodLimits(window_s=30, per_kind=2, per_app=20),
    )
    assert policy.monitor.audit_events.limit == 5
    assert policy.bridge == {"max_payload_bytes": 65536}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[monitor]\nsample_interva_s = 1", "policy.toml: monitor.sample_interva_s: unknown key"),
        ("[monitr]\n", "policy.toml: monitr: unknown key"),
        ("[monitor.cpu]\nlimit = -5", "policy.toml: monitor.cpu.limit: input should be greater"),
        ("[monitor.memory]\nlimit = 'lots'", "policy.toml: monitor.memory.limit: not a size"),
        ("[revocation]\non_expired = 'maybe'", "policy.toml: revocation.on_expired: input should"),
        ("[revocation]\nsource = '/x.json'", "policy.toml: revocation: platform_keys is required"),
        ("[revocation]\nplatform_keys = ['abc']", "revocation.platform_keys.0: platform key"),
        (
            f"[revocation]\nplatform_keys = ['{KEY}']\nthreshold = 2",
            "revocation: threshold is larger",
        ),
        (
            "[monitor.cpu]\nwarn_after_s = 30\nthrottle_after_s = 5",
            "monitor.cpu: warn_after_s <= throttle_after_s",
        ),
        ("[bridge]\nmax = [1, 2]", "policy.toml: bridge.max: must be a number, a string or"),
        ("[monitor\n", "policy.toml: invalid TOML"),
    ],
    ids=[
        "typo_key",
        "typo_section",
        "negative",
        "bad_size",
        "bad_choice",
        "source_without_keys",
        "bad_key",
        "unreachable_threshold",
        "steps_out_of_order",
        "non_scalar_override",
        "bad_toml",
    ],
)
def test_bad_policy_gives_one_line_naming_the_field(text: str, expected: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(text)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_policy_file_names_the_file(superapp_home: Paths) -> None:
    superapp_home.policy_file.write_text("[monitor]\nbogus = 1\n")
    with pytest.raises(PolicyError, match=r"policy\.toml: monitor\.bogus: unknown key"):
        load_policy(superapp_home)


def test_policy_is_frozen() -> None:
    policy = HostPolicy()
    with pytest.raises(ValidationError):
        policy.monitor.memory.limit = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "size"),
    [("1024", 1024), ("1 KB", 1024), ("1.5 GiB", 3 * 1024**3 // 2), ("2g", 2 * 1024**3)],
)
def test_sizes_accept_binary_units(text: str, size: int) -> None:
    assert parse_size(text) == size


class _BridgeLimits(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    max_payload_bytes: int = 1024
    calls_per_s: float = 50.0


@dataclass(frozen=True)
class _StorageLimits:
    quota_bytes: int = 10


def test_limits_sections_build_other_modules_models() -> None:
    policy = parse_policy("[bridge]\nmax_payload_bytes = 4096\n[storage]\nquota_bytes = 99")
    assert policy.limits("bridge", _BridgeLimits) == _BridgeLimits(max_payload_bytes=4096)
    assert policy.limits("storage", _StorageLimits) == _StorageLimits(quota_bytes=99)


def test_limits_section_errors_name_the_field() -> None:
    policy = parse_policy("[bridge]\nmax_payload_byte = 4096\n[storage]\nquota = 1")
    with pytest.raises(PolicyError, match=r"bridge\.max_payload_byte: extra inputs"):
        policy.limits("bridge", _BridgeLimits)
    with pytest.raises(PolicyError, match=r"\[storage\]: .*quota"):
        policy.limits("storage", _StorageLimits)


def test_the_example_in_the_operators_guide_is_a_valid_policy() -> None:
    from tests.conftest import REPO

    text = (REPO / "docs" / "operators.md").read_text(encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    policy = parse_policy(example)
    assert policy.monitor.memory.limit == 3 * 1024**3 // 2
    assert policy.revocation.interval_s == 900
    assert policy.audit.backups == 20
