"""The hand-over checker shared by the bridge and the host (ADR 0014): in-app locations only,
plain bounded JSON only."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superapp.core.errors import InvalidParamsError, PayloadTooLargeError
from superapp.core.pagestate import PageStateLimits, check_state, encode_state, in_app_location

APP = "com.example.notes"
LIMITS = PageStateLimits()

LOCATIONS = [
    ("entry", f"app://{APP}/", ""),
    ("page", f"app://{APP}/index.html", "index.html"),
    ("query-hash", f"app://{APP}/a/b.html?x=1&y=%3C#top", "a/b.html?x=1&y=%3C#top"),
    ("other-app", "app://com.example.other/index.html", None),
    ("userinfo", f"app://user@{APP}/index.html", None),
    ("port", f"app://{APP}:80/index.html", None),
    ("dot-dot", f"app://{APP}/../x", None),
    ("encoded-dot-dot", f"app://{APP}/%2e%2e/x", None),
    ("backslash", f"app://{APP}/a\\..\\b", None),
    ("file", "file:///etc/passwd", None),
    ("https", f"https://{APP}/", None),
    ("javascript", "javascript:alert(1)", None),
    ("control", f"app://{APP}/a\nb", None),
    ("too-long", f"app://{APP}/" + "a" * 3000, None),
]


@pytest.mark.parametrize(("url", "want"), [c[1:] for c in LOCATIONS],
                         ids=[c[0] for c in LOCATIONS])  # fmt: skip
def test_only_the_apps_own_locations_are_kept(url: str, want: str | None) -> None:
    assert in_app_location(APP, url, LIMITS) == want


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("x" * (LIMITS.max_bytes + 1), PayloadTooLargeError),
        (json.dumps("é" * 40_000), PayloadTooLargeError),  # 80 KB as UTF-8
        ("[" * 17 + "]" * 17, InvalidParamsError),
        ('{"a": NaN}', InvalidParamsError),
        ("1e999", InvalidParamsError),
        ("{'a': 1}", InvalidParamsError),
        ('"\\ud800"', InvalidParamsError),
    ],
    ids=["oversized", "oversized-utf8", "deep", "nan", "infinity", "not-json", "lone-surrogate"],
)
def test_hostile_state_text_is_refused(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        check_state(text, LIMITS)


plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip


@given(plain)
def test_plain_values_round_trip(value: object) -> None:
    text = encode_state(value, LIMITS)
    assert check_state(text, LIMITS) == text
    assert json.loads(text) == value
