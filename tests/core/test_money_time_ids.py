"""R-money, R-time, R-ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.ids import is_platform_id
from core.money import format_money, parse_money
from core.services import Services
from storage import repositories as repo
from tests.conftest import NOW, draft


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [(500, "USD", "$5.00"), (1_000_000, "IDR", "Rp10.000"), (1234, "JPY", "￥1,234")],
)
def test_r_money_format(minor: int, currency: str, shown: str) -> None:
    assert format_money(minor, currency) == shown


def test_r_money_parse_is_exact_integer_minor_units() -> None:
    assert parse_money("5", "USD") == 500
    assert parse_money("$5.50", "USD") == 550
    assert parse_money("10.000", "IDR") == 1_000_000
    with pytest.raises(ValueError):
        parse_money("5.555", "USD")
    with pytest.raises(ValueError):
        parse_money("abc", "USD")


async def test_r_money_stored_as_integers(services: Services, seller) -> None:
    v = await services.vouchers.create(seller, draft(amount=499, min_spend=1000))
    assert isinstance(v.amount, int) and v.amount == 499
    assert isinstance(v.estimated_spend, int)


async def test_r_time_instants_round_trip_as_utc(services: Services, seller) -> None:
    jakarta = timezone(timedelta(hours=7))
    start = (NOW + timedelta(hours=1)).astimezone(jakarta)
    created = await services.vouchers.create(
        seller, draft(starts_at=start, ends_at=start + timedelta(days=1))
    )
    read = await services.vouchers.get(seller, created.id)
    assert read.starts_at == start
    assert read.starts_at.tzinfo is not None and read.starts_at.utcoffset() == timedelta(0)


async def test_r_time_naive_datetimes_refused_by_storage(services: Services, seller) -> None:
    async with services.db.read() as session:
        assert await repo.get_shop(session, seller.shop_id) is not None
    with pytest.raises(ValueError):
        from storage.types import UTCDateTime

        UTCDateTime().process_bind_param(datetime(2026, 1, 1), None)  # type: ignore[arg-type]
    assert UTCDateTime().process_result_value(datetime(2026, 1, 1), None).tzinfo == UTC  # type: ignore[arg-type, union-attr]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("p-1", True),
        ("A.b:c_d-9", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("", False),
        ("with space", False),
        ("é", False),
        (12, False),
    ],
)
def test_r_ids_platform_ids(value: object, ok: bool) -> None:
    assert is_platform_id(value) is ok


async def test_r_ids_integer_ids(services: Services, seller) -> None:
    v = await services.vouchers.create(seller, draft())
    c = await services.claims.claim(seller.shop_id, v.id, "b1")
    assert isinstance(v.id, int) and isinstance(c.id, int) and isinstance(seller.account_id, int)
