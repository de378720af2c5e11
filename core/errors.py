"""Typed errors carrying the stable codes of the rules (docs/rules.md); adapters map them to
replies and problems."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.refusal_codes import GeneralCode


class VoucherbotError(Exception):
    """Base of every refusal the rules make: a `Refusal` — a stable `code` with `params` — that
    each adapter words for its audience. `detail` is the engineer-facing English the HTTP API
    returns; the bot never shows it (R-b5) and words the code itself (bot/telegram/wording.py).
    `extra` goes into the API's problem document; `params` (which include `extra`) only feed
    the wording."""

    code: str = GeneralCode.ERROR

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        params: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra = extra
        self.params: dict[str, Any] = {**extra, **(params or {})}

    @property
    def refusal(self) -> Refusal:
        return Refusal(self.code, self.params)


@dataclass(frozen=True)
class Refusal:
    """What was refused, as data: a stable code and the values a sentence needs."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


class Problem(StrEnum):
    """Why a field was refused (`FieldError.code`); the bot words each one per field."""

    INVALID = "invalid"  # anything without a more precise code
    REQUIRED = "required"
    NOT_WHOLE = "not_whole"
    OUT_OF_RANGE = "out_of_range"  # params: lo, hi
    TOO_LONG = "too_long"  # params: max
    NOT_BELOW_MIN_SPEND = "not_below_min_spend"
    ABOVE_TOTAL = "above_total"
    NOT_APPLICABLE = "not_applicable"
    CHOICE = "choice"  # params: choices
    PRODUCT_COUNT = "product_count"  # params: max
    PRODUCT_TWICE = "product_twice"
    PRODUCT_ID = "product_id"  # params: product
    PRODUCT_UNKNOWN = "product_unknown"  # params: product
    NO_OFFSET = "no_offset"
    IN_PAST = "in_past"  # params: minutes
    NOT_AFTER_START = "not_after_start"
    PERIOD_TOO_LONG = "period_too_long"  # params: days
    CANNOT_CHANGE = "cannot_change"
    ID_FORMAT = "id_format"  # a platform id or handle: 1–64 of A-Z a-z 0-9 _ . : -


@dataclass(frozen=True)
class FieldError:
    field: str  # dotted path as in the API (`discount.percent`)
    message: str  # engineer-facing English for the API
    code: str = Problem.INVALID  # why, for adapters that word it themselves (the bot)
    # `dataclasses.field`: the name `field` is this class's own member
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False, hash=False)


@dataclass
class ValidationFailed(VoucherbotError):
    errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self) -> None:
        first = self.errors[0] if self.errors else FieldError("", "invalid input")
        VoucherbotError.__init__(
            self, f"{first.field}: {first.message}", code=GeneralCode.VALIDATION_FAILED
        )

    def __str__(self) -> str:
        return "; ".join(f"{e.field}: {e.message}" for e in self.errors)


def invalid(
    field_name: str, message: str, code: str = Problem.INVALID, **params: Any
) -> ValidationFailed:
    return ValidationFailed([FieldError(field_name, message, code, params)])


class NotFound(VoucherbotError):
    code: str = GeneralCode.NOT_FOUND


class PermissionDenied(VoucherbotError):
    code: str = GeneralCode.FORBIDDEN


class Conflict(VoucherbotError):
    """The request is valid but the current state refuses it (a rule named in `detail`)."""

    code: str = GeneralCode.CONFLICT


class ClaimRefused(VoucherbotError):
    """R-c1 refusals: voucher_not_found, not_claimable, no_active_distribution, task_not_met,
    limit_reached, sold_out."""
