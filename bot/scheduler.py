"""The leader's scheduler (R-s1, R-s2): APScheduler 3 jobs derived from the vouchers table.

Design: the vouchers table is the only schedule. APScheduler keeps its jobs in memory (a job
store must never be shared between schedulers), and `resync()` makes them match the table:

- at start-up it rebuilds every job and applies, once and in time order, every effect that
  came due while no leader was running (catch-up);
- then it runs again every `resync_interval` seconds, so a voucher created, edited or
  deactivated by any process (the HTTP API of a follower included) gets its jobs added,
  moved or dropped within that interval, and an effect whose job fired too early or failed
  is retried;
- between resyncs, one date job per owed effect fires at the exact due time.

Jobs are only hints: every effect re-reads its voucher, checks it is due and records itself
in the ledger (`core.services.schedule`), so a stale job, a duplicate, or a catch-up racing a
job changes nothing. Periodic jobs also expire claims past their own `redeem_until` and
forecast sell-outs of active distributions (R-adv3).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC

from apscheduler.job import Job
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from core.services import Services
from core.services.draws import DrawEvent
from core.services.schedule import ScheduledEvent

log = logging.getLogger(__name__)

RESYNC_INTERVAL = 1.0
SWEEP_INTERVAL = 30.0
FORECAST_INTERVAL = 15.0
STOP_TIMEOUT = 10.0
EFFECT_PREFIX = "effect:"
DROP_PREFIX = "drop:"
RESYNC_JOB = "resync"
SWEEP_JOB = "expiry-sweep"
FORECAST_JOB = "sellout-forecast"

Event = ScheduledEvent | DrawEvent
EffectListener = Callable[[Event, bool], Awaitable[None] | None]


class VoucherScheduler:
    def __init__(
        self,
        services: Services,
        *,
        resync_interval: float = RESYNC_INTERVAL,
        sweep_interval: float = SWEEP_INTERVAL,
        forecast_interval: float = FORECAST_INTERVAL,
        on_effect: EffectListener | None = None,
        stop_timeout: float = STOP_TIMEOUT,
    ) -> None:
        self.services = services
        self.resync_interval = resync_interval
        self.sweep_interval = sweep_interval
        self.forecast_interval = forecast_interval
        self.on_effect = on_effect
        self.stop_timeout = stop_timeout
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            # A late job still runs (the effect decides what is due); duplicates collapse.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        self._resync_lock = asyncio.Lock()
        self._resynced = asyncio.Condition()
        self._resyncs_started = 0
        self._resyncs_done = 0
        self._running: set[asyncio.Task[object]] = set()

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Starts the scheduler, rebuilds the jobs and catches up missed effects."""
        self.scheduler.start()
        await self.resync()
        self.scheduler.add_job(
            self._tracked(self.resync),
            "interval",
            seconds=self.resync_interval,
            id=RESYNC_JOB,
        )
        self.scheduler.add_job(
            self._tracked(self.sweep), "interval", seconds=self.sweep_interval, id=SWEEP_JOB
        )
        self.scheduler.add_job(
            self._tracked(self.forecast_sellouts),
            "interval",
            seconds=self.forecast_interval,
            id=FORECAST_JOB,
        )
        log.info("scheduler started: %d effect jobs", len(self.effect_jobs()))

    async def stop(self) -> None:
        """Stops firing and lets effects in flight finish (each is one transaction)."""
        if not self.scheduler.running:
            return
        self.scheduler.pause()
        if self._running:
            await asyncio.wait(set(self._running), timeout=self.stop_timeout)
        with contextlib.suppress(SchedulerNotRunningError):
            self.scheduler.shutdown(wait=False)
        log.info("scheduler stopped")

    # --- keeping the jobs equal to the table -----------------------------------------------

    async def resync(self) -> None:
        """Adds, moves and drops jobs so they match the owed effects; applies the due ones."""
        async with self._resync_lock:
            self._resyncs_started += 1
            generation = self._resyncs_started
            try:
                await self._resync()
            finally:
                async with self._resynced:
                    self._resyncs_done = generation
                    self._resynced.notify_all()

    async def next_resync(self) -> None:
        """Waits until a resync that starts after this call has finished (one that sees
        every change committed before the call)."""
        async with self._resynced:
            target = self._resyncs_started + 1
            await self._resynced.wait_for(lambda: self._resyncs_done >= target)

    async def _resync(self) -> None:
        # The vouchers' effects and the lucky draws' closes (R-draw2), in time order.
        events: list[Event] = [
            *await self.services.schedule.pending_events(),
            *await self.services.draws.pending_events(),
        ]
        events.sort(key=lambda e: (e.at, e.key))
        now = self.services.clock.now()
        due = [e for e in events if e.due(now)]
        upcoming = {job_id(e): e for e in events if not e.due(now)}
        for job in self.effect_jobs():
            if job.id not in upcoming:
                with contextlib.suppress(LookupError):
                    job.remove()
        for jid, event in upcoming.items():
            self._ensure_job(jid, event)
        for event in due:
            await self._apply(event)
        await self._resync_drops()

    async def sweep(self) -> None:
        expired = await self.services.schedule.expire_due_claims()
        if expired:
            log.info("expired %d claims past their redeem_until", expired)

    async def forecast_sellouts(self) -> None:
        """R-adv3: distributions about to sell out tell the team and the host (once each)."""
        notices = await self.services.forecast.check_sellouts()
        if notices:
            log.info("queued %d sell-out notices", len(notices))

    def _ensure_job(self, jid: str, event: Event) -> None:
        job = self.scheduler.get_job(jid)
        if job is None:
            self.scheduler.add_job(
                self._tracked(self._apply), DateTrigger(run_date=event.at), args=[event], id=jid
            )
        elif job.next_run_time != event.at:
            job.modify(args=[event])
            job.reschedule(DateTrigger(run_date=event.at))
            log.info("moved %s to %s", jid, event.at.isoformat())

    # --- timed drops (R-drop1) ---------------------------------------------------------------

    async def _resync_drops(self) -> None:
        """Same design as the effects: one date job per pending drop at its second, rebuilt
        from the table on every resync; a due drop (a job missed, a restart, a drop another
        process just made due) fires here. `DropService.fire` settles a drop once, so a job
        and a resync racing, or two processes, change nothing more."""
        owed = await self.services.drops.owed()
        now = self.services.clock.now()
        upcoming = {f"{DROP_PREFIX}{d.id}": d for d in owed if not d.due(now)}
        for job in self.drop_jobs():
            if job.id not in upcoming:
                with contextlib.suppress(LookupError):
                    job.remove()
        for jid, drop in upcoming.items():
            job = self.scheduler.get_job(jid)
            if job is None:
                self.scheduler.add_job(
                    self._tracked(self._fire_drop),
                    DateTrigger(run_date=drop.at),
                    args=[drop.id],
                    id=jid,
                )
            elif job.next_run_time != drop.at:
                job.reschedule(DateTrigger(run_date=drop.at))
        for drop in owed:
            if drop.due(now):
                await self._fire_drop(drop.id)

    async def _fire_drop(self, drop_id: int) -> None:
        try:
            fired = await self.services.drops.fire(drop_id)
        except Exception:
            # Still pending: the next resync (within a second) tries again.
            log.exception("drop %d failed to fire; it will be retried", drop_id)
            return
        if fired:
            log.info("drop %d settled", drop_id)

    def drop_jobs(self) -> list[Job]:
        return [j for j in self.scheduler.get_jobs() if j.id.startswith(DROP_PREFIX)]

    def effect_jobs(self) -> list[Job]:
        return [j for j in self.scheduler.get_jobs() if j.id.startswith(EFFECT_PREFIX)]

    # --- running effects -------------------------------------------------------------------

    async def _apply(self, event: Event) -> None:
        try:
            if isinstance(event, DrawEvent):
                applied = await self.services.draws.apply(event)
            else:
                applied = await self.services.schedule.apply(event)
        except Exception:
            # The next resync sees the effect still owed and tries again.
            log.exception("effect %s failed; it will be retried", event.key)
            return
        if applied:
            log.info("applied %s (due %s)", event.key, event.at.isoformat())
        if self.on_effect is not None:
            result = self.on_effect(event, applied)
            if result is not None:
                await result

    def _tracked(self, work: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """Wraps a job so `stop()` can wait for it instead of APScheduler cancelling it."""

        async def run(*args: object) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                await work(*args)
            finally:
                if task is not None:
                    self._running.discard(task)

        run.__name__ = getattr(work, "__name__", "job")
        return run


def job_id(event: Event) -> str:
    return EFFECT_PREFIX + event.key
