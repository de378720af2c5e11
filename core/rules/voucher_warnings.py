"""A warning about a voucher (allowed, but worth a second look): shared by the voucher rules,
targeting (R-seg, R-budget) and advice, defined here so none of them imports another back."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Warning:
    code: str
    message: str
    data: dict[str, int] = field(default_factory=dict)
