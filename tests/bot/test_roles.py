"""R-acc4 through the bot: every command for a stranger, a linked host and the seller."""

from __future__ import annotations

import pytest

from core.rules.roles import Actor
from core.services import Services
from tests.bot.conftest import BotRig, Person
from tests.conftest import draft

NOT_MEMBER = "not part of a shop"
SELLER_ONLY = "only the shop's seller"

MEMBER_COMMANDS = [
    "/vouchers",
    "/voucher {v}",
    "/quota",
    "/live",
    "/issue",
    "/stop {v}",
    "/endlive",
    "/handle",
]
SELLER_COMMANDS = [
    "/newvoucher",
    "/addqty {v} 5",
    "/deactivate {v}",
    "/link official",
    "/accounts",
    "/unlink {host}",
]


@pytest.fixture
async def host(rig: BotRig, services: Services, seller: Actor) -> Person:
    invite = await services.accounts.create_invite(seller, "marketing")
    await services.accounts.accept_invite(invite.token, 2002, "Hank")
    return rig.person(2002, "Hank", "hank")


@pytest.fixture
async def voucher_id(services: Services, seller: Actor) -> int:
    return (await services.vouchers.create(seller, draft(kind="live"))).id  # type: ignore[return-value]


async def _host_account(services: Services, seller: Actor) -> int:
    accounts = await services.accounts.list(seller)
    return next(a.id for a in accounts if a.role == "marketing")


async def test_r_acc4_a_stranger_is_refused_politely_everywhere(
    rig: BotRig, stranger: Person, voucher_id: int, host: Person
) -> None:
    for command in [*MEMBER_COMMANDS, *SELLER_COMMANDS, "/apikey"]:
        reply = await stranger.say(command.format(v=voucher_id, host=1))
        assert NOT_MEMBER in reply.content.plain_text, command


async def test_r_acc4_a_host_is_refused_seller_commands_and_allowed_the_rest(
    rig: BotRig, host: Person, voucher_id: int, services: Services, seller: Actor
) -> None:
    host_id = await _host_account(services, seller)
    for command in [*SELLER_COMMANDS, "/apikey"]:
        reply = await host.say(command.format(v=voucher_id, host=host_id))
        assert SELLER_ONLY in reply.content.plain_text, command
    for command in MEMBER_COMMANDS:
        reply = await host.say(command.format(v=voucher_id, host=host_id))
        text = reply.content.plain_text
        assert NOT_MEMBER not in text and "Only" not in text, (command, text)
        if command == "/handle":
            await host.say("/cancel")
        if command == "/issue":
            await host.say("/cancel")
    group = host.in_group(-100900)
    rig.standin.group(-100900, "Team", members=[host.user])
    reply = await group.say("/team")
    assert SELLER_ONLY in reply.content.plain_text


async def test_the_seller_may_do_everything(
    rig: BotRig, sally: Person, host: Person, voucher_id: int, services: Services, seller: Actor
) -> None:
    host_id = await _host_account(services, seller)
    for command in [*MEMBER_COMMANDS, *SELLER_COMMANDS, "/apikey"]:
        reply = await sally.say(command.format(v=voucher_id, host=host_id))
        text = reply.content.plain_text
        assert NOT_MEMBER not in text and "Only" not in text and "Sorry" not in text, (
            command,
            text,
        )
        if command in ("/handle", "/newvoucher", "/issue"):
            await sally.say("/cancel")


async def test_help_and_menus_follow_the_role(
    rig: BotRig, sally: Person, host: Person, stranger: Person
) -> None:
    assert rig.standin.calls["setMyCommands"] >= 2  # default and group scopes at start-up
    default = [name for name, _ in rig.standin.commands()]
    assert default == ["start", "setup", "help", "cancel", "language"]
    seller_help = (await sally.say("/help")).content.plain_text
    host_help = (await host.say("/help")).content.plain_text
    stranger_help = (await stranger.say("/help")).content.plain_text
    assert "/newvoucher" in seller_help and "/apikey" in seller_help
    assert "/issue" in host_help and "/newvoucher" not in host_help and "/apikey" not in host_help
    assert "/setup" in stranger_help and "/issue" not in stranger_help
    await sally.say("/start")
    menu = [n for n, _ in rig.standin.commands({"type": "chat", "chat_id": sally.user.id})]
    assert "newvoucher" in menu and "team" not in menu
