"""Checks on raw input values shared by the rules and services."""

from __future__ import annotations

from typing import TypeGuard


def is_whole(value: object) -> TypeGuard[int]:
    """An integer, and not a bool (which Python counts as one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_whole_in(value: object, lo: int, hi: int) -> TypeGuard[int]:
    return is_whole(value) and lo <= value <= hi
