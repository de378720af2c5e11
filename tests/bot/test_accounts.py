"""/setup, /link with deep links, /accounts, /unlink, /handle, /team and /apikey."""

from __future__ import annotations

from core.rules.roles import Actor
from core.services import Services
from tests.bot.conftest import BotRig, Person, labels
from tests.conftest import draft


async def test_setup_by_buttons_alone(rig: BotRig, stranger: Person, services: Services) -> None:
    m = await stranger.say("/setup")
    assert "shop's name" in m.content.plain_text
    bad = await stranger.say("x" * 120)
    assert "1–100 characters" in bad.content.plain_text
    m = await stranger.say("Stan's Store")
    assert "is ready" in m.content.plain_text
    m = await stranger.press(m, "IDR")
    assert "currency IDR" in m.content.plain_text
    m = await stranger.press(m, "Jakarta")
    assert "Asia/Jakarta" in m.content.plain_text
    member = await services.accounts.membership(stranger.user.id)
    assert member and member.shop.currency == "IDR" and member.account.role == "seller"
    again = await stranger.say("/setup Another")
    assert "Stan's Store" in again.content.plain_text


async def test_r_acc2_r_acc3_invite_link_host_then_unlink(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    m = await sally.say("/link")
    m = await sally.press(m, "Marketing account")
    link = next(w for w in m.content.plain_text.split() if w.startswith("https://t.me/"))
    assert link.startswith("https://t.me/voucherbot_standin_bot?start=")
    token = link.split("start=")[1]
    host = rig.person(2002, "Hank", "hank")
    welcome = await host.say(f"/start {token}")
    assert "linked to Acme as its marketing account" in welcome.content.plain_text
    reused = await rig.person(2003, "Ivy").say(f"/start {token}")
    assert "already used" in reused.content.plain_text
    m = await host.say("/handle")
    bad = await host.say("not a handle!")
    assert "1–64 letters, digits" in bad.content.plain_text
    done = await host.say("@hank_live")
    assert "@hank_live" in done.content.plain_text
    accounts = await sally.say("/accounts")
    assert "hank_live" in accounts.content.plain_text
    confirm = await sally.press(accounts, "✂️ Unlink")
    yes = confirm.buttons[0][0].callback_data
    done = await sally.press(confirm, "✂️ Yes, unlink")
    assert "Unlinked" in done.content.plain_text
    assert "not part of a shop" in (await host.say("/vouchers")).content.plain_text
    answer = await sally.press_data(confirm, yes)
    assert answer and "already unlinked" in answer


async def test_roles_fill_up(rig: BotRig, sally: Person, services: Services, seller: Actor) -> None:
    invite = await services.accounts.create_invite(seller, "official")
    await services.accounts.accept_invite(invite.token, 2002, "Olly")
    m = await sally.say("/link official")
    assert "already has 1 official account" in m.content.plain_text


async def test_team_only_in_a_group(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    m = await sally.say("/team")
    assert "inside your team" in m.content.plain_text
    rig.standin.group(-100321, "Acme team", members=[sally.user])
    m = await sally.in_group(-100321).say("/team")
    assert "now the team chat" in m.content.plain_text
    assert (await services.shops.get(seller.shop_id)).team_chat_id == -100321


async def test_apikey_private_only_shown_once_and_revoked(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    rig.standin.group(-100321, "Acme team", members=[sally.user])
    m = await sally.in_group(-100321).say("/apikey")
    assert "private chat" in m.content.plain_text
    m = await sally.say("/apikey")
    key = next(w for w in m.content.plain_text.split() if w.startswith("vb_"))
    assert await services.api_keys.authenticate(key) == seller.shop_id
    pick = await sally.say("/apikey revoke")
    confirm = await sally.press(pick, "Revoke")
    yes = confirm.buttons[0][0].callback_data
    done = await sally.press(confirm, "Yes, revoke")
    assert "revoked" in done.content.plain_text
    assert await services.api_keys.authenticate(key) is None
    answer = await sally.press_data(confirm, yes)
    assert answer and "already revoked" in answer


async def test_r_b3_unknown_text_and_stale_foreign_buttons(
    rig: BotRig, sally: Person, seller: Actor, services: Services
) -> None:
    m = await sally.say("hello there")
    assert "/help" in m.content.plain_text
    v = await services.vouchers.create(seller, draft())
    details = await sally.say(f"/voucher {v.id}")
    answer = await sally.press_data(details, "nv:dead:k:r")  # a flow that no longer exists
    assert answer and "no longer applies" in answer
    assert "🔄 Refresh" in labels(details)
