"""The stable refusal codes of the rules, one `StrEnum` per area, each code defined once.

The API returns them as problem `code`s and the bot words each one (bot/telegram/wording.py
`REFUSALS`, keyed by these members). They are `StrEnum`s, so they compare and serialize as
the strings the API documents. The claim path's codes are `core.rules.claim_outcomes.
RefusalCode` (R-c1), the draws' `core.rules.draws.DrawCode` (R-draw1–5); a code shared with
them (`sold_out`, `limit_reached`, …) is theirs, not repeated here.
"""

from __future__ import annotations

from enum import StrEnum


class GeneralCode(StrEnum):
    """The codes of the error kinds themselves (`core.errors`), worded by kind."""

    ERROR = "error"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    VALIDATION_FAILED = "validation_failed"


class ShopCode(StrEnum):
    SHOP_NOT_FOUND = "shop_not_found"
    CURRENCY_LOCKED = "currency_locked"  # params: currency


class AccountCode(StrEnum):
    """Accounts, invites and the team's chats with the bot."""

    ACCOUNT_NOT_FOUND = "account_not_found"
    ROLE_FULL = "role_full"  # params: role
    INVITE_NOT_FOUND = "invite_not_found"
    INVITE_USED = "invite_used"
    INVITE_EXPIRED = "invite_expired"
    ALREADY_IN_SHOP = "already_in_shop"
    CANNOT_UNLINK_SELLER = "cannot_unlink_seller"
    HANDLE_TAKEN = "handle_taken"
    NO_SELLER_CHAT = "no_seller_chat"
    SELLER_BLOCKED_BOT = "seller_blocked_bot"
    NOT_MEMBER = "not_member"  # the Mini App: a person who belongs to no shop


class VoucherCode(StrEnum):
    """The catalog: vouchers (R-v8, R-v10, R-code, R-seg) and products."""

    EDIT_NOT_ALLOWED = "edit_not_allowed"  # params: status
    LOW_DISCOUNT_UNACKNOWLEDGED = "low_discount_unacknowledged"  # R-v8
    CODE_TAKEN = "code_taken"  # R-code; params: voucher_name
    NEW_CUSTOMERS_VOUCHER_EXISTS = "new_customers_voucher_exists"  # R-seg; params: voucher_name
    NO_BUDGET = "no_budget"  # R-budget: raising the budget of a voucher without one
    PRODUCT_NOT_FOUND = "product_not_found"
    PRODUCT_IN_USE = "product_in_use"


class LiveCode(StrEnum):
    """Live sessions, distributions, drops and overlays."""

    SESSION_ACTIVE = "session_active"
    SESSION_NOT_FOUND = "session_not_found"
    NO_ACTIVE_SESSION = "no_active_session"
    SESSION_ENDED = "session_ended"
    NOT_LIVE_VOUCHER = "not_live_voucher"
    NOT_DISTRIBUTABLE = "not_distributable"  # params: status
    DISTRIBUTION_ACTIVE = "distribution_active"
    DISTRIBUTION_NOT_FOUND = "distribution_not_found"
    DRAW_ONLY = "draw_only"  # a lucky draw is entered, not claimed
    DROP_NOT_FOUND = "drop_not_found"
    DROP_NOT_PENDING = "drop_not_pending"
    OVERLAY_NOT_FOUND = "overlay_not_found"


class OrderCode(StrEnum):
    """Buyers' claims and orders through the platform's API (checkout, R-c2)."""

    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    CLAIM_NOT_FOUND = "claim_not_found"
    CLAIM_NOT_USABLE = "claim_not_usable"
    CLAIM_CONTENTION = "claim_contention"
    ORDER_CONFLICT = "order_conflict"
    ORDER_NOT_FOUND = "order_not_found"


class IntegrationCode(StrEnum):
    """API keys, webhooks and the event log (R-ev1, R-ev2)."""

    API_KEY_NOT_FOUND = "api_key_not_found"
    ENDPOINT_NOT_FOUND = "endpoint_not_found"
    EVENT_NOT_FOUND = "event_not_found"
