"""Accounts and roles: R-acc1…R-acc4."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import Conflict, NotFound, PermissionDenied
from core.services import Services
from tests.conftest import draft
from tests.core.helpers import link, outbox, with_team


async def test_r_acc1_one_seller_one_official_four_marketing(services: Services, seller):
    await link(services, seller, "official", 2001)
    with pytest.raises(Conflict) as exc:
        await services.accounts.create_invite(seller, "official")
    assert exc.value.code == "role_full"
    for uid in range(3001, 3005):
        await link(services, seller, "marketing", uid)
    with pytest.raises(Conflict):
        await services.accounts.create_invite(seller, "marketing")
    roles = [a.role for a in await services.accounts.list(seller)]
    assert roles.count("seller") == 1 and roles.count("official") == 1
    assert roles.count("marketing") == 4


async def test_r_acc1_role_full_checked_when_opening_the_link(services: Services, seller):
    first = await services.accounts.create_invite(seller, "official")
    second = await services.accounts.create_invite(seller, "official")
    await services.accounts.accept_invite(first.token, 2001)
    with pytest.raises(Conflict) as exc:
        await services.accounts.accept_invite(second.token, 2002)
    assert exc.value.code == "role_full"


async def test_r_acc1_a_user_belongs_to_one_shop(services: Services, seller):
    with pytest.raises(Conflict):
        await services.shops.create("Second", owner_telegram_user_id=1001)
    invite = await services.accounts.create_invite(seller, "marketing")
    with pytest.raises(Conflict) as exc:
        await services.accounts.accept_invite(invite.token, 1001)
    assert exc.value.code == "already_in_shop"


async def test_r_acc2_invite_single_use_deep_link_expires_after_24h(
    services: Services, seller, clock
):
    invite = await services.accounts.create_invite(seller, "marketing")
    assert invite.deep_link("VoucherBot") == f"https://t.me/VoucherBot?start={invite.token}"
    assert len(invite.token) <= 64
    assert invite.expires_at == clock.now() + timedelta(hours=24)
    member = await services.accounts.accept_invite(invite.token, 4001, "Hana")
    assert member.actor.role == "marketing" and member.shop.id == seller.shop_id
    with pytest.raises(Conflict) as exc:
        await services.accounts.accept_invite(invite.token, 4002)
    assert exc.value.code == "invite_used"
    late = await services.accounts.create_invite(seller, "marketing")
    clock.advance(hours=24)
    with pytest.raises(Conflict) as exc:
        await services.accounts.accept_invite(late.token, 4003)
    assert exc.value.code == "invite_expired"
    with pytest.raises(NotFound):
        await services.accounts.accept_invite("nope", 4004)


async def test_r_acc2_platform_handle(services: Services, seller):
    host = await link(services, seller, "official", 2001, handle="@Acme.Live")
    view = await services.accounts.get(seller, host.account_id)  # type: ignore[arg-type]
    assert view.platform_handle == "acme.live"  # R-api2: one normal form


async def test_r_acc3_unlink_is_immediate_and_stops_distributions(services: Services, seller):
    await with_team(services, seller)
    host = await link(services, seller, "marketing", 3001)
    v = await services.vouchers.create(seller, draft(kind="live"))
    live = await services.live.start_session(host)
    await services.live.issue(host, live.id, v.id, "none")
    await services.accounts.unlink(seller, host.account_id)  # type: ignore[arg-type]
    assert await services.accounts.membership(3001) is None
    assert (await services.live.get_session(seller, live.id)).ended_at is not None
    from core.errors import ClaimRefused

    with pytest.raises(ClaimRefused) as exc:
        await services.claims.claim(seller.shop_id, v.id, "b1")
    assert exc.value.code == "no_active_distribution"
    assert len(await outbox(services, "account_unlinked")) == 1
    with pytest.raises(PermissionDenied):
        await services.accounts.unlink(seller, seller.account_id)  # type: ignore[arg-type]


async def test_r_acc4_linked_accounts_cannot_manage_accounts_or_keys(services: Services, seller):
    host = await link(services, seller, "official", 2001)
    with pytest.raises(PermissionDenied):
        await services.accounts.create_invite(host, "marketing")
    with pytest.raises(PermissionDenied):
        await services.accounts.unlink(host, seller.account_id)  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        await services.api_keys.create(host)
    with pytest.raises(PermissionDenied):
        await services.shops.set_team_chat(host, -1)


async def test_api_keys_hashed_shown_once_revocable(services: Services, seller):
    key = await services.api_keys.create(seller)
    assert await services.api_keys.authenticate(key.secret) == seller.shop_id
    assert await services.api_keys.authenticate(key.secret + "x") is None
    assert await services.api_keys.authenticate("garbage") is None
    from storage import repositories as repo

    async with services.db.read() as session:
        row = await repo.api_key_by_key_id(session, key.key_id)
    assert row is not None and key.secret.split("_")[2] not in row.secret_hash
    await services.api_keys.revoke(key.key_id)
    assert await services.api_keys.authenticate(key.secret) is None
