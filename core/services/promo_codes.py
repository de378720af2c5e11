"""Promo codes (R-code): which voucher a code names, and guessing slowed down.

Wrong codes are counted per minute in the database (`CodeGuess`), per buyer of a shop and per
API key, so every process counts the same guesses: more than `WRONG_CODES_PER_BUYER` a minute
from one buyer, or `WRONG_CODES_PER_KEY` from one key, answer `TooManyGuesses` (429 with
`Retry-After` in the API) until the minute is over. A right code is never counted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.clock import Clock
from core.errors import NotFound, VoucherbotError
from core.ids import row_id
from core.rules.claim_outcomes import RefusalCode
from core.rules.targeting import WRONG_CODES_PER_BUYER, WRONG_CODES_PER_KEY, normal_code
from storage import targeting_queries as q
from storage.db import Database


class TooManyGuesses(VoucherbotError):
    """R-code: too many wrong codes this minute; `retry_after` seconds until the next."""

    code = "too_many_wrong_codes"

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many wrong promo codes; try again later.", retry_after=retry_after)
        self.retry_after = retry_after


def _minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def _whos(shop_id: int, buyer_id: str, key_id: str | None) -> tuple[str, str | None]:
    return f"b:{shop_id}:{buyer_id}", (f"k:{key_id}" if key_id else None)


async def voucher_of_code(
    db: Database,
    clock: Clock,
    shop_id: int,
    raw_code: object,
    buyer_id: str,
    key_id: str | None,
) -> int:
    """The id of the shop's upcoming or ongoing voucher with this code (case-insensitive),
    or `code_not_found` (counted), or `TooManyGuesses` when this buyer or key guessed too
    often this minute (before the code is even looked at)."""
    now = clock.now()
    minute = _minute(now)
    buyer_who, key_who = _whos(shop_id, buyer_id, key_id)
    whos = [buyer_who] + ([key_who] if key_who else [])
    async with db.read() as session:
        wrong = await q.wrong_guesses(session, whos, minute)
    if _over(wrong, buyer_who, key_who, 0):
        raise TooManyGuesses(_seconds_left(now, minute))
    code = normal_code(raw_code)
    if code is not None:
        async with db.read() as session:
            voucher = await q.voucher_with_code(session, shop_id, code, now)
        if voucher is not None and voucher.kind == "regular":
            return row_id(voucher)
    async with db.write() as session:
        counted = await q.count_wrong_guess(session, whos, minute)
        await q.forget_guesses_before(session, whos, minute - timedelta(minutes=5))
    # Counted first, judged after: of concurrent wrong guesses (in any process), exactly the
    # first 10 of the minute answer code_not_found; the rest already answer 429.
    if _over(counted, buyer_who, key_who, 1):
        raise TooManyGuesses(_seconds_left(now, minute))
    raise NotFound("No voucher has this promo code.", code=RefusalCode.CODE_NOT_FOUND)


def _over(counts: dict[str, int], buyer_who: str, key_who: str | None, this: int) -> bool:
    """Whether the buyer or the key is past its allowance (`this`: the guess just counted)."""
    return counts.get(buyer_who, 0) - this >= WRONG_CODES_PER_BUYER or (
        key_who is not None and counts.get(key_who, 0) - this >= WRONG_CODES_PER_KEY
    )


def _seconds_left(now: datetime, minute: datetime) -> int:
    left = (minute + timedelta(minutes=1) - now).total_seconds()
    return max(1, int(left + 0.999))
