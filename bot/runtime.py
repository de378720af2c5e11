"""The composition root of `voucherbot run`.

Every process serves the HTTP API. Unless SCHEDULER_ENABLED=false, it also stands for leader
(`bot.leader`); the one leader runs the scheduler, the Telegram side and the notification
sender, and stops all three when it loses the lock. Without TELEGRAM_BOT_TOKEN the Telegram
side talks to a local stand-in, and a person can chat with the bot in this terminal.

Built in this order, and closed in the reverse one:
1. the database (`bot.startup.open_database`: URL check, connect, migrations);
2. the storage resources (`storage.resources.Resources`: change publisher, change feed, claim
   store, draw entries' writer and reader), the drand beacon, and the services over them —
   no service builds a resource of its own;
3. the HTTP API, listening (every process);
4. the leader's work, while this process holds the lock: the scheduler, then the webhook
   sender (R-ev2, which also prunes the event log), then the Telegram side (the stand-in
   first when there is no token), then the notification sender.

Stopping (SIGINT, SIGTERM, `/quit` in the terminal chat, or losing the lock) never cancels
the Telegram side half-way: it is told to end (`_lead_over`) and closes its own parts in
order, so in-flight updates and notifications finish and nothing prints a traceback (R-run1).
Failures the operator can fix (port taken, database unreachable, …) are `StartupFailure`s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from bot.config import Settings
from bot.drand_client import build_beacon
from bot.http.serve_api import freeze_startup_objects
from bot.leader import Election, election_for
from bot.scheduler import VoucherScheduler
from bot.startup import listen_failure, mask_token, open_database, telegram_failure
from core.clock import Clock, SystemClock
from core.services import Services
from storage.db import Database
from storage.resources import Resources

log = logging.getLogger("voucherbot.runtime")

HTTP_SHUTDOWN_TIMEOUT = 10.0
TELEGRAM_RETRY_FIRST = 5.0
TELEGRAM_RETRY_MAX = 60.0
# How long the Telegram side may take to close its parts before it is cancelled.
TELEGRAM_STOP_TIMEOUT = 30.0
REAL_TELEGRAM_HINT = (
    "No TELEGRAM_BOT_TOKEN: the bot runs against a local Telegram stand-in. To connect real "
    "Telegram, create a bot with @BotFather and set TELEGRAM_BOT_TOKEN=<token> in .env."
)

ROLE_LEADER = "leader"
ROLE_FOLLOWER = "follower"
ROLE_API_ONLY = "api-only"
ROLE_STOPPED = "stopped"


class Component(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class TelegramSideLike(Component, Protocol):
    bot: Any

    async def webhook_handler(self, request: web.Request) -> web.StreamResponse: ...


TelegramFactory = Callable[..., TelegramSideLike]  # (services, settings, *, token, base_url, …)
SenderFactory = Callable[[Services, Any], Component]  # (services, bot)
SchedulerFactory = Callable[[Services], Component]
ElectionFactory = Callable[[Settings], Election]
AppFactory = Callable[..., web.Application]  # (services, settings, *, telegram_webhook)


async def serve(
    settings: Settings,
    *,
    stop_event: asyncio.Event | None = None,
    clock: Clock | None = None,
) -> None:
    """Runs until SIGINT/SIGTERM (or `stop_event`), then shuts down gracefully."""
    await serve_until_signalled(Runtime(settings, clock=clock), stop_event)


async def serve_until_signalled(runtime: Runtime, stop_event: asyncio.Event | None = None) -> None:
    stop = stop_event or asyncio.Event()
    # PTB's HTTP client logs every long poll at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with _stop_on_signals(stop):
        await runtime.run(stop)


class Runtime:
    """One process of the service. The factories exist so tests can replace the Telegram
    side, the sender, the scheduler, the election or the HTTP app with fakes."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        telegram_factory: TelegramFactory | None = None,
        sender_factory: SenderFactory | None = None,
        scheduler_factory: SchedulerFactory | None = None,
        election_factory: ElectionFactory | None = None,
        app_factory: AppFactory | None = None,
        webhook_sender_factory: Callable[[Services, Settings], Component] | None = None,
        interactive: bool | None = None,
        on_role: Callable[[str], None] | None = None,
        telegram_retry: tuple[float, float] = (TELEGRAM_RETRY_FIRST, TELEGRAM_RETRY_MAX),
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.telegram_factory = telegram_factory or _real_telegram_side
        self.sender_factory = sender_factory or _real_sender
        self.scheduler_factory = scheduler_factory or VoucherScheduler
        self.election_factory = election_factory or (lambda s: election_for(s.database_url))
        self.app_factory = app_factory or _real_app
        self.webhook_sender_factory = webhook_sender_factory or _real_webhook_sender
        # The terminal chat needs a person: only when stdin is a terminal.
        self.interactive = sys.stdin.isatty() if interactive is None else interactive
        self.role = ROLE_STOPPED
        self.on_role = on_role
        self.telegram_retry = telegram_retry
        self._telegram_url = "Telegram"  # the URL the latest attempt tried, token masked
        self.http_port: int | None = None
        self.services: Services | None = None
        self._role_changed = asyncio.Condition()
        self._side: TelegramSideLike | None = None
        self.standin: Any = None  # the local Telegram stand-in, while one runs

    # --- the whole process -----------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        async with contextlib.AsyncExitStack() as owned:
            # Every long-lived resource is built here, once, and closed in reverse order by
            # this stack (docs/architecture.md, "The composition root").
            db = await open_database(self.settings.database_url)
            owned.push_async_callback(db.dispose)
            owned.push_async_callback(self._set_role, ROLE_STOPPED)
            self.services = services = await self._open_services(db, owned)
            runner = await self._start_http(services)
            try:
                if self.settings.scheduler_enabled:
                    await self._stand_for_leader(services, stop)
                else:
                    await self._set_role(ROLE_API_ONLY)
                    log.info("role: API only (SCHEDULER_ENABLED=false): no scheduler, no Telegram")
                    await stop.wait()
            finally:
                log.info("shutting down: finishing in-flight HTTP requests")
                await runner.cleanup()

    async def _open_services(self, db: Database, owned: contextlib.AsyncExitStack) -> Services:
        """The storage resources (`storage.resources`: publisher, change feed, claim store,
        entry writer and reader), the drand beacon (R-draw4; none with DRAND_URLS=off), then
        the services over them. Each is closed by `owned`, the last built first."""
        resources = await Resources.open(db)  # the change feed listens before any answer
        owned.push_async_callback(resources.close)
        beacon = build_beacon(self.settings.drand_mirrors)
        if beacon is not None:
            owned.push_async_callback(beacon.close)
        services = Services.build(
            db,
            self.clock,
            resources=resources,
            beacon=beacon,
            public_base_url=self.settings.public_base_url,
        )
        configure_events(services, self.settings)
        return services

    async def wait_for_role(self, role: str, timeout: float) -> None:  # noqa: ASYNC109
        async with self._role_changed:
            await asyncio.wait_for(self._role_changed.wait_for(lambda: self.role == role), timeout)

    async def _set_role(self, role: str) -> None:
        async with self._role_changed:
            self.role = role
            self._role_changed.notify_all()
        if self.on_role is not None:
            self.on_role(role)

    # --- HTTP ------------------------------------------------------------------------------

    async def _start_http(self, services: Services) -> web.AppRunner:
        webhook = self._webhook if self.settings.webhook_mode else None
        app = self.app_factory(services, self.settings, telegram_webhook=webhook)
        runner = web.AppRunner(app, shutdown_timeout=HTTP_SHUTDOWN_TIMEOUT)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.http_host, self.settings.http_port)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            raise listen_failure(error, self.settings.http_host, self.settings.http_port) from None
        self.http_port = int(runner.addresses[0][1])
        log.info("HTTP API on http://%s:%d", self.settings.http_host, self.http_port)
        freeze_startup_objects()
        return runner

    async def _webhook(self, request: web.Request) -> web.StreamResponse:
        """Telegram's webhook reaches whichever process the URL routes to; only the leader
        has the Telegram side. A 503 makes Telegram deliver the update again later."""
        side = self._side
        if side is None:
            from bot.http.problems import HttpProblem

            raise HttpProblem(
                503,
                "telegram_unavailable",
                "This process is not running the Telegram side right now; Telegram retries.",
            )
        return await side.webhook_handler(request)

    # --- leadership ------------------------------------------------------------------------

    async def _stand_for_leader(self, services: Services, stop: asyncio.Event) -> None:
        election = self.election_factory(self.settings)
        try:
            while not stop.is_set():
                await self._set_role(ROLE_FOLLOWER)
                log.info("role: follower (serving the HTTP API, waiting for the leader lock)")
                if not await _first_of(election.campaign(), stop):
                    return
                await self._set_role(ROLE_LEADER)
                log.info("role: leader (scheduler, Telegram side and notification sender)")
                await self._lead(services, election, stop)
        finally:
            await election.resign()

    async def _lead(self, services: Services, election: Election, stop: asyncio.Event) -> None:
        scheduler = self.scheduler_factory(services)
        try:
            await scheduler.start()
        except Exception:
            log.exception("the scheduler could not start: giving up the lead for now")
            await election.resign()
            await _first_of(asyncio.sleep(TELEGRAM_RETRY_FIRST), stop)
            return
        webhooks = self.webhook_sender_factory(services, self.settings)
        await webhooks.start()
        lead_over = asyncio.Event()
        telegram = asyncio.create_task(
            self._run_telegram(services, stop, lead_over), name="telegram-side"
        )
        try:
            if not await _first_of(election.watch(), stop):
                return
            log.warning("lost the leader lock: stopping the leader's work")
        finally:
            # Asked, not cancelled: the side closes its parts in order (see the docstring).
            lead_over.set()
            try:
                await asyncio.wait_for(asyncio.shield(telegram), TELEGRAM_STOP_TIMEOUT)
            except TimeoutError:
                log.warning("the Telegram side did not stop in time; cancelling it")
                telegram.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await telegram
            await webhooks.stop()
            await scheduler.stop()
            await election.resign()

    # --- the Telegram side and the notification sender ------------------------------------

    async def _run_telegram(
        self, services: Services, stop: asyncio.Event, lead_over: asyncio.Event
    ) -> None:
        """Keeps the Telegram side and the sender running until `lead_over`; a start that
        fails (Telegram unreachable, a refused token) is retried with a growing delay,
        without holding up the scheduler or the API, and logged as one line per attempt
        with the URL tried (token masked)."""
        delay, longest = self.telegram_retry
        while not lead_over.is_set():
            self._telegram_url = "Telegram"
            try:
                await self._telegram_session(services, stop, lead_over)
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.error(telegram_failure(error, self._telegram_url, delay))
            await _first_of(asyncio.sleep(delay), lead_over)
            delay = min(delay * 2, longest)

    async def _telegram_session(
        self, services: Services, stop: asyncio.Event, lead_over: asyncio.Event
    ) -> None:
        async with contextlib.AsyncExitStack() as stack:
            token, base_url, base_file_url = self.settings.telegram_bot_token, None, None
            standin: Any = None
            if token is None:
                standin = await stack.enter_async_context(_standin())
                self.standin = standin
                stack.callback(setattr, self, "standin", None)
                token, base_url, base_file_url = (
                    standin.token,
                    standin.base_url,
                    standin.base_file_url,
                )
                print(REAL_TELEGRAM_HINT, flush=True)
            else:
                base_url, base_file_url = _bot_api_urls(self.settings.telegram_api_base_url)
            # What a failed attempt names: the getMe call `start()` makes first.
            self._telegram_url = f"{base_url}{mask_token(token)}/getMe"
            side = self.telegram_factory(
                services,
                self.settings,
                token=token,
                base_url=base_url,
                base_file_url=base_file_url,
            )
            await side.start()
            stack.push_async_callback(self._stop_side, side)
            self._side = side
            sender = self.sender_factory(services, side.bot)
            await sender.start()
            stack.push_async_callback(sender.stop)
            # R-live5: only the leader edits; the refresher the panel's buttons use, if any.
            panels = getattr(side, "panels", None) or _panel_refresher(services, side.bot)
            await panels.start()
            stack.push_async_callback(panels.stop)
            log.info("Telegram side and notification sender running")
            if standin is not None and self.interactive:
                chat = asyncio.create_task(self._terminal_chat(standin, stop), name="terminal")
                await _first_of(chat, lead_over)
                await _settled(chat)
            else:
                await lead_over.wait()

    async def _stop_side(self, side: TelegramSideLike) -> None:
        self._side = None
        await side.stop()

    async def _terminal_chat(self, standin: Any, stop: asyncio.Event) -> None:
        """A person chatting in the terminal; leaving the chat (/quit, end of input) stops
        the service, as it is what they ran it for. Log lines go to the log file meanwhile
        (`bot.logs`), never into the chat."""
        from bot.telegram_standin import run_terminal_chat

        api = f"http://{self.settings.http_host}:{self.http_port}"
        await run_terminal_chat(standin, stop_event=stop, api_url=api)
        stop.set()


# --- defaults (imported lazily: followers never load the Telegram code) ----------------------


def _real_telegram_side(services: Services, settings: Settings, **kwargs: Any) -> Any:
    from bot.telegram.application import TelegramSide

    return TelegramSide(services, settings, **kwargs)


def configure_events(services: Services, settings: Settings) -> None:
    """The event log's retention and the webhook guard's setting (R-ev1, R-ev2)."""
    services.events.retention_days = settings.event_retention_days
    services.webhooks.allow_private = settings.webhook_allow_private


def _real_webhook_sender(services: Services, settings: Settings) -> Component:
    from bot.webhook_sender import WebhookSender

    return WebhookSender(services, allow_private=settings.webhook_allow_private)


def _real_sender(services: Services, bot: Any) -> Any:
    from bot.telegram.outbox_sender import OutboxSender

    return OutboxSender(services.db, bot, clock=services.clock)


def _panel_refresher(services: Services, bot: Any) -> Component:
    from bot.telegram.live_panel import PanelRefresher

    return PanelRefresher(services, bot)


def _real_app(services: Services, settings: Settings, **kwargs: Any) -> web.Application:
    from bot.http.app import create_app

    return create_app(services, settings, **kwargs)


@contextlib.asynccontextmanager
async def _standin() -> Any:
    from bot.telegram_standin import TelegramStandIn

    async with TelegramStandIn() as standin:
        yield standin


def _bot_api_urls(base_url: str) -> tuple[str, str | None]:
    """TELEGRAM_API_BASE_URL is the `…/bot` root; a local Bot API server serves files under
    `…/file/bot` beside it."""
    root = base_url.rstrip("/")
    if root.endswith("/bot"):
        return root, root[: -len("/bot")] + "/file/bot"
    return root, None


async def _settled(task: asyncio.Task[Any]) -> None:
    """Waits for a task that may already have been cancelled, without raising."""
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _first_of(work: Awaitable[object], stop: asyncio.Event) -> bool:
    """Waits for `work` or for `stop`; True when `work` finished first. The other is
    cancelled."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in (task, stopper):
            if not t.done():
                t.cancel()
        await asyncio.gather(task, stopper, return_exceptions=True)
    if task.done() and not task.cancelled() and task.exception() is None:
        return True
    if task.done() and not task.cancelled():
        error = task.exception()
        if error is not None:
            raise error
    return False


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Any:
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or no signals here: the caller's stop_event rules
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
