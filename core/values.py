"""Checks on raw input values shared by the rules and services."""

from __future__ import annotations


def is_whole(value: object) -> bool:
    """An integer, and not a bool (which Python counts as one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_whole_in(value: object, lo: int, hi: int) -> bool:
    return is_whole(value) and lo <= value <= hi  # type: ignore[operator]
