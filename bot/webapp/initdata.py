"""R-app1: Telegram's `initData`, checked exactly as Telegram's Mini App documentation says.

- the secret key is HMAC-SHA256 of the bot token with the key `"WebAppData"`;
- the data-check-string is every received field except `hash`, as `key=value` (values
  URL-decoded), sorted by key and joined with line feeds;
- `hash` must equal the hex HMAC-SHA256 of the data-check-string under the secret key,
  compared in constant time;
- `auth_date` (Unix seconds) may be at most an hour old (`MAX_AGE`).

`sign` builds a correctly signed `initData` (tests, the screenshot command, a local try-out).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import parse_qsl, urlencode

MAX_AGE = timedelta(hours=1)
# A client clock a little ahead of ours is tolerated; an auth_date further in the future is not.
FUTURE_SKEW = timedelta(minutes=5)
MAX_LENGTH = 8192


class InitDataRefusal(StrEnum):
    """Why a call's `initData` was refused (the `code` of the page's 401 answer)."""

    MISSING = "init_data_missing"
    MALFORMED = "init_data_malformed"
    FORGED = "init_data_forged"  # the hash does not match: not signed with our bot's token
    STALE = "init_data_stale"  # auth_date more than MAX_AGE ago (or far in the future)


class InitDataError(Exception):
    def __init__(self, refusal: InitDataRefusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True)
class WebAppUser:
    id: int
    first_name: str
    language_code: str | None = None
    username: str | None = None


@dataclass(frozen=True)
class InitData:
    user: WebAppUser
    auth_date: datetime
    fields: Mapping[str, str]


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: Mapping[str, str]) -> str:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")


def signature(fields: Mapping[str, str], bot_token: str) -> str:
    dcs = data_check_string(fields).encode()
    return hmac.new(secret_key(bot_token), dcs, hashlib.sha256).hexdigest()


def _fields(raw: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError as exc:
        raise InitDataError(InitDataRefusal.MALFORMED) from exc
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a key twice: which one was signed?
        raise InitDataError(InitDataRefusal.MALFORMED)
    return fields


def validate(raw: str | None, bot_token: str, now: datetime) -> InitData:
    """The `initData` query string of a call, checked; raises InitDataError."""
    if not raw:
        raise InitDataError(InitDataRefusal.MISSING)
    if len(raw) > MAX_LENGTH:
        raise InitDataError(InitDataRefusal.MALFORMED)
    fields = _fields(raw)
    received = fields.get("hash", "")
    expected = signature(fields, bot_token)
    if not hmac.compare_digest(received.encode(), expected.encode()):
        raise InitDataError(InitDataRefusal.FORGED)
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
        who = WebAppUser(
            id=int(user["id"]),
            first_name=str(user.get("first_name", "")),
            language_code=user.get("language_code"),
            username=user.get("username"),
        )
    except (KeyError, ValueError, TypeError, OverflowError, OSError) as exc:
        raise InitDataError(InitDataRefusal.MALFORMED) from exc
    if now - auth_date > MAX_AGE or auth_date - now > FUTURE_SKEW:
        raise InitDataError(InitDataRefusal.STALE)
    return InitData(who, auth_date, fields)


def sign(
    user: Mapping[str, object],
    bot_token: str,
    auth_date: datetime,
    **extra: str,
) -> str:
    """A correctly signed `initData` for `user` (Telegram's WebAppUser fields)."""
    fields = {
        "auth_date": str(int(auth_date.timestamp())),
        "user": json.dumps(dict(user), separators=(",", ":"), ensure_ascii=False),
        **extra,
    }
    fields["hash"] = signature(fields, bot_token)
    return urlencode(fields)
