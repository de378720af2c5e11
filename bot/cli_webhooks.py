"""`voucherbot webhooks …`: a shop's webhook endpoints from the command line (R-ev2), acting
as the shop's platform, the same as the API does with its key."""

from __future__ import annotations

import argparse

from bot.config import Settings
from core.rules.roles import Actor
from core.services import Services
from core.services.webhooks import EndpointView


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="webhooks_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="register an endpoint (its secret is shown once)")
    add.add_argument("url", help="https:// URL resolving to public addresses")
    add.add_argument("--type", action="append", dest="types", help="an event type (repeat)")
    add.add_argument("--description")
    actions.add_parser("list", help="list the shop's endpoints")
    for name, text in (
        ("delete", "delete an endpoint"),
        ("disable", "pause deliveries to an endpoint"),
        ("enable", "resume deliveries to an endpoint"),
        ("rotate", "rotate an endpoint's secret (the old one signs beside it for 24 h)"),
        ("attempts", "the latest delivery attempts of an endpoint"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("endpoint", type=int, help="endpoint id")
    for action in actions.choices.values():
        action.add_argument("--shop", type=int, required=True, help="shop id")


def _line(v: EndpointView) -> str:
    state = f"disabled ({v.disabled_reason})" if v.disabled else "enabled"
    types = ", ".join(v.types) if v.types else "all events"
    return f"#{v.id} {v.url} · {state} · {types}"


async def run(args: argparse.Namespace, settings: Settings, services: Services) -> int:
    services.webhooks.allow_private = settings.webhook_allow_private
    actor = Actor.platform(args.shop)
    hooks = services.webhooks
    command = args.webhooks_command
    if command == "add":
        view = await hooks.create(actor, args.url, types=args.types, description=args.description)
        print(_line(view))
        print(f"secret: {view.secret}")
        print("Store the secret now: it is shown only once.")
    elif command == "list":
        views = await hooks.list(actor)
        for v in views:
            print(_line(v))
        if not views:
            print("no webhook endpoints")
    elif command == "delete":
        await hooks.delete(actor, args.endpoint)
        print(f"deleted endpoint #{args.endpoint}")
    elif command in ("disable", "enable"):
        print(_line(await hooks.update(actor, args.endpoint, {"disabled": command == "disable"})))
    elif command == "rotate":
        view = await hooks.rotate_secret(actor, args.endpoint)
        print(f"new secret: {view.secret}")
        print("Store it now: it is shown only once. The old one keeps signing for 24 h.")
    elif command == "attempts":
        for _, a in await hooks.attempts(actor, args.endpoint, limit=20):
            outcome = str(a.status) if a.status is not None else "no answer"
            print(
                f"{a.at:%Y-%m-%d %H:%M:%S}Z {a.event_id} {a.event_type} {outcome} "
                f"{a.latency_ms} ms {a.error or ''}".rstrip()
            )
    return 0
