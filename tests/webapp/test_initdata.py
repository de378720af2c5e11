"""R-app1: initData is checked exactly as Telegram's Mini App documentation says."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, urlencode

import pytest

from bot.webapp.initdata import (
    InitDataError,
    InitDataRefusal,
    data_check_string,
    sign,
    validate,
)

TOKEN = "7342037359:AAHI25ES9xCOMPWYWjSpe9eF4wBC4aYPsc0"  # a made-up token of the right shape
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
USER = {"id": 279058397, "first_name": "Vladislav", "language_code": "id", "username": "vd"}


def refusal(raw: str | None, token: str = TOKEN, now: datetime = NOW) -> InitDataRefusal:
    with pytest.raises(InitDataError) as caught:
        validate(raw, token, now)
    return caught.value.refusal


def test_r_app1_signed_as_the_docs_say_is_accepted() -> None:
    # Built by hand, step by step as Telegram's documentation describes, not with `sign`.
    user = json.dumps(USER, separators=(",", ":"))
    fields = {"query_id": "AAHdF6IQAAAAAN0XohDhrOrc", "user": user, "auth_date": "1780315200"}
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    raw = "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items())

    data = validate(raw, TOKEN, datetime.fromtimestamp(1780315200 + 60, UTC))

    assert data.user.id == 279058397
    assert data.user.language_code == "id"
    assert data.auth_date == datetime.fromtimestamp(1780315200, UTC)


def test_r_app1_data_check_string_is_sorted_lines_without_hash() -> None:
    fields = {"user": "{}", "hash": "x", "auth_date": "1", "query_id": "q", "signature": "s"}
    assert data_check_string(fields) == "auth_date=1\nquery_id=q\nsignature=s\nuser={}"


def test_r_app1_sign_round_trips_with_decoded_values() -> None:
    raw = sign(USER | {"first_name": "Siti & Co=1"}, TOKEN, NOW, query_id="Q")
    assert validate(raw, TOKEN, NOW).user.first_name == "Siti & Co=1"


def test_r_app1_another_bots_token_is_forged() -> None:
    raw = sign(USER, "111:other-bot", NOW)
    assert refusal(raw) == InitDataRefusal.FORGED


def test_r_app1_a_changed_field_is_forged() -> None:
    fields = dict(parse_qsl(sign(USER, TOKEN, NOW)))
    fields["user"] = fields["user"].replace("279058397", "1001")  # pretend to be the seller
    assert refusal(urlencode(fields)) == InitDataRefusal.FORGED


def test_r_app1_a_missing_or_empty_hash_is_forged() -> None:
    fields = dict(parse_qsl(sign(USER, TOKEN, NOW)))
    fields["hash"] = ""
    assert refusal(urlencode(fields)) == InitDataRefusal.FORGED
    del fields["hash"]
    assert refusal(urlencode(fields)) == InitDataRefusal.FORGED


def test_r_app1_older_than_an_hour_is_stale() -> None:
    raw = sign(USER, TOKEN, NOW - timedelta(hours=1))
    assert validate(raw, TOKEN, NOW).user.id == USER["id"]  # exactly an hour: still fine
    raw = sign(USER, TOKEN, NOW - timedelta(hours=1, seconds=1))
    assert refusal(raw) == InitDataRefusal.STALE


def test_r_app1_far_in_the_future_is_stale() -> None:
    assert refusal(sign(USER, TOKEN, NOW + timedelta(hours=2))) == InitDataRefusal.STALE


def test_r_app1_missing_and_malformed() -> None:
    assert refusal(None) == InitDataRefusal.MISSING
    assert refusal("") == InitDataRefusal.MISSING
    assert refusal("no equals sign") == InitDataRefusal.MALFORMED
    assert refusal("a=1&a=2&hash=00") == InitDataRefusal.MALFORMED  # a key twice
    assert refusal("x" * 9000) == InitDataRefusal.MALFORMED


def test_r_app1_signed_but_without_a_user_is_malformed() -> None:
    fields = {"auth_date": str(int(NOW.timestamp())), "query_id": "q"}
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(
        secret, data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    assert refusal(urlencode(fields)) == InitDataRefusal.MALFORMED
