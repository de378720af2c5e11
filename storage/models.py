"""SQLModel tables of the voucher engine.

Money columns are integer minor units (R-money); instants are `UTCDateTime` (R-time).
Counters that the hot paths need (`Voucher.claimed`, `Voucher.redeemed`,
`VoucherBuyer.claims`) are kept in the same transactions that change them, so quota and
per-customer checks are single conditional updates instead of counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

# Imported for its tables: every table is registered on SQLModel.metadata with these.
from storage.analytics_models import ClaimBucket, OrderFact  # noqa: F401
from storage.api_models import IdempotencyRecord, RateWindow  # noqa: F401
from storage.types import UTCDateTime


def _instant(*, nullable: bool = False, index: bool = False) -> Any:
    """A UTC instant column. `Any`, like `sqlmodel.Field` itself, so it fits both the
    `datetime` and the `datetime | None` fields it declares."""
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Shop(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    currency: str = Field(default="USD", max_length=3)
    timezone: str = Field(default="UTC", max_length=64)
    team_chat_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = _instant()
    # The team chat's language, chosen by the seller (R-l10n1); one of bot/i18n.LANGUAGES.
    language: str = Field(default="en", max_length=8)
    # In a forum supergroup, the topic /team was sent in: every notice goes there (None: General).
    team_thread_id: int | None = Field(default=None, sa_type=BigInteger)
    # Set while the bot is out of the team chat (left, removed): notices are kept, not sent.
    team_paused_at: datetime | None = _instant(nullable=True)
    # R-seg: the segment windows, in days (shop settings; the defaults are the SPEC's).
    repeat_days: int = 30  # repeat_customers: a non-cancelled order in the last N days
    lapsed_active_days: int = 365  # lapsed_customers: an order in the last N days…
    lapsed_quiet_days: int = 90  # …and none in the last M days
    follower_days: int = 30  # new_followers: a counted new follow in the last N days


class BlockedChat(SQLModel, table=True):
    """A person who blocked the bot: notices to their private chat stop until they unblock it."""

    chat_id: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    blocked_at: datetime = _instant()


class UserLanguage(SQLModel, table=True):
    """A person's `/language` choice (R-l10n1), kept whether or not they belong to a shop."""

    telegram_user_id: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    language: str = Field(max_length=8)
    updated_at: datetime = _instant()


class Account(SQLModel, table=True):
    """A Telegram user (or a platform-only host) acting for a shop (R-acc1)."""

    __table_args__ = (
        # A Telegram user belongs to at most one shop while linked.
        Index(
            "ux_account_active_telegram_user",
            "telegram_user_id",
            unique=True,
            sqlite_where=text("unlinked_at IS NULL AND telegram_user_id IS NOT NULL"),
            postgresql_where=text("unlinked_at IS NULL AND telegram_user_id IS NOT NULL"),
        ),
        Index("ix_account_shop_handle", "shop_id", "platform_handle"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    role: str = Field(max_length=16)  # seller | official | marketing
    telegram_user_id: int | None = Field(default=None, sa_type=BigInteger)
    display_name: str | None = Field(default=None, max_length=128)
    platform_handle: str | None = Field(default=None, max_length=64)
    linked_at: datetime = _instant()
    unlinked_at: datetime | None = _instant(nullable=True)


class Invite(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    role: str = Field(max_length=16)
    token: str = Field(max_length=64, unique=True)
    created_by_account_id: int = Field(foreign_key="account.id")
    created_at: datetime = _instant()
    expires_at: datetime = _instant()
    used_at: datetime | None = _instant(nullable=True)
    used_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    # R-api3: an invite to an account the platform provisioned (None: a new account on accept)
    account_id: int | None = None


class ApiKey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    key_id: str = Field(max_length=32, unique=True)  # public part, shown beside the secret
    secret_hash: str = Field(max_length=128)
    created_at: datetime = _instant()
    revoked_at: datetime | None = _instant(nullable=True)


class Product(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("shop_id", "product_id", name="ux_product_shop_pid"),
        Index("ix_product_shop_category", "shop_id", "category"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    product_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    category: str = Field(default="", max_length=100)
    price: int = Field(sa_type=BigInteger)  # money columns are 64-bit (R-money)
    updated_at: datetime = _instant()


class Voucher(SQLModel, table=True):
    __table_args__ = (
        Index("ix_voucher_shop_starts", "shop_id", "starts_at"),
        Index("ix_voucher_ends", "ends_at"),
        Index("ix_voucher_shop_code", "shop_id", "code"),  # R-code: claim by code
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=8)  # regular | live
    discount_type: str = Field(max_length=8)  # amount | percent
    amount: int | None = Field(default=None, sa_type=BigInteger)
    percent: int | None = None
    max_discount: int | None = Field(default=None, sa_type=BigInteger)
    min_spend: int = Field(default=0, sa_type=BigInteger)
    scope: str = Field(default="shop", max_length=8)  # shop | products
    total_quantity: int
    claimed: int = 0
    redeemed: int = 0
    per_customer_limit: int = 1
    starts_at: datetime = _instant()
    ends_at: datetime = _instant()
    redeem_until: datetime | None = _instant(nullable=True)  # fixed; None when valid_days is set
    valid_days: int | None = None
    low_discount_warning: bool = False
    created_at: datetime = _instant()
    created_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    deactivated_at: datetime | None = _instant(nullable=True)
    deactivated_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    updated_at: datetime = _instant()
    # R-seg: all | new_customers | repeat_customers | lapsed_customers | new_followers
    segment: str = Field(default="all", max_length=20)
    code: str | None = Field(default=None, max_length=12)  # R-code, stored upper-case
    # R-budget: the cap, what redeemed claims spent, what open claims hold, and what one
    # claim holds (amount or max_discount; 0 without a budget). spent + reserved <= budget.
    budget: int | None = Field(default=None, sa_type=BigInteger)
    budget_hold: int = Field(default=0, sa_type=BigInteger)
    budget_spent: int = Field(default=0, sa_type=BigInteger)
    budget_reserved: int = Field(default=0, sa_type=BigInteger)
    redemption_limit: int | None = None  # R-redeem: at most this many non-cancelled orders


class VoucherProduct(SQLModel, table=True):
    voucher_id: int = Field(foreign_key="voucher.id", primary_key=True)
    product_id: str = Field(max_length=64, primary_key=True)


class VoucherBuyer(SQLModel, table=True):
    """Claims made by one buyer of one voucher: the per-customer limit counter (R-v5)."""

    voucher_id: int = Field(foreign_key="voucher.id", primary_key=True)
    buyer_id: str = Field(max_length=64, primary_key=True)
    claims: int = 0


class LiveSession(SQLModel, table=True):
    __table_args__ = (
        # R-live1: an account has at most one active session.
        Index(
            "ux_live_session_active_account",
            "account_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_live_session_shop_started", "shop_id", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    account_id: int = Field(foreign_key="account.id")
    started_at: datetime = _instant()
    ended_at: datetime | None = _instant(nullable=True)


class WatchRecord(SQLModel, table=True):
    session_id: int = Field(foreign_key="livesession.id", primary_key=True)
    buyer_id: str = Field(max_length=64, primary_key=True)
    watched_seconds: int = 0
    updated_at: datetime = _instant()


class FollowEvent(SQLModel, table=True):
    """Every follow/unfollow the platform reported; `counted` marks a new follow (R-live2)."""

    __table_args__ = (
        Index("ix_follow_event_lookup", "shop_id", "host_handle", "buyer_id", "at"),
        Index("ix_follow_event_buyer", "shop_id", "buyer_id", "counted", "at"),  # R-seg
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    host_handle: str = Field(max_length=64)
    buyer_id: str = Field(max_length=64)
    action: str = Field(max_length=8)  # follow | unfollow
    at: datetime = _instant()
    counted: bool = False


class Distribution(SQLModel, table=True):
    __table_args__ = (
        # R-live3: one active distribution per voucher.
        Index(
            "ux_distribution_active_voucher",
            "voucher_id",
            unique=True,
            sqlite_where=text("stopped_at IS NULL"),
            postgresql_where=text("stopped_at IS NULL"),
        ),
        Index("ix_distribution_session", "session_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    voucher_id: int = Field(foreign_key="voucher.id")
    session_id: int = Field(foreign_key="livesession.id")
    account_id: int = Field(foreign_key="account.id")
    task_type: str = Field(max_length=8)  # watch | follow | none
    task_minutes: int | None = None
    started_at: datetime = _instant()
    stopped_at: datetime | None = _instant(nullable=True)
    stop_reason: str | None = Field(default=None, max_length=32)


class Claim(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("shop_id", "idempotency_key", name="ux_claim_idempotency"),
        Index("ix_claim_buyer", "shop_id", "buyer_id", "status"),
        Index("ix_claim_voucher_status", "voucher_id", "status"),
        Index("ix_claim_status_redeem_until", "status", "redeem_until"),
        Index("ix_claim_shop_claimed_at", "shop_id", "claimed_at"),
        Index("ix_claim_session", "session_id"),
        # R-adv3 reads the recent claims of one distribution.
        Index("ix_claim_distribution_claimed", "distribution_id", "claimed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    voucher_id: int = Field(foreign_key="voucher.id")
    buyer_id: str = Field(max_length=64)
    session_id: int | None = Field(default=None, foreign_key="livesession.id")
    distribution_id: int | None = Field(default=None, foreign_key="distribution.id")
    account_id: int | None = Field(default=None, foreign_key="account.id")
    claimed_at: datetime = _instant()
    redeem_until: datetime = _instant()
    status: str = Field(default="claimed", max_length=10)  # claimed|redeemed|expired|void
    order_ref: int | None = Field(default=None)  # ShopOrder.id while redeemed
    idempotency_key: str | None = Field(default=None, max_length=255)
    # R-budget: what this claim holds of its voucher's budget while claimed.
    reserved: int = Field(default=0, sa_type=BigInteger)


class ShopOrder(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("shop_id", "order_id", name="ux_order_shop_oid"),
        Index("ix_order_shop_created", "shop_id", "created_at"),
        Index("ix_order_voucher", "voucher_id", "status"),
        # R-a6: the AOV reads only this index (shop, status, date, total), not the order rows.
        Index("ix_order_shop_status_created_total", "shop_id", "status", "created_at", "total"),
        # R-seg: a buyer's orders in a shop, newest first, without reading the rows.
        Index("ix_order_shop_buyer_created", "shop_id", "buyer_id", "created_at", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    order_id: str = Field(max_length=64)
    buyer_id: str = Field(max_length=64)
    subtotal: int = Field(sa_type=BigInteger)
    discount: int = Field(default=0, sa_type=BigInteger)
    total: int = Field(sa_type=BigInteger)
    voucher_id: int | None = Field(default=None, foreign_key="voucher.id")
    claim_id: int | None = Field(default=None, foreign_key="claim.id")
    status: str = Field(default="placed", max_length=10)  # placed | cancelled
    body_hash: str = Field(max_length=64)
    created_at: datetime = _instant()
    cancelled_at: datetime | None = _instant(nullable=True)


class OrderLine(SQLModel, table=True):
    order_ref: int = Field(foreign_key="shoporder.id", primary_key=True)
    line_no: int = Field(primary_key=True)
    product_id: str = Field(max_length=64)
    unit_price: int = Field(sa_type=BigInteger)
    quantity: int


class Notification(SQLModel, table=True):
    """The outbox (R-n2): written in the transaction of the change, delivered afterwards."""

    __table_args__ = (Index("ix_notification_pending", "sent_at", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    event_key: str = Field(max_length=200, unique=True)  # one message per event, ever
    kind: str = Field(max_length=32)
    chat_id: int = Field(sa_type=BigInteger)
    text: str = Field(sa_column=Column(Text, nullable=False))
    buttons: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _instant()
    next_attempt_at: datetime = _instant()
    attempts: int = 0
    sent_at: datetime | None = _instant(nullable=True)
    failed_at: datetime | None = _instant(nullable=True)
    last_error: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))


class AppliedEffect(SQLModel, table=True):
    """Scheduled effects already applied (R-s2): the key's uniqueness makes them run once."""

    key: str = Field(max_length=200, primary_key=True)
    applied_at: datetime = _instant()


class BotConversation(SQLModel, table=True):
    """Guided-flow state of the Telegram bot, persisted so a flow survives a restart (R-b2)."""

    name: str = Field(max_length=64, primary_key=True)
    key: str = Field(max_length=128, primary_key=True)  # JSON of PTB's conversation key
    state: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    updated_at: datetime = _instant()


class BotData(SQLModel, table=True):
    """PTB's user_data / chat_data / bot_data / callback_data, as JSON documents."""

    kind: str = Field(max_length=16, primary_key=True)  # user | chat | bot | callback
    ref: str = Field(max_length=64, primary_key=True)
    data: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = _instant()


# --- timed drops and live panels (R-drop1, R-live5) -----------------------------------------


class TimedDrop(SQLModel, table=True):
    """A distribution scheduled for a later moment of a live session (R-drop1).

    `status` moves once, from `pending` to `fired`, `failed` or `cancelled`, by a conditional
    update: that transition is what makes a drop fire once (R-s2)."""

    __table_args__ = (
        Index("ix_timeddrop_status_at", "status", "at"),
        Index("ix_timeddrop_session", "session_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    session_id: int = Field(foreign_key="livesession.id")
    voucher_id: int = Field(foreign_key="voucher.id")
    account_id: int | None = Field(default=None, foreign_key="account.id")  # who scheduled it
    task_type: str = Field(max_length=8)  # watch | follow | none
    task_minutes: int | None = None
    mode: str = Field(default="first_come", max_length=16)  # first_come | draw
    winners: int | None = None
    entry_minutes: int | None = None
    at: datetime = _instant()
    status: str = Field(default="pending", max_length=10)  # pending|fired|failed|cancelled
    distribution_id: int | None = Field(default=None, foreign_key="distribution.id")
    reason: str | None = Field(default=None, max_length=32)
    created_at: datetime = _instant()
    settled_at: datetime | None = _instant(nullable=True)


class LivePanel(SQLModel, table=True):
    """The live panel message of a session (R-live5): where it is, so the leader keeps
    editing the same message after a restart or a fail-over."""

    session_id: int = Field(foreign_key="livesession.id", primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    chat_id: int = Field(sa_type=BigInteger)
    message_id: int
    text_hash: str | None = Field(default=None, max_length=64)  # what it shows now
    posted_at: datetime = _instant()
    edited_at: datetime = _instant()
    closed_at: datetime | None = _instant(nullable=True)  # turned into the summary


# --- lucky draws (R-draw1–R-draw3) ----------------------------------------------------------


class Draw(SQLModel, table=True):
    """A distribution in `draw` mode: its entry window, its seed and, once drawn, the result.
    `seed` stays secret until the close; `commitment` (its SHA-256) is public from the start."""

    __table_args__ = (
        Index("ix_draw_status_closes", "status", "closes_at"),
        Index("ix_draw_shop_voucher", "shop_id", "voucher_id"),
        Index("ix_draw_shop_session", "shop_id", "session_id"),
    )

    distribution_id: int = Field(foreign_key="distribution.id", primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    voucher_id: int = Field(foreign_key="voucher.id")
    session_id: int = Field(foreign_key="livesession.id")
    winners: int
    entry_minutes: int
    opened_at: datetime = _instant()
    closes_at: datetime = _instant()
    seed: str = Field(max_length=64)  # hex
    commitment: str = Field(max_length=64)  # hex sha256(seed)
    status: str = Field(default="open", max_length=10)  # open|drawing|drawn|cancelled
    lease_until: datetime | None = _instant(nullable=True)  # while one process draws
    drawn_at: datetime | None = _instant(nullable=True)
    entries: int = 0  # entrants, counted at the close
    claims_made: int = 0
    # JSON [{"buyer_id", "reason"}]: winners in draw order passed over (limit, sold out, …)
    skipped: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    cancel_reason: str | None = Field(default=None, max_length=32)
    # R-draw4: the drand round fixed at open (None: a seed-only draw, DRAND_URLS=off) and, once
    # fetched and verified, its signature and randomness. `beacon_status`: pending (not yet
    # fetched) | verified | missing (no mirror answered in time: drawn from the seed alone).
    beacon_chain: str | None = Field(default=None, max_length=64)
    beacon_round: int | None = Field(default=None, sa_type=BigInteger)
    beacon_status: str | None = Field(default=None, max_length=10)
    beacon_signature: str | None = Field(default=None, max_length=96)
    beacon_randomness: str | None = Field(default=None, max_length=64)
    beacon_retry_at: datetime | None = _instant(nullable=True)


class DrawEntry(SQLModel, table=True):
    """One entry per buyer per draw (R-draw1)."""

    distribution_id: int = Field(foreign_key="draw.distribution_id", primary_key=True)
    buyer_id: str = Field(max_length=64, primary_key=True)
    entered_at: datetime = _instant()


class CodeGuess(SQLModel, table=True):
    """Wrong promo codes (R-code) counted per minute and per who (a buyer of a shop, or an API
    key), in the database so every process counts the same guesses."""

    who: str = Field(max_length=120, primary_key=True)
    minute: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    wrong: int = 0


# --- events, webhooks and the overlay (R-ev1–R-ev4) -----------------------------------------


class EventCounter(SQLModel, table=True):
    """The last `seq` given to an event of a shop (R-ev1). Taken by an UPDATE in the
    transaction of the change: the row lock orders the shop's writers on PostgreSQL (SQLite
    has one writer), and a rollback gives the number back, so `seq` has no gaps."""

    shop_id: int = Field(foreign_key="shop.id", primary_key=True)
    last_seq: int = Field(default=0, sa_type=BigInteger)


class Event(SQLModel, table=True):
    """One event of the log (R-ev1): the envelope `{id, seq, type, created_at, data}`."""

    __table_args__ = (
        UniqueConstraint("shop_id", "seq", name="ux_event_shop_seq"),
        Index("ix_event_session_seq", "live_session_id", "seq"),
        Index("ix_event_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=40, unique=True)  # evt_…
    shop_id: int = Field(foreign_key="shop.id")
    seq: int = Field(sa_type=BigInteger)
    type: str = Field(max_length=40)
    live_session_id: int | None = None  # the live session it belongs to, for streams (R-ev3)
    once_key: str | None = Field(default=None, max_length=200, unique=True)
    created_at: datetime = _instant()
    data: str = Field(sa_column=Column(Text, nullable=False))


class WebhookEndpoint(SQLModel, table=True):
    """A platform's webhook receiver (R-ev2). `cursor_seq` is the last event of the shop
    fanned out to it; `old_secret` keeps signing until `old_secret_until` after a rotation."""

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    url: str = Field(max_length=2000)
    description: str | None = Field(default=None, max_length=200)
    types: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON list
    secret: str = Field(max_length=100)
    old_secret: str | None = Field(default=None, max_length=100)
    old_secret_until: datetime | None = _instant(nullable=True)
    disabled_at: datetime | None = _instant(nullable=True)
    disabled_reason: str | None = Field(default=None, max_length=16)  # manual | failing
    failing_since: datetime | None = _instant(nullable=True)
    cursor_seq: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime = _instant()
    updated_at: datetime = _instant()


class WebhookDelivery(SQLModel, table=True):
    """One event to one endpoint (R-ev2). Due while `delivered_at` and `failed_at` are NULL
    and `next_attempt_at` has come and no lease runs; a lease (`lease_until`, past the
    attempt's timeout) is taken by a conditional UPDATE before an attempt, so no two attempts
    of it are ever in flight, across processes and restarts."""

    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="ux_webhook_delivery"),
        Index("ix_webhook_delivery_due", "delivered_at", "failed_at", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    endpoint_id: int = Field(foreign_key="webhookendpoint.id")
    event_id: int = Field(foreign_key="event.id")
    attempts: int = 0
    next_attempt_at: datetime = _instant()
    lease_until: datetime | None = _instant(nullable=True)  # an attempt is in flight until
    delivered_at: datetime | None = _instant(nullable=True)
    failed_at: datetime | None = _instant(nullable=True)
    created_at: datetime = _instant()


class WebhookAttempt(SQLModel, table=True):
    """The attempts log of an endpoint (R-ev2)."""

    __table_args__ = (Index("ix_webhook_attempt_endpoint", "endpoint_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhookendpoint.id")
    event_id: int = Field(foreign_key="event.id")
    at: datetime = _instant()
    status: int | None = None  # the HTTP status, None when no answer came
    latency_ms: int = 0
    error: str | None = Field(default=None, max_length=300)


class OverlayToken(SQLModel, table=True):
    """A read-only link to an account's live sessions for a stream overlay (R-ev4)."""

    token: str = Field(max_length=64, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    account_id: int = Field(foreign_key="account.id", index=True)
    created_at: datetime = _instant()
    revoked_at: datetime | None = _instant(nullable=True)


class ChangeNote(SQLModel, table=True):
    """SQLite's record of targeted changes (R-scale1): a buyer's new order or follow, which
    every process's R-seg memory forgets for that one buyer. The database-wide change counter
    would make every process forget every cache at each order. PostgreSQL announces the same
    topics with NOTIFY and leaves this table empty. Only the latest notes are kept: a process
    that missed pruned ones forgets everything (`storage.changes.SqliteChangeFeed`)."""

    __table_args__ = {"sqlite_autoincrement": True}  # seqs never reused, so a gap means pruned

    seq: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=200)
