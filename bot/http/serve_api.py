"""Serve only the HTTP API (no Telegram, no scheduler) over the real services and migrations.

`python -m bot.http.serve_api --database-url URL --port N` — what the claim-rush benchmark
starts as its server process. SIGINT/SIGTERM shut it down gracefully: the listener closes,
in-flight requests finish (each one's transaction commits or rolls back whole), then the
database is released.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal

from aiohttp import web

from bot.config import Settings
from bot.http.app import create_app
from bot.http.request_ids import install_log_field
from bot.logs import FORMAT as LOG_FORMAT
from bot.startup import StartupFailure, listen_failure, open_database
from core.clock import SystemClock
from core.services import Services
from storage.resources import Resources

SHUTDOWN_TIMEOUT_SECONDS = 30.0


async def serve(
    settings: Settings, *, pool_size: int = 10, ready: asyncio.Event | None = None
) -> None:
    db = await open_database(settings.database_url, pool_size=pool_size)
    resources = await Resources.open(db)  # built once here, closed below in reverse order
    services = Services.build(db, SystemClock(), resources=resources)
    app = create_app(services, settings)
    runner = web.AppRunner(
        app, shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS, access_log=None, handle_signals=False
    )
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port, backlog=1024)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        await resources.close()
        await db.dispose()
        raise listen_failure(error, settings.http_host, settings.http_port) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    freeze_startup_objects()
    print(f"serving the API on http://{settings.http_host}:{settings.http_port}", flush=True)
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()  # stops accepting, lets in-flight requests finish
        await resources.close()
        await db.dispose()


def freeze_startup_objects() -> None:
    """Keeps what start-up built (modules, models, routes: some 100,000 objects that live as
    long as the process) out of the garbage collector's full passes, each of which walked
    them all and stalled every request for ~50 ms in the middle of a claim rush."""
    gc.collect()
    gc.freeze()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: DATABASE_URL")
    parser.add_argument("--host", default=None, help="default: HTTP_HOST")
    parser.add_argument("--port", type=int, default=None, help="default: HTTP_PORT")
    parser.add_argument("--pool-size", type=int, default=10)
    args = parser.parse_args(argv)
    overrides = {
        k: v
        for k, v in {
            "database_url": args.database_url,
            "http_host": args.host,
            "http_port": args.port,
        }.items()
        if v is not None
    }
    settings = Settings(**overrides)
    install_log_field()
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO), format=LOG_FORMAT
    )
    try:
        asyncio.run(serve(settings, pool_size=args.pool_size))
    except StartupFailure as failure:
        raise SystemExit(f"serve_api: {failure}") from None


if __name__ == "__main__":
    main()
