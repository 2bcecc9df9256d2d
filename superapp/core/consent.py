"""Asking the user for a capability: the broker seam and a fixed-answer broker.

The runtime implements ``ConsentBroker`` by asking the host over its control channel; the
host shows the prompt in its own window, which the page can neither script nor click. The
broker blocks the calling worker thread until the user answers (or the host gives up, which
must be answered as ``DENY``).

``FixedAnswerBroker`` answers every question the same way without asking anyone: for tests,
and for kiosks whose operator decided in advance. (It was ``PolicyBroker``; renamed because
"policy" names the host policy file, ``superapp.policy``.)
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass
from typing import Protocol

__all__ = ["ConsentAnswer", "ConsentBroker", "ConsentQuestion", "FixedAnswerBroker", "as_answer"]


class ConsentAnswer(enum.Enum):
    ALLOW_ONCE = "allow_once"
    """This one call only; nothing is remembered."""
    ALLOW_ALWAYS = "allow_always"
    """Persisted as a grant until the user revokes it."""
    DENY = "deny"


def as_answer(value: object) -> ConsentAnswer:
    """``value`` (an answer or its wire value, from a dialog or the environment) as the one
    answer type; anything else is a refusal."""
    try:
        return ConsentAnswer(value)
    except ValueError:
        return ConsentAnswer.DENY


class ConsentBroker(Protocol):
    def ask(self, app_id: str, capability: str, reason: str) -> ConsentAnswer:
        """Ask the user whether ``app_id`` may use ``capability``.

        ``reason`` is the manifest's own ``req_permissions[].reason`` (signed with the
        bundle), never text supplied by the page at run time.
        """
        ...


@dataclass(frozen=True)
class ConsentQuestion:
    app_id: str
    capability: str
    reason: str


class FixedAnswerBroker:
    """Answers ``answer`` to every question and keeps the questions it was asked."""

    def __init__(self, answer: ConsentAnswer) -> None:
        self.answer = answer
        self._lock = threading.Lock()
        self._asked: list[ConsentQuestion] = []

    @classmethod
    def allow(cls) -> FixedAnswerBroker:
        return cls(ConsentAnswer.ALLOW_ALWAYS)

    @classmethod
    def deny(cls) -> FixedAnswerBroker:
        return cls(ConsentAnswer.DENY)

    def ask(self, app_id: str, capability: str, reason: str) -> ConsentAnswer:
        with self._lock:
            self._asked.append(ConsentQuestion(app_id, capability, reason))
        return self.answer

    @property
    def asked(self) -> list[ConsentQuestion]:
        with self._lock:
            return list(self._asked)
