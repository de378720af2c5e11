"""A small demo shop for the Mini App's screenshots (bot/webapp/screenshots.py) and browser
tests: a seller (Telegram user 1001), a marketing host (2002), two Regular vouchers (one for
repeat customers, with a budget, a promo code and a number of uses: R-seg, R-budget, R-code,
R-redeem) and two LIVE vouchers, a week of claims and orders, and the host live now
distributing a LIVE voucher.
Everything goes through the services, on the given clock (a FrozenClock moved along)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.clock import FrozenClock
from core.rules.roles import Actor, Role
from core.rules.vouchers import VoucherDraft
from core.services import Services
from core.views import VoucherView

SELLER_ID, HOST_ID = 1001, 2002


@dataclass(frozen=True)
class DemoShop:
    seller: Actor
    host: Actor
    session_id: int
    voucher_ids: tuple[int, ...]


def _voucher(name: str, kind: str, starts: datetime, **values: object) -> VoucherDraft:
    base = VoucherDraft(
        name=name,
        kind=kind,
        discount_type="amount",
        amount=1_000,
        min_spend=5_000,
        total_quantity=200,
        starts_at=starts,
        ends_at=starts + timedelta(days=14),
    )
    return base.with_changes(values)


def _saved(voucher: VoucherView) -> int:
    assert voucher.id is not None, "a created voucher has its id (only a preview has none)"
    return voucher.id


async def seed(services: Services, clock: FrozenClock, now: datetime) -> DemoShop:
    """Builds the shop so that `now` is its present (the clock ends there)."""
    start = now - timedelta(days=6, hours=2)
    clock.set(start)
    shop, owner = await services.shops.create(
        "Acme Beauty", owner_telegram_user_id=SELLER_ID, owner_name="Sally", handle="acme_beauty"
    )
    seller = Actor(shop.id, Role.SELLER, owner.id)
    invite = await services.accounts.create_invite(seller, "marketing")
    member = await services.accounts.accept_invite(invite.token, HOST_ID, "Hana")
    host = member.actor
    regular = await services.vouchers.create(seller, _voucher("Weekend $10 off", "regular", start))
    flash = await services.vouchers.create(
        seller,
        _voucher(
            "LIVE 20% flash",
            "live",
            start,
            discount_type="percent",
            amount=None,
            percent=20,
            max_discount=2_500,
            min_spend=0,
            total_quantity=120,
        ),
    )
    later = await services.vouchers.create(
        seller, _voucher("Payday LIVE $5", "live", now + timedelta(days=2), amount=500)
    )
    regulars = await services.vouchers.create(
        seller,
        _voucher(
            "Regulars 15% off",
            "regular",
            start,
            discount_type="percent",
            amount=None,
            percent=15,
            max_discount=1_500,
            total_quantity=150,
            segment="repeat_customers",
            budget=60_000,
            code="ACMEVIP",
            redemption_limit=100,
        ),
    )
    platform = Actor.platform(shop.id)
    buyer = 0
    for day in range(6):
        for n in range(3 + 2 * day % 5):
            buyer += 1
            clock.set(start + timedelta(days=day, hours=1, minutes=7 * n))
            claim = await services.claims.claim(shop.id, _saved(regular), f"b{buyer}")
            if n % 2 == 0:
                line = [{"product_id": "p1", "unit_price": 6_000 + 500 * n, "quantity": 1}]
                await services.checkout.place_order(
                    platform, f"o{buyer}", f"b{buyer}", line, claim.id
                )
    clock.set(now - timedelta(minutes=25))
    session = await services.live.start_session(host)
    await services.live.issue(host, session.id, _saved(flash), "none")
    for n in range(18):
        buyer += 1
        clock.set(now - timedelta(minutes=20) + timedelta(seconds=60 * n))
        await services.claims.claim(
            shop.id,
            _saved(flash),
            f"b{buyer}",
            session_id=session.id,
        )
    clock.set(now)
    ids = tuple(_saved(v) for v in (regular, flash, later, regulars))
    return DemoShop(seller, host, session.id, ids)
