"""The `voucherbot` command line.

Failures the operator fixes with a setting (`bot.startup.StartupFailure`, a setting that
does not parse) are printed as one or two lines naming the setting, without a traceback,
and the command exits with status 1 (R-run1)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError

from bot.config import Settings
from bot.logs import configure_logging
from bot.startup import StartupFailure, open_database, safe_url
from core.clock import SystemClock
from core.errors import VoucherbotError
from core.services import Services

EXIT_FAILURE = 1


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        # One line per setting that does not parse, named as in .env.
        lines = [
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']} (got {e.get('input')!r})"
            for e in error.errors()
        ]
        raise StartupFailure("\n".join(lines[:2])) from None


async def _with_services(settings: Settings, work: Callable[[Services], Awaitable[int]]) -> int:
    db = await open_database(settings.database_url)
    try:
        return await work(Services.build(db, SystemClock()))
    finally:
        await db.dispose()


async def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    db = await open_database(settings.database_url)
    await db.dispose()
    print(f"database is at the latest schema ({safe_url(settings.database_url)})")
    return 0


async def cmd_shop_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> int:
        shop, seller = await services.shops.create(
            args.name,
            owner_telegram_user_id=args.owner,
            handle=args.handle,
            currency=args.currency or settings.default_currency,
            timezone=args.timezone or settings.default_timezone,
        )
        print(f"shop id: {shop.id}")
        print(f"seller account id: {seller.id}")
        return 0

    return await _with_services(settings, work)


async def cmd_apikey_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> int:
        key = await services.api_keys.create_for_shop(args.shop)
        print(f"key id: {key.key_id}")
        print(f"api key: {key.secret}")
        print("Store the key now: it is shown only once.")
        return 0

    return await _with_services(settings, work)


async def cmd_apikey_revoke(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> int:
        view = await services.api_keys.revoke(args.key)
        print(f"revoked key {view.key_id} of shop {view.shop_id}")
        return 0

    return await _with_services(settings, work)


async def cmd_webhooks(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli_webhooks import run

    return await _with_services(settings, lambda services: run(args, settings, services))


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import serve

    await serve(settings)
    return 0


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.demo import run_demo

    return await run_demo(args)


async def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.simulate import run_simulation

    return await run_simulation(args, settings)


async def cmd_verify_draw(args: argparse.Namespace, settings: Settings) -> int:
    from bot.verify_draw import run

    return run(args)


def settings_epilog() -> str:
    """`run --help` names every setting, read from `Settings` so the list stays true."""
    names = ", ".join(name.upper() for name in Settings.model_fields)
    return (
        f"Settings, from the environment or .env (each described in .env.example and "
        f"docs/operations.md): {names}."
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voucherbot",
        description="Seller Vouchers for livestream shops: Telegram bot, HTTP API and scheduler.",
        epilog="Configuration comes from the environment and .env (see .env.example).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run the bot, the HTTP API and the scheduler (applies pending migrations first)",
        description="Runs the bot, the HTTP API and the scheduler. Without TELEGRAM_BOT_TOKEN "
        "it starts a local Telegram stand-in and lets you chat with the bot in this terminal.",
        epilog=settings_epilog(),
    )
    run.set_defaults(handler=cmd_run)

    migrate = sub.add_parser("migrate", help="apply pending database migrations")
    migrate.set_defaults(handler=cmd_migrate)

    shop = sub.add_parser("shop", help="manage shops").add_subparsers(
        dest="shop_command", required=True, metavar="ACTION"
    )
    create = shop.add_parser(
        "create", help="create a shop; prints its id and its seller account id"
    )
    create.add_argument("--name", required=True, help="shop name")
    create.add_argument("--owner", type=int, help="the seller's Telegram user id")
    create.add_argument("--handle", help="the seller's platform handle (LIVE host name)")
    create.add_argument("--currency", help="ISO 4217 code (default: DEFAULT_CURRENCY)")
    create.add_argument("--timezone", help="IANA time zone (default: DEFAULT_TIMEZONE)")
    create.set_defaults(handler=cmd_shop_create)

    apikey = sub.add_parser("apikey", help="manage API keys").add_subparsers(
        dest="apikey_command", required=True, metavar="ACTION"
    )
    key_create = apikey.add_parser("create", help="create an API key for a shop (shown once)")
    key_create.add_argument("--shop", type=int, required=True, help="shop id")
    key_create.set_defaults(handler=cmd_apikey_create)
    key_revoke = apikey.add_parser("revoke", help="revoke an API key")
    key_revoke.add_argument("key", help="the key id or the whole key")
    key_revoke.set_defaults(handler=cmd_apikey_revoke)

    webhooks = sub.add_parser("webhooks", help="manage a shop's webhook endpoints (R-ev2)")
    _extend("bot.cli_webhooks", webhooks)
    webhooks.set_defaults(handler=cmd_webhooks)

    demo = sub.add_parser(
        "demo", help="an offline tour of the whole product against a local Telegram stand-in"
    )
    _extend("bot.demo", demo)
    demo.set_defaults(handler=cmd_demo)

    simulate = sub.add_parser(
        "simulate", help="play a livestream platform against a running service's HTTP API"
    )
    _extend("bot.simulate", simulate)
    simulate.set_defaults(handler=cmd_simulate)

    verify = sub.add_parser(
        "verify-draw",
        help="recompute a lucky draw's winners from its published seed and entrants",
        description="Reads GET /v1/distributions/{id}/draw (a file, stdin or --url) and checks "
        "that the seed matches the commitment and the winners follow from it. Exit code 0: "
        "verified; 1: it does not check out; 2: the document could not be read.",
    )
    _extend("bot.verify_draw", verify)
    verify.set_defaults(handler=cmd_verify_draw)
    return parser


def _extend(module: str, parser: argparse.ArgumentParser) -> None:
    """A command's module declares its own options (`add_arguments(parser)`); a module that
    fails to import fails loudly here rather than silently losing its options."""
    import importlib

    importlib.import_module(module).add_arguments(parser)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = _settings()
    except StartupFailure as failure:
        print(f"voucherbot: {failure}", file=sys.stderr)
        return EXIT_FAILURE
    chat_in_terminal = (
        args.command == "run" and not settings.telegram_bot_token and sys.stdin.isatty()
    )
    configure_logging(settings.log_level, chat_in_terminal=chat_in_terminal)
    handler: Any = args.handler
    try:
        code: int = asyncio.run(handler(args, settings))
        return code
    except StartupFailure as failure:
        print(f"voucherbot: {failure}", file=sys.stderr)
        return EXIT_FAILURE
    except VoucherbotError as exc:
        print(f"error: {exc.detail if hasattr(exc, 'detail') else exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        # Ctrl-C before the service installed its own handler (or in a one-shot command).
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
