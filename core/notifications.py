"""R-n1 team notifications: what each event says, written to the outbox in the caller's
transaction (R-n2) so a notification exists exactly when its change committed.

Languages (R-l10n1): a notice is composed as a *message*: a gettext message id with its
parameters (`msg`, `msg_n` for counts), which may hold money (`money`), instants (`when`), a
task, a role or other messages. The outbox row keeps the English rendering (what logs and
engineers read) followed by the message itself after `MARK`; the sender renders it at send
time in the language of the chat it goes to: the shop's language for the team chat, the
person's for a private chat (bot/telegram/outbox_sender.py). Core decides what is said; the
bot's catalogs (bot/locales/) say it in each language. A plain string is sent as it is.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.draw_notices import (
    DrawOutcome as DrawOutcome,
)
from core.draw_notices import (
    _check_link as _check_link,
)
from core.draw_notices import (
    _proof as _proof,
)
from core.draw_notices import (
    draw_beacon_wait_text as draw_beacon_wait_text,
)
from core.draw_notices import (
    draw_cancelled_text as draw_cancelled_text,
)
from core.draw_notices import (
    draw_opened_text as draw_opened_text,
)
from core.draw_notices import (
    draw_result_text as draw_result_text,
)
from core.ids import row_id
from core.notice_base import (
    ENGLISH as ENGLISH,
)
from core.notice_base import (
    MARK as MARK,
)
from core.notice_base import (  # re-exported: the public surface of notifications
    Message as Message,
)
from core.notice_base import (
    Words as Words,
)
from core.notice_base import (
    _english_plural as _english_plural,
)
from core.notice_base import (
    _stop_reason as _stop_reason,
)
from core.notice_base import (
    account_label as account_label,
)
from core.notice_base import (
    html as html,
)
from core.notice_base import (
    label as label,
)
from core.notice_base import (
    local_time as local_time,
)
from core.notice_base import (
    money as money,
)
from core.notice_base import (
    msg as msg,
)
from core.notice_base import (
    msg_n as msg_n,
)
from core.notice_base import (
    named_voucher as named_voucher,
)
from core.notice_base import (
    notification_row as notification_row,
)
from core.notice_base import (
    notify as notify,
)
from core.notice_base import (
    notify_person as notify_person,
)
from core.notice_base import (
    pack as pack,
)
from core.notice_base import (
    private_chat as private_chat,
)
from core.notice_base import (
    role_words as role_words,
)
from core.notice_base import (
    seq as seq,
)
from core.notice_base import (
    task_words as task_words,
)
from core.notice_base import (
    tenths as tenths,
)
from core.notice_base import (
    unpack as unpack,
)
from core.notice_base import (
    voucher_label as voucher_label,
)
from core.notice_base import (
    when as when,
)
from core.rules.live import Task
from core.rules.vouchers import DiscountType, Kind, Warning
from storage import repositories as repo
from storage.models import Account, Shop, Voucher
from storage.schedule_queries import effect_key


def low_discount_text(shop: Shop, v: Voucher, warning: Warning, by: Account | None) -> Message:
    d = warning.data
    cur = shop.currency
    return msg(
        "⚠️ Maximum Discount Per Order is Low: {voucher} was created by {account}.\n"
        "{percent}% off a {basket} basket is {nominal}, but the maximum discount is {capped}: "
        "the buyer pays {final}.",
        voucher=html(voucher_label(v)),
        account=account_label(by),
        percent=v.percent or 0,
        basket=money(d["basket"], cur),
        nominal=money(d["nominal"], cur),
        capped=money(d["capped"], cur),
        final=money(d["final_price"], cur),
    )


def quota_text(name: str, voucher_id: int, claimed: int, total: int) -> Message:
    label = html(named_voucher(name, voucher_id))
    if claimed >= total:
        return msg_n(
            "🔴 {voucher} is sold out: all {n} voucher claimed.",
            "🔴 {voucher} is sold out: all {n} vouchers claimed.",
            total,
            voucher=label,
        )
    return msg(
        "🟠 {voucher} is {percent}% claimed: {remaining} of {total} left.",
        voucher=label,
        percent=claimed * 100 // total,
        remaining=total - claimed,
        total=total,
    )


def kind_words(kind: str) -> Message:
    return msg("LIVE Interactive Voucher") if kind == Kind.LIVE else msg("Regular Voucher")


def opened_text(shop: Shop, v: Voucher) -> Message:
    text = msg_n(
        "🟢 Claim period opened: {voucher}, {kind}, {discount}. {n} voucher claimable until "
        "{until}.",
        "🟢 Claim period opened: {voucher}, {kind}, {discount}. {n} vouchers claimable until "
        "{until}.",
        v.total_quantity,
        voucher=html(voucher_label(v)),
        kind=kind_words(v.kind),
        discount=discount_text(shop, v),
        until=when(v.ends_at, shop.timezone),
    )
    if v.kind == Kind.LIVE:
        return seq(
            text,
            msg(
                "Viewers can claim it once a host issues it with a task in a live session "
                "(/issue {id}).",
                id=str(v.id),
            ),
            sep="\n",
        )
    return text


def closed_text(shop: Shop, v: Voucher) -> Message:
    remaining = max(v.total_quantity - v.claimed, 0)
    if v.valid_days is not None:
        usable = msg_n(
            "Claimed vouchers can be used for {n} day after claiming.",
            "Claimed vouchers can be used for {n} days after claiming.",
            v.valid_days,
        )
    else:
        usable = msg(
            "Claimed vouchers can be used until {until}.",
            until=when(v.redeem_until or v.ends_at, shop.timezone),
        )
    return seq(
        msg("🏁 Claim period ended: {voucher}.", voucher=html(voucher_label(v))),
        msg(
            "Claims: {claimed} of {total} · redeemed: {redeemed} · remaining: {remaining}.",
            claimed=v.claimed,
            total=v.total_quantity,
            redeemed=v.redeemed,
            remaining=remaining,
        ),
        usable,
        sep="\n",
    )


def discount_text(shop: Shop, v: Voucher) -> Message:
    cur = shop.currency
    if v.discount_type == DiscountType.PERCENT:
        text = msg(
            "{percent}% off (up to {cap} per order)",
            percent=v.percent or 0,
            cap=money(v.max_discount or 0, cur),
        )
    else:
        text = msg("{amount} off", amount=money(v.amount or 0, cur))
    if v.min_spend:
        return seq(text, msg(", minimum spend {amount}", amount=money(v.min_spend, cur)))
    return text


def linked_text(account: Account) -> Message:
    return msg("🔗 {account} was linked to the shop.", account=account_label(account))


def unlinked_text(account: Account) -> Message:
    return msg("✂️ {account} was unlinked from the shop.", account=account_label(account))


def deactivated_text(v: Voucher, by: Account | None, voided: int) -> Message:
    return seq(
        msg(
            "⛔ {voucher} was deactivated by {account}.",
            voucher=html(voucher_label(v)),
            account=account_label(by),
        ),
        msg_n(
            "{claimed} claimed, {n} unused claim voided.",
            "{claimed} claimed, {n} unused claims voided.",
            voided,
            claimed=v.claimed,
        ),
        sep=" ",
    )


def distribution_stopped_text(
    voucher: Voucher, task: Task, reason: str, by: Account | None
) -> Message:
    return msg(
        "⏹ Distribution of {voucher} ({task}) stopped {why}.",
        voucher=html(voucher_label(voucher)),
        task=task_words(task),
        why=_stop_reason(reason, by),
    )


def distribution_started_text(
    host: Account | None, voucher: Voucher, session_id: int, task: Task
) -> Message:
    return msg(
        "▶️ {account} is distributing {voucher} in live session #{session}: {task}, "
        "{remaining} left.",
        account=account_label(host),
        voucher=html(voucher_label(voucher)),
        session=str(session_id),
        task=task_words(task),
        remaining=voucher.total_quantity - voucher.claimed,
    )


def lasted(minutes: int) -> Message:
    """`less than a minute`, `1 minute`, `25 minutes` (the team reads it, R-b5)."""
    if minutes < 1:
        return msg("less than a minute")
    return msg_n("{n} minute", "{n} minutes", minutes)


def session_ended_text(session_id: int, by: Account | None, minutes: int, claims: int) -> Message:
    return msg(
        "🎬 Live session #{session} of {account} ended after {lasted} with {claims}.",
        session=str(session_id),
        account=account_label(by),
        lasted=lasted(minutes),
        claims=msg_n("{n} voucher claim", "{n} voucher claims", claims),
    )


def drops_cancelled_text(session_id: int, cancelled: int) -> Message:
    """R-drop1: a session that ends cancels its pending drops — the host and the team hear it."""
    return msg_n(
        "⏰ Live session #{session} ended, so its {n} pending drop was cancelled.",
        "⏰ Live session #{session} ended, so its {n} pending drops were cancelled.",
        cancelled,
        session=str(session_id),
    )


async def tell_drops_cancelled(
    session: AsyncSession,
    shop: Shop,
    session_id: int,
    host: Account | None,
    cancelled: int,
    now: datetime,
) -> None:
    """R-drop1: the team and the session's host hear that its pending drops were cancelled."""
    text = drops_cancelled_text(session_id, cancelled)
    key = f"session:{session_id}:drops_cancelled"
    await notify(session, shop, event_key=key, kind="drops_cancelled", text=text, now=now)
    chat = private_chat(host, shop)
    if chat is None:
        return
    await notify_person(
        session,
        shop,
        chat,
        event_key=f"{key}:host",
        kind="drops_cancelled",
        text=text,
        now=now,
    )


def drop_reason(code: str | None) -> Message:
    """Why a drop failed, for a host (keys are the refusal codes of an immediate issue)."""
    if code == "session_ended":
        return msg("the live session had ended")
    if code == "not_distributable":
        return msg("the voucher was not ongoing")
    if code == "distribution_active":
        return msg("the voucher was already being distributed")
    if code == "sold_out":
        return msg("the voucher was sold out")
    if code == "not_live_voucher":
        return msg("it is not a LIVE voucher")
    if code == "voucher_not_found":
        return msg("the voucher no longer exists")
    if code == "forbidden":
        return msg("the account that scheduled it may no longer run this session")
    return msg("it could not be issued")


def drop_scheduled_text(
    by: Account | None, voucher: Voucher, session_id: int, due: datetime, shop: Shop, task: Task
) -> Message:
    return msg(
        "⏰ {account} scheduled a drop of {voucher} in live session #{session} at {when}: {task}.",
        account=account_label(by),
        voucher=html(voucher_label(voucher)),
        session=str(session_id),
        when=when(due, shop.timezone),
        task=task_words(task),
    )


def drop_settled_text(
    label: str, session_id: int, task: Task, status: str, reason: str | None
) -> Message:
    if status == "fired":
        return msg(
            "🚀 Drop fired: {voucher} is now distributed in live session #{session} ({task}).",
            voucher=html(label),
            session=str(session_id),
            task=task_words(task),
        )
    return msg(
        "⚠️ Drop failed: {voucher} was due in live session #{session} ({task}), but {reason}.",
        voucher=html(label),
        session=str(session_id),
        task=task_words(task),
        reason=drop_reason(reason),
    )


def sellout_text(
    v: Voucher,
    minutes: int,
    rate_tenths: int,
    remaining: int,
    session_id: int,
    host: Account | None,
) -> Message:
    return msg(
        "⏳ {voucher} will sell out in about {minutes} min at the current rate ({rate} "
        "claims/min, {remaining} left) in live session #{session} of {account}.",
        voucher=html(voucher_label(v)),
        minutes=minutes,
        rate=tenths(rate_tenths),
        remaining=remaining,
        session=str(session_id),
        account=account_label(host),
    )


def ask_more_text(
    by: Account | None, name: str, voucher_id: int, remaining: int, total: int
) -> Message:
    return msg(
        "🙋 {account} asks for more of {voucher}: {remaining} of {total} left.",
        account=account_label(by),
        voucher=html(named_voucher(name, voucher_id)),
        remaining=remaining,
        total=total,
    )


async def announce_opened(session: AsyncSession, shop: Shop, v: Voucher, now: datetime) -> bool:
    """R-s1's "Claim period opened", now, if the schedule has not announced it yet: whatever
    happens to an ongoing voucher first (a distribution, R-n1) must not reach the team before
    the news that its claim period opened. The effect ledger makes it once, whoever is first."""
    if not v.starts_at <= now < v.ends_at:
        return False
    key = effect_key(row_id(v), "opened")
    if not await repo.record_effect(session, key, now):
        return False
    from core import events  # R-ev1 (events builds on the same rows)

    await events.emit(
        session,
        row_id(shop),
        events.EventType.VOUCHER_CLAIM_PERIOD_OPENED,
        events.voucher_data(v),
        now,
    )
    await notify(
        session,
        shop,
        event_key=key,
        kind="claim_period_opened",
        text=opened_text(shop, v),
        now=now,
    )
    return True


# --- lucky draws (R-draw1–3) ----------------------------------------------------------------


def webhook_disabled_text(url: str) -> Message:
    return msg(
        "⚠️ Webhooks to {url} are paused: that address has not accepted them for 3 days. "
        "Your platform team can fix the receiver and turn it back on.",
        url=url,
    )
