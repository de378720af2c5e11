"""R-n1 team notifications: what each event says, written to the outbox in the caller's
transaction (R-n2) so a notification exists exactly when its change committed."""

from __future__ import annotations

import json
from datetime import datetime
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from core.money import format_money
from core.rules.vouchers import Warning
from storage import repositories as repo
from storage.models import Account, Shop, Voucher


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
