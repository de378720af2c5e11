"""Inline keyboards: buttons with compact callback data (R-b3: at most 64 bytes)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_CALLBACK_BYTES = 64


def data(*parts: object) -> str:
    """Callback data such as `v:12:deact`; refuses anything Telegram would reject."""
    text = ":".join(str(p) for p in parts)
    if not 1 <= len(text.encode()) <= MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data must be 1–64 bytes: {text!r}")
    return text


def fit(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a word and marked with `…` when cut, so a cut
    label never reads as another value (`min. belanja Rp200.` for Rp200.000)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if " " in head and not text[limit - 1].isspace():
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ·,.:;-") + "…"


def button(text: str, *parts: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data(*parts))


def grid(
    buttons: Iterable[InlineKeyboardButton], width: int = 3
) -> list[list[InlineKeyboardButton]]:
    row: list[InlineKeyboardButton] = []
    rows: list[list[InlineKeyboardButton]] = []
    for b in buttons:
        row.append(b)
        if len(row) == width:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    return rows


def markup(*rows: Sequence[InlineKeyboardButton] | None) -> InlineKeyboardMarkup | None:
    kept = [list(r) for r in rows if r]
    return InlineKeyboardMarkup(kept) if kept else None


def pager(page: int, count: int, *prefix: object) -> list[InlineKeyboardButton]:
    """◀ ▶ buttons for a paged list; the page number is appended to `prefix`."""
    if count <= 1:
        return []
    row = []
    if page > 0:
        row.append(button("◀", *prefix, page - 1))
    row.append(button(f"{page + 1}/{count}", *prefix, page))
    if page < count - 1:
        row.append(button("▶", *prefix, page + 1))
    return row
