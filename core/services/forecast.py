"""R-adv3: when will an active distribution sell out, and telling the host and the team once
when that is less than 5 minutes away.

What the adapters call:
- `ForecastService.check_sellouts() -> list[SelloutNotice]`: the leader's scheduler calls it
  periodically (every 15–30 s is enough); it queues, once per distribution, a team message
  with an "Add quantity" button (`v:<voucher id>:addq`) and a private message to the host.
- `ForecastService.forecast(actor, voucher_id) -> SelloutForecast | None`: the forecast of a
  voucher's active distribution, for `/quota` and `/stats`.

The recent claim rate is the claims through the distribution in the last 5 minutes (or since
it started, when that is shorter) divided by that time; no forecast is made from fewer than
`MIN_CLAIMS` claims or under `MIN_ELAPSED` of history, where one burst would mislead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.ids import row_id
from core.notifications import (
    Message,
    label,
    notify,
    notify_person,
    private_chat,
    sellout_text,
)
from core.rules.roles import Action, Actor, Role
from core.services.base import Service, require
from storage import analytics_queries as q
from storage import repositories as repo
from storage.models import Account, Distribution, Shop, Voucher

RATE_WINDOW = timedelta(minutes=5)
SELLOUT_SOON = timedelta(minutes=5)
MIN_CLAIMS = 3
MIN_ELAPSED = timedelta(seconds=30)
SELLOUT_KIND = "sellout_soon"


@dataclass(frozen=True)
class SelloutForecast:
    distribution_id: int
    voucher_id: int
    session_id: int
    account_id: int
    remaining: int
    claims_per_minute: float | None  # None: too little history to tell
    sellout_at: datetime | None

    def soon(self, now: datetime) -> bool:
        return (
            self.remaining > 0
            and self.sellout_at is not None
            and self.sellout_at - now < SELLOUT_SOON
        )


@dataclass(frozen=True)
class SelloutNotice:
    """A sell-out warning queued now (team and/or host)."""

    forecast: SelloutForecast
    team_queued: bool
    host_chat_id: int | None  # the host's private chat, when a message was queued for it


def sellout_at(remaining: int, recent: int, elapsed: timedelta, now: datetime) -> datetime | None:
    """Linear forecast from the recent rate; None without enough history or claims."""
    if recent < MIN_CLAIMS or elapsed < MIN_ELAPSED or remaining < 0:
        return None
    seconds = remaining * elapsed.total_seconds() / recent
    return now + timedelta(seconds=seconds)


def _sellout_text(v: Voucher, f: SelloutForecast, host: Account | None, now: datetime) -> Message:
    minutes = max(0.0, (f.sellout_at - now).total_seconds() / 60) if f.sellout_at else 0.0
    return sellout_text(
        v,
        round(minutes),
        round((f.claims_per_minute or 0) * 10),
        f.remaining,
        f.session_id,
        host,
    )


class ForecastService(Service):
    async def forecast_in(
        self, session: AsyncSession, d: Distribution, v: Voucher, now: datetime
    ) -> SelloutForecast:
        """R-adv3 for one distribution, in the caller's read (the live panel's, too)."""
        since = max(now - RATE_WINDOW, d.started_at)
        recent = await q.recent_claims(session, row_id(d), since)
        elapsed = now - since
        remaining = max(0, v.total_quantity - v.claimed)
        rate = recent * 60 / elapsed.total_seconds() if elapsed >= MIN_ELAPSED else None
        return SelloutForecast(
            row_id(d),
            row_id(v),
            d.session_id,
            d.account_id,
            remaining,
            rate,
            sellout_at(remaining, recent, elapsed, now),
        )

    async def forecast(self, actor: Actor, voucher_id: int) -> SelloutForecast | None:
        require(actor, Action.READ)
        now = self.clock.now()
        async with self.db.read() as session:
            v = await self._voucher(session, actor.shop_id, voucher_id)
            d = await repo.active_distribution_of_voucher(session, voucher_id)
            if d is None:
                return None
            return await self.forecast_in(session, d, v, now)

    async def check_sellouts(self) -> list[SelloutNotice]:
        """Forecasts every active distribution; the ones selling out within 5 minutes tell
        the team and the host, once per distribution (the outbox keys make repeats no-ops)."""
        now = self.clock.now()
        async with self.db.read() as session:
            soon: list[SelloutForecast] = []
            for d in await repo.active_distributions(session):
                v = await repo.get_voucher(session, d.shop_id, d.voucher_id)
                if v is None:
                    continue
                f = await self.forecast_in(session, d, v, now)
                if f.soon(now):
                    soon.append(f)
        notices = []
        for f in soon:
            notice = await self._tell(f, now)
            if notice is not None:
                notices.append(notice)
        return notices

    async def _tell(self, f: SelloutForecast, now: datetime) -> SelloutNotice | None:
        async with self.db.write() as session:
            voucher = (await repo.vouchers_by_ids(session, [f.voucher_id])).get(f.voucher_id)
            if voucher is None:
                return None
            shop = await self._shop(session, voucher.shop_id)
            host = await repo.get_account(session, row_id(shop), f.account_id)
            text = _sellout_text(voucher, f, host, now)
            add_quantity = [[(label("Add quantity"), f"v:{voucher.id}:addq")]]
            team = await notify(
                session,
                shop,
                event_key=f"distribution:{f.distribution_id}:{SELLOUT_KIND}",
                kind=SELLOUT_KIND,
                text=text,
                now=now,
                buttons=add_quantity,
            )
            host_chat = await self._tell_host(session, shop, host, f, text, now, add_quantity)
        if not team and host_chat is None:
            return None
        return SelloutNotice(f, team, host_chat)

    async def _tell_host(
        self,
        session: AsyncSession,
        shop: Shop,
        host: Account | None,
        f: SelloutForecast,
        text: Message,
        now: datetime,
        add_quantity: list[list[tuple[str, str]]],
    ) -> int | None:
        """The host's private chat (its Telegram user id); only the seller may add quantity,
        so only a seller host gets the button."""
        chat = private_chat(host, shop)
        if chat is None:
            return None
        queued = await notify_person(
            session,
            shop,
            chat,
            event_key=f"distribution:{f.distribution_id}:{SELLOUT_KIND}:host",
            kind=SELLOUT_KIND,
            text=text,
            now=now,
            buttons=add_quantity if host is not None and host.role == Role.SELLER else None,
        )
        return chat if queued else None
