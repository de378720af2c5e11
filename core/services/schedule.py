"""Scheduled effects of the claim period (R-s1) and the schedule they come from (R-s2).

The vouchers table is the one source of truth: `pending_events` derives every effect a voucher
still owes from its times and the AppliedEffect ledger, so a scheduler can be rebuilt from
nothing at any moment. Each effect re-reads its voucher, checks that it is really due (a job
may fire for a time that was edited meanwhile), and records its key in the ledger in the same
transaction as the change and its outbox notification: a job that fires twice, late, or on
two processes changes nothing more. Status never depends on these effects (R-v9); they only
carry side effects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from core import events
from core.ids import row_id
from core.notifications import closed_text, notify, opened_text
from core.services.base import Service
from core.services.live import stop_distribution_row
from storage import repositories as repo
from storage import schedule_queries as q
from storage.models import Voucher

# A claim is still usable at its redeem_until instant (R-o2: now ≤ redeem_until), so the expiry
# effect is due just after it.
EXPIRY_DELAY = timedelta(milliseconds=1)


class Effect(StrEnum):
    OPENED = "opened"  # the claim period opened: the team is told
    CLOSED = "closed"  # the claim period ended: distributions stop, the team gets a summary
    EXPIRED = "expired"  # the last redeem_until passed: unused claims expire


@dataclass(frozen=True, order=True)
class ScheduledEvent:
    """One effect a voucher owes, due at `at` (ordered by time, then voucher, then effect)."""

    at: datetime
    voucher_id: int
    effect: Effect
    shop_id: int = field(compare=False)

    @property
    def key(self) -> str:
        return q.effect_key(self.voucher_id, self.effect.value)

    def due(self, now: datetime) -> bool:
        return now >= self.at


def last_redeem_until(v: Voucher) -> datetime:
    """When the last claim of a voucher can stop being usable: its fixed redeem_until, or, with
    `valid_days`, that many days after the end of the claim period (claims made earlier expire
    earlier and are swept by `expire_due_claims`)."""
    if v.valid_days is not None:
        return v.ends_at + timedelta(days=v.valid_days)
    return v.redeem_until or v.ends_at


def events_of(v: Voucher, applied: frozenset[str] = frozenset()) -> list[ScheduledEvent]:
    """The effects a voucher still owes, derived from its record alone."""
    if v.deactivated_at is not None:
        return []
    due_at = {
        Effect.OPENED: v.starts_at,
        Effect.CLOSED: v.ends_at,
        Effect.EXPIRED: last_redeem_until(v) + EXPIRY_DELAY,
    }
    return sorted(
        ScheduledEvent(at, row_id(v), effect, v.shop_id)
        for effect, at in due_at.items()
        if effect.value not in applied
    )


class ScheduleService(Service):
    # --- the schedule ----------------------------------------------------------------------

    async def pending_events(self) -> list[ScheduledEvent]:
        """Every effect still owed, due or not, in time order: what a scheduler runs at once
        (due, e.g. missed while the service was down) and what it waits for."""
        async with self.db.read() as session:
            rows = await q.vouchers_owing_effects(session)
        return sorted(e for voucher, applied in rows for e in events_of(voucher, applied))

    async def apply(self, event: ScheduledEvent) -> bool:
        """Applies one effect if it is due and was never applied; True when this call did."""
        effect = {
            Effect.OPENED: self.open_claim_period,
            Effect.CLOSED: self.close_claim_period,
            Effect.EXPIRED: self.expire_claims,
        }[event.effect]
        return await effect(event.voucher_id)

    # --- the effects -----------------------------------------------------------------------

    async def open_claim_period(self, voucher_id: int) -> bool:
        """R-s1 at starts_at: the team is told the claim period opened. Caught up after the
        period already ended, the effect is recorded silently: the close summary says it all."""
        now = self.clock.now()
        async with self.db.write() as session:
            voucher = await self._owing(session, voucher_id, Effect.OPENED, now)
            if voucher is None:
                return False
            if now < voucher.ends_at:
                shop = await self._shop(session, voucher.shop_id)
                await events.emit(  # R-ev1
                    session,
                    voucher.shop_id,
                    events.EventType.VOUCHER_CLAIM_PERIOD_OPENED,
                    events.voucher_data(voucher),
                    now,
                )
                await notify(
                    session,
                    shop,
                    event_key=q.effect_key(voucher_id, Effect.OPENED),
                    kind="claim_period_opened",
                    text=opened_text(shop, voucher),
                    now=now,
                )
        return True

    async def close_claim_period(self, voucher_id: int) -> bool:
        """R-s1 at ends_at: the voucher's distributions stop and the team gets a summary."""
        now = self.clock.now()
        async with self.db.write() as session:
            voucher = await self._owing(session, voucher_id, Effect.CLOSED, now)
            if voucher is None:
                return False
            shop = await self._shop(session, voucher.shop_id)
            async with events.deferred(session):  # R-ev1: the event counter is locked last
                for d in await repo.active_distributions(session, voucher_id=voucher_id):
                    await stop_distribution_row(session, shop, d, now, "claim_period_ended", None)
            await events.emit(  # R-ev1
                session,
                voucher.shop_id,
                events.EventType.VOUCHER_CLAIM_PERIOD_CLOSED,
                events.voucher_data(voucher),
                now,
            )
            await notify(
                session,
                shop,
                event_key=q.effect_key(voucher_id, Effect.CLOSED),
                kind="claim_period_closed",
                text=closed_text(shop, voucher),
                now=now,
            )
        return True

    async def expire_claims(self, voucher_id: int) -> bool:
        """R-s1 at redeem_until: the voucher's unused claims become `expired` (R-c3)."""
        now = self.clock.now()
        async with self.db.write() as session:
            voucher = await self._owing(session, voucher_id, Effect.EXPIRED, now)
            if voucher is None:
                return False
            await repo.expire_claims(session, now, voucher_id)
        return True

    async def expire_due_claims(self) -> int:
        """Sweeps every unused claim past its own redeem_until (claims of `valid_days`
        vouchers each have their own). Idempotent by nature, so it needs no ledger entry."""
        now = self.clock.now()
        async with self.db.write() as session:
            return await repo.expire_claims(session, now)

    async def _owing(
        self, session: AsyncSession, voucher_id: int, effect: Effect, now: datetime
    ) -> Voucher | None:
        """The voucher when `effect` is due now and not yet applied, after recording it in
        the ledger (the caller's transaction makes the record and the change one)."""
        voucher = await q.voucher_for_effect(session, voucher_id)
        if voucher is None:
            return None
        event = next((e for e in events_of(voucher) if e.effect == effect), None)
        if event is None or not event.due(now):
            return None
        if not await repo.record_effect(session, event.key, now):
            return None
        return voucher


# --- what the team reads --------------------------------------------------------------------
