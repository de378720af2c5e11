"""What the host reads about issuing and drops, shared by /issue (direct and the flow), the
drop flow and /drops: the confirmation of an issue or a lucky draw (R-draw1) and a drop's line."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import N_, _, clock, ngettext, number
from bot.telegram.render import esc, task, task_words, warning_text
from core.views import DistributionView, DropView, ShopView, VoucherView

LATER_CHOICES = (1, 2, 5, 10, 15, 30)
WHEN_HELP = N_(
    "Tap a button, or send a time in your shop's time zone like <code>14:30</code> or "
    "<code>2:30pm</code>, "
    "or <code>in 45 min</code>: from 1 minute to 6 hours from now."
)


def in_minutes(n: int) -> str:
    return ngettext("in {n} min", "in {n} min", n).format(n=number(n))


def drop_line(drop: DropView, timezone: str, now: datetime, name: str) -> str:
    minutes = max(1, int((drop.at - now).total_seconds() + 59) // 60)
    local = clock(drop.at, timezone)  # one way to write a time per language (R-l10n1)
    return (
        f"⏰ {local} ({in_minutes(minutes)}): <b>{esc(name)}</b> (#{drop.voucher_id}) · "
        f"{esc(task_words(drop.task))}"
    )


def issued_text(distribution: DistributionView, voucher: VoucherView, shop: ShopView) -> str:
    lines = [
        _(
            "✅ Issued <b>{name}</b> (#{id}) in live session #{session}: <b>{task}</b>. "
            "{remaining} of {total} left."
        ).format(
            name=esc(voucher.name),
            id=voucher.id,
            session=distribution.session_id,
            task=task(distribution.task),
            remaining=number(voucher.remaining),
            total=number(voucher.total_quantity),
        ),
        _("Stop it with /stop {id} (to change the task, stop it and issue it again).").format(
            id=voucher.id
        ),
    ]
    limit = {"per_customer_limit": voucher.per_customer_limit}
    lines += [
        f"⚠️ {warning_text(warning.code, {**limit, **warning.data}, shop)}"
        for warning in distribution.warnings
    ]
    return "\n".join(lines)


def draw_opened_text(distribution: DistributionView, voucher: VoucherView, shop: ShopView) -> str:
    """R-draw1: the host's confirmation, with when entries close in the shop's time."""
    closes = distribution.closes_at
    return "\n".join(
        [
            _(
                "🎁 Lucky draw of <b>{name}</b> (#{id}) is open in live session #{session}: "
                "{winners}, viewers enter by doing the task (<b>{task}</b>)."
            ).format(
                name=esc(voucher.name),
                id=voucher.id,
                session=distribution.session_id,
                winners=ngettext("{n} winner", "{n} winners", distribution.winners or 0).format(
                    n=number(distribution.winners or 0)
                ),
                task=task(distribution.task),
            ),
            _("Entries close at {time}; the winners get the voucher then.").format(
                time=clock(closes, shop.timezone) if closes else "—"
            ),
            _("Stopping it before then cancels the draw: nobody wins."),
        ]
    )
