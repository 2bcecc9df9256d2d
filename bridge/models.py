"""Base classes for the params and results of bridge APIs.

Params are validated strictly: unknown fields are refused (``extra="forbid"``) and nothing is
coerced (``"1"`` is not an integer, ``1`` is not a string). Results are serialised with
camelCase names, the JavaScript convention, so ``app_id`` reaches the page as ``appId``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = ["NoParams", "Params", "Result"]


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, alias_generator=to_camel)


class NoParams(Params):
    """No parameters: ``{}``."""


class Result(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        serialize_by_alias=True,
    )
