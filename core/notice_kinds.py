"""Which team notices are time-critical, and how notices of one kind are told together
(issue 17 item 6, issue 25).

Telegram lets a bot post about 20 messages a minute to a group. When a chat's queue would hold a
notice longer than the sender's limit, the sender sends the `URGENT` kinds first and merges the
routine ones into one message per kind, headed by `merged_heading`. A team chat that comes back
after a long pause gets its old notices as one summary (`kept_summary`).
"""

from __future__ import annotations

from enum import StrEnum

from core.notifications import Message, msg, msg_n, seq


class NoticeKind(StrEnum):
    """The `kind` of outbox rows (storage.models.Notification.kind)."""

    LOW_DISCOUNT = "low_discount"
    CLAIM_PERIOD_OPENED = "claim_period_opened"
    CLAIM_PERIOD_CLOSED = "claim_period_closed"
    QUOTA_80 = "quota_80"
    SOLD_OUT = "sold_out"
    SELLOUT_SOON = "sellout_soon"
    DEACTIVATED = "deactivated"
    DISTRIBUTION_STARTED = "distribution_started"
    DISTRIBUTION_STOPPED = "distribution_stopped"
    ACCOUNT_LINKED = "account_linked"
    ACCOUNT_UNLINKED = "account_unlinked"
    SESSION_ENDED = "session_ended"
    DROP_SCHEDULED = "drop_scheduled"
    DROP_FIRED = "drop_fired"
    DROP_FAILED = "drop_failed"
    DRAW_OPENED = "draw_opened"
    DRAW_CANCELLED = "draw_cancelled"
    DRAW_RESULT = "draw_result"
    DRAW_RESULT_HOST = "draw_result_host"
    BUDGET_80 = "budget_80"
    BUDGET_SPENT = "budget_spent"
    WEBHOOK_DISABLED = "webhook_disabled"
    ASK_MORE = "ask_more"
    TEAM_CHAT_PAUSED = "team_chat_paused"
    SUMMARY = "summary"


# Sent ahead of everything else when a chat's queue is long: what a host must act on now.
URGENT = frozenset(
    {
        NoticeKind.SELLOUT_SOON,
        NoticeKind.SOLD_OUT,
        NoticeKind.DROP_FAILED,
        NoticeKind.DRAW_RESULT,
        NoticeKind.DRAW_RESULT_HOST,
        NoticeKind.BUDGET_SPENT,
        NoticeKind.WEBHOOK_DISABLED,
    }
)


def is_urgent(kind: str) -> bool:
    return kind in URGENT


# How `n` notices of a kind are counted ("3 claim periods opened"), with the language's plural;
# `kind_count` fills in `n`. Kinds not listed are counted as notices.
_COUNTED: dict[str, Message] = {
    NoticeKind.CLAIM_PERIOD_OPENED: msg_n("{n} claim period opened", "{n} claim periods opened", 0),
    NoticeKind.CLAIM_PERIOD_CLOSED: msg_n("{n} claim period closed", "{n} claim periods closed", 0),
    NoticeKind.QUOTA_80: msg_n("{n} voucher almost claimed", "{n} vouchers almost claimed", 0),
    NoticeKind.DISTRIBUTION_STARTED: msg_n(
        "{n} distribution started", "{n} distributions started", 0
    ),
    NoticeKind.DISTRIBUTION_STOPPED: msg_n(
        "{n} distribution stopped", "{n} distributions stopped", 0
    ),
    NoticeKind.DROP_SCHEDULED: msg_n("{n} drop scheduled", "{n} drops scheduled", 0),
    NoticeKind.DROP_FIRED: msg_n("{n} drop fired", "{n} drops fired", 0),
    NoticeKind.LOW_DISCOUNT: msg_n("{n} low discount warning", "{n} low discount warnings", 0),
    NoticeKind.DEACTIVATED: msg_n("{n} voucher deactivated", "{n} vouchers deactivated", 0),
}
_ANY_NOTICE = msg_n("{n} notice", "{n} notices", 0)


def kind_count(kind: str, n: int) -> Message:
    """ "3 claim periods opened": `n` notices of `kind`, with the language's plural."""
    return {**_COUNTED.get(kind, _ANY_NOTICE), "n": n, "p": {}}  # a copy: messages are data


def merged_heading(kind: str, n: int) -> Message:
    """The first line of `n` notices of one kind sent as one message."""
    return seq("📋 ", kind_count(kind, n), ":")


def kept_summary(counts: dict[str, int]) -> Message:
    """One message for the notices kept while the bot was out of the team chat, by kind."""
    total = sum(counts.values())
    lines: list[Message | str] = [
        msg_n(
            "📥 While I was out of this chat, {n} notice was kept. In short:",
            "📥 While I was out of this chat, {n} notices were kept. In short:",
            total,
        )
    ]
    lines += [seq("• ", kind_count(kind, n)) for kind, n in counts.items()]
    return seq(*lines, sep="\n")


def team_chat_paused_text(shop_name: str) -> Message:
    """To the seller in private: the bot is out of the team chat, and how to fix it."""
    return msg(
        "⚠️ I'm no longer in the team chat of <b>{shop}</b>, so team notices are kept, not "
        "sent. To fix it, add me back to the group and send /team there: I'll deliver what "
        "was kept.",
        shop=shop_name,
    )
