"""R-n1 team notifications: what each event says, written to the outbox in the caller's
transaction (R-n2) so a notification exists exactly when its change committed."""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.money import format_money
from core.rules.vouchers import DiscountType, Kind, Warning
from storage import repositories as repo
from storage.models import Account, Shop, Voucher
from storage.schedule_queries import effect_key


def voucher_label(v: Voucher) -> str:
    return named_voucher(v.name, v.id)  # type: ignore[arg-type]


def named_voucher(name: str, voucher_id: int) -> str:
    return f"<b>{escape(name)}</b> (#{voucher_id})"


def account_label(a: Account | None) -> str:
    if a is None:
        return "the platform"
    name = a.display_name or (f"@{a.platform_handle}" if a.platform_handle else f"#{a.id}")
    return f"{escape(name)} ({a.role}, account #{a.id})"


def notification_row(
    shop_id: int,
    chat_id: int,
    *,
    event_key: str,
    kind: str,
    text: str,
    now: datetime,
    buttons: list[list[tuple[str, str]]] | None = None,
) -> dict[str, object]:
    """One outbox row; the event key is unique per shop, so an event is queued once."""
    return {
        "shop_id": shop_id,
        "event_key": f"shop:{shop_id}:{event_key}",
        "kind": kind,
        "chat_id": chat_id,
        "text": text,
        "buttons": json.dumps(buttons) if buttons else None,
        "created_at": now,
        "next_attempt_at": now,
    }


async def notify(
    session: AsyncSession,
    shop: Shop,
    *,
    event_key: str,
    kind: str,
    text: str,
    now: datetime,
    buttons: list[list[tuple[str, str]]] | None = None,
) -> bool:
    """Queue one message for the team chat. Without a team chat there is nobody to tell, so
    nothing is queued (a chat chosen later does not receive old news)."""
    if shop.team_chat_id is None:
        return False
    row = notification_row(
        shop.id,  # type: ignore[arg-type]
        shop.team_chat_id,
        event_key=event_key,
        kind=kind,
        text=text,
        now=now,
        buttons=buttons,
    )
    return await repo.add_notification(session, row)


def low_discount_text(shop: Shop, v: Voucher, warning: Warning, by: Account | None) -> str:
    d = warning.data
    money = lambda m: format_money(m, shop.currency)  # noqa: E731
    return (
        f"⚠️ Maximum Discount Per Order is Low: {voucher_label(v)} was created by "
        f"{account_label(by)}.\n{v.percent}% off a {money(d['basket'])} basket is "
        f"{money(d['nominal'])}, but the maximum discount is {money(d['capped'])}: "
        f"the buyer pays {money(d['final_price'])}."
    )


def quota_text(name: str, voucher_id: int, claimed: int, total: int) -> str:
    label = named_voucher(name, voucher_id)
    if claimed >= total:
        return f"🔴 {label} is sold out: all {total:,} vouchers claimed."
    return (
        f"🟠 {label} is {claimed * 100 // total}% claimed: {total - claimed:,} of {total:,} left."
    )


def opened_text(shop: Shop, v: Voucher) -> str:
    kind = "LIVE Interactive Voucher" if v.kind == Kind.LIVE else "Regular Voucher"
    text = (
        f"🟢 Claim period opened: {voucher_label(v)}, {kind}, {discount_text(shop, v)}. "
        f"{v.total_quantity:,} vouchers claimable until {local_time(v.ends_at, shop.timezone)}."
    )
    if v.kind == Kind.LIVE:
        text += (
            f"\nViewers can claim it once a host issues it with a task in a live session "
            f"(/issue {v.id})."
        )
    return text


def discount_text(shop: Shop, v: Voucher) -> str:
    def money(minor: int) -> str:
        return format_money(minor, shop.currency)

    if v.discount_type == DiscountType.PERCENT:
        text = f"{v.percent}% off (up to {money(v.max_discount or 0)} per order)"
    else:
        text = f"{money(v.amount or 0)} off"
    if v.min_spend:
        text += f", minimum spend {money(v.min_spend)}"
    return text


def local_time(at: datetime, timezone: str) -> str:
    """`8 Jun 2026 14:00 (Europe/Berlin)`: the shop's own clock (R-time)."""
    try:
        local = at.astimezone(ZoneInfo(timezone))
    except (KeyError, ValueError):
        local, timezone = at, "UTC"
    return f"{local.day} {local:%b %Y %H:%M} ({timezone})"


async def announce_opened(session: AsyncSession, shop: Shop, v: Voucher, now: datetime) -> bool:
    """R-s1's "Claim period opened", now, if the schedule has not announced it yet: whatever
    happens to an ongoing voucher first (a distribution, R-n1) must not reach the team before
    the news that its claim period opened. The effect ledger makes it once, whoever is first."""
    if not v.starts_at <= now < v.ends_at:
        return False
    key = effect_key(v.id, "opened")  # type: ignore[arg-type]
    if not await repo.record_effect(session, key, now):
        return False
    await notify(
        session,
        shop,
        event_key=key,
        kind="claim_period_opened",
        text=opened_text(shop, v),
        now=now,
    )
    return True
