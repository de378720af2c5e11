"""What the provisioning routes answer (R-api3): the shop, its segment windows (R-seg), and a
provisioned account with its invite."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from bot.http.outputs import AccountOut, Out
from core.rules.targeting import SegmentWindows


class ShopOut(Out):
    id: int
    name: str
    currency: str = Field(description="ISO 4217 code; every amount is in its minor units.")
    exponent: int = Field(description="Minor units per major unit, as a power of ten.")
    timezone: str = Field(description="IANA time zone: how people in the shop read times.")
    language: str = Field(description="The team chat's language.")
    team_chat_set: bool


class SegmentWindowsOut(Out):
    """R-seg: the windows, in days, by which the shop's buyers fall in segments at claim time."""

    repeat_days: int = Field(
        description="`repeat_customers`: a non-cancelled order in the last this many days."
    )
    lapsed_active_days: int = Field(
        description="`lapsed_customers`: an order in the last this many days…"
    )
    lapsed_quiet_days: int = Field(description="…and none in the last this many days.")
    follower_days: int = Field(
        description="`new_followers`: a counted new follow in the last this many days."
    )


def windows_out(w: SegmentWindows) -> SegmentWindowsOut:
    return SegmentWindowsOut(
        repeat_days=w.repeat_days,
        lapsed_active_days=w.lapsed_active_days,
        lapsed_quiet_days=w.lapsed_quiet_days,
        follower_days=w.follower_days,
    )


class InviteOut(Out):
    token: str = Field(description="Sent to the bot as `/start <token>` by the person.")
    expires_at: datetime
    link: str | None = Field(
        description="`https://t.me/<bot>?start=<token>` for the person to open; null when the "
        "server does not know the bot's username (TELEGRAM_BOT_USERNAME): send the token."
    )


class ProvisionedOut(Out):
    account: AccountOut
    invite: InviteOut
