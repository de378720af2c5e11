"""Typed errors carrying the SPEC's stable codes; adapters map them to replies and problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class VoucherbotError(Exception):
    """Base of every refusal the rules make. `code` is stable; `detail` is for people."""

    code = "error"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra = extra


@dataclass(frozen=True)
class FieldError:
    field: str  # dotted path as in the API (`discount.percent`)
    message: str


@dataclass
class ValidationFailed(VoucherbotError):
    errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self) -> None:
        first = self.errors[0] if self.errors else FieldError("", "invalid input")
        VoucherbotError.__init__(self, f"{first.field}: {first.message}", code="validation_failed")

    def __str__(self) -> str:
        return "; ".join(f"{e.field}: {e.message}" for e in self.errors)


def invalid(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field_name, message)])


class NotFound(VoucherbotError):
    code = "not_found"


class PermissionDenied(VoucherbotError):
    code = "forbidden"


class Conflict(VoucherbotError):
    """The request is valid but the current state refuses it (a rule named in `detail`)."""

    code = "conflict"


class ClaimRefused(VoucherbotError):
    """R-c1 refusals: voucher_not_found, not_claimable, no_active_distribution, task_not_met,
    limit_reached, sold_out."""
