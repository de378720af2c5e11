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
    return f"<b>{escape(v.name)}</b> (#{v.id})"


def account_label(a: Account | None) -> str:
    if a is None:
        return "the platform"
    name = a.display_name or (f"@{a.platform_handle}" if a.platform_handle else f"#{a.id}")
    return f"{escape(name)} ({a.role}, account #{a.id})"


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
    return await repo.add_notification(
        session,
        {
            "shop_id": shop.id,
            "event_key": f"shop:{shop.id}:{event_key}",
            "kind": kind,
            "chat_id": shop.team_chat_id,
            "text": text,
            "buttons": json.dumps(buttons) if buttons else None,
            "created_at": now,
            "next_attempt_at": now,
        },
    )


def low_discount_text(shop: Shop, v: Voucher, warning: Warning, by: Account | None) -> str:
    d = warning.data
    money = lambda m: format_money(m, shop.currency)  # noqa: E731
    return (
        f"⚠️ Maximum Discount Per Order is Low: {voucher_label(v)} was created by "
        f"{account_label(by)}.\n{v.percent}% off a {money(d['basket'])} basket is "
        f"{money(d['nominal'])}, but the maximum discount is {money(d['capped'])}: "
        f"the buyer pays {money(d['final_price'])}."
    )


def quota_text(v: Voucher, claimed: int, total: int) -> str:
    if claimed >= total:
        return f"🔴 {voucher_label(v)} is sold out: all {total:,} vouchers claimed."
    return (
        f"🟠 {voucher_label(v)} is {claimed * 100 // total}% claimed: "
        f"{total - claimed:,} of {total:,} left."
    )
