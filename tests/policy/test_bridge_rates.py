"""The host policy's [bridge] and [bridge_rates.*] reach the dispatcher's limits."""

from __future__ import annotations

import pytest

from bridge.limits import DEFAULT_LIMITS, RateLimit, limits_from_policy
from superapp.core.errors import PolicyError
from superapp.policy import parse_policy


def test_rate_class_override_replaces_only_that_class() -> None:
    policy = parse_policy("[bridge_rates.cheap]\nburst = 5000\nper_second = 2500\n")
    limits = limits_from_policy(policy)
    assert limits.rates["cheap"] == RateLimit(burst=5000, per_second=2500)
    assert limits.rates["io"] == DEFAULT_LIMITS.rates["io"]


def test_no_policy_gives_the_defaults() -> None:
    assert limits_from_policy(parse_policy("")) == DEFAULT_LIMITS


@pytest.mark.parametrize(
    "text, field",
    [
        ("[bridge_rates.turbo]\nburst = 1\nper_second = 1\n", "bridge_rates.turbo"),
        ("[bridge_rates.cheap]\nburst = 0\nper_second = 1\n", "burst"),
        ("[bridge]\nno_such_limit = 1\n", "no_such_limit"),
    ],
    ids=["unknown-class", "zero-burst", "unknown-key"],
)
def test_bad_rate_policy_is_a_one_line_error_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(PolicyError, match=field.replace(".", r"\.")):
        limits_from_policy(parse_policy(text))
