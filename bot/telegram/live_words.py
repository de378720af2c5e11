"""What the host reads about issuing and drops, shared by /issue (direct and the flow), the
drop flow and /drops: the confirmation of an issue or a lucky draw (R-draw1) and a drop's line."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import N_, _, ngettext, number
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


def drop_line(d: DropView, timezone: str, now: datetime, name: str) -> str:
    minutes = max(1, int((d.at - now).total_seconds() + 59) // 60)
    local = d.at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
    return (
        f"⏰ {local} ({in_minutes(minutes)}): <b>{esc(name)}</b> (#{d.voucher_id}) · "
        f"{esc(task_words(d.task))}"
    )


def issued_text(d: DistributionView, v: VoucherView, shop: ShopView) -> str:
    lines = [
        _(
            "✅ Issued <b>{name}</b> (#{id}) in live session #{session}: <b>{task}</b>. "
            "{remaining} of {total} left."
        ).format(
            name=esc(v.name),
            id=v.id,
            session=d.session_id,
            task=task(d.task),
            remaining=number(v.remaining),
            total=number(v.total_quantity),
        ),
        _("Stop it with /stop {id} (to change the task, stop it and issue it again).").format(
            id=v.id
        ),
    ]
    lines += [
        f"⚠️ {warning_text(w.code, {'per_customer_limit': v.per_customer_limit, **w.data}, shop)}"
        for w in d.warnings
    ]
    return "\n".join(lines)


def draw_opened_text(d: DistributionView, v: VoucherView, shop: ShopView) -> str:
    """R-draw1: the host's confirmation, with when entries close in the shop's time."""
    closes = d.closes_at.astimezone(ZoneInfo(shop.timezone)) if d.closes_at else None
    return "\n".join(
        [
            _(
                "🎁 Lucky draw of <b>{name}</b> (#{id}) is open in live session #{session}: "
                "{winners}, viewers enter by doing the task (<b>{task}</b>)."
            ).format(
                name=esc(v.name),
                id=v.id,
                session=d.session_id,
                winners=ngettext("{n} winner", "{n} winners", d.winners or 0).format(
                    n=number(d.winners or 0)
                ),
                task=task(d.task),
            ),
            _("Entries close at {time}; the winners get the voucher then.").format(
                time=closes.strftime("%H:%M") if closes else "—"
            ),
            _("Stopping it before then cancels the draw: nobody wins."),
        ]
    )
