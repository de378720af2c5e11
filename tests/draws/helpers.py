"""Shared set-up of the lucky-draw tests: a LIVE voucher, a live session and a draw in it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.rules.roles import Actor
from core.services import Services
from tests.conftest import draft


async def live_voucher(services: Services, seller: Actor, **kw: Any):  # type: ignore[no-untyped-def]
    now = services.clock.now()
    kw.setdefault("starts_at", now)
    kw.setdefault("ends_at", now + timedelta(days=7))
    return await services.vouchers.create(seller, draft(kind="live", **kw))


async def open_draw(  # type: ignore[no-untyped-def]
    services: Services,
    seller: Actor,
    *,
    winners: int = 3,
    entry_minutes: int = 5,
    task: str = "none",
    minutes: int | None = None,
    **voucher: Any,
):
    """A LIVE voucher, the seller's live session and a draw of it; (voucher, session, draw)."""
    v = await live_voucher(services, seller, **voucher)
    s = await services.live.start_session(seller)
    d = await services.live.issue(
        seller, s.id, v.id, task, minutes, mode="draw", winners=winners, entry_minutes=entry_minutes
    )
    return v, s, d
