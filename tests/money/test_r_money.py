"""R-money: the product's own ISO 4217 exponents; Babel formats only."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import core.money as money
from core.money import EXPONENTS, format_money, minor_digits, parse_money, shown_digits

# ISO 4217 list one, circulating currencies (fund codes left out), as published by the ISO 4217
# maintenance agency. Written out here on purpose: a change to the product's table must show up
# as a failing test, whatever a library upgrade says.
ISO_4217 = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF",
    3: "BHD IQD JOD KWD LYD OMR TND",
    2: (
        "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN "
        "BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL "
        "GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK "
        "LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO "
        "NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE "
        "SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES "
        "WST XCD XCG YER ZAR ZMW ZWG"
    ),
}


def test_r_money_exponent_table_is_iso_4217() -> None:
    expected = {code: exp for exp, codes in ISO_4217.items() for code in codes.split()}
    assert dict(EXPONENTS) == expected
    # The product's markets, spelled out as the rules list them.
    for code in ("USD", "EUR", "GBP", "IDR", "THB", "MYR", "PHP", "SGD", "MXN", "BRL"):
        assert minor_digits(code) == 2, code
    for code in ("VND", "JPY", "KRW"):
        assert minor_digits(code) == 0, code


def test_r_money_exponents_do_not_come_from_babel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Babel 2.19 says IDR has 0 digits; a stored 1000000 IDR is still Rp10.000."""
    import babel.numbers

    monkeypatch.setattr(babel.numbers, "get_currency_precision", lambda _c: 7)
    assert format_money(1_000_000, "IDR") == "Rp10.000"
    assert parse_money("10.000", "IDR") == 1_000_000
    assert format_money(500, "USD") == "$5.00"


def test_r_money_unknown_currency_is_refused() -> None:
    with pytest.raises(ValueError):
        minor_digits("XYZ")
    assert not money.is_currency("XYZ") and money.is_currency("IDR")


@pytest.mark.parametrize(
    ("minor", "currency", "shown", "typed"),
    [
        (500, "USD", "$5.00", "5.00"),
        (1_000_000, "IDR", "Rp10.000", "10.000"),
        (1_000_000, "VND", "1.000.000\xa0₫", "1.000.000"),
        (100_000, "THB", "฿1,000.00", "1,000.00"),
        (1_050, "MYR", "RM10.50", "10.50"),
        (1_050, "EUR", "10,50\xa0€", "10,50"),
        (1_234, "JPY", "￥1,234", "1,234"),
        (123_456, "GBP", "£1,234.56", "1,234.56"),
        (99_900, "MXN", "$999.00", "999.00"),
    ],
)
def test_r_money_format_and_parse_round_trip(
    minor: int, currency: str, shown: str, typed: str
) -> None:
    assert format_money(minor, currency) == shown
    assert parse_money(shown, currency) == minor
    assert parse_money(typed, currency) == minor


@pytest.mark.parametrize("currency", ["USD", "EUR", "IDR", "VND", "THB", "MYR", "JPY", "KWD"])
@given(units=st.integers(min_value=0, max_value=10**12))
def test_r_money_parse_of_format_is_identity(currency: str, units: int) -> None:
    # Only amounts a person can see: whole rupiah for IDR (shown without decimals).
    minor = units * 10 ** (minor_digits(currency) - shown_digits(currency))
    assert parse_money(format_money(minor, currency), currency) == minor


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (1_000_000, "IDR", "Rp10,000"),
        (100_000, "THB", "฿1,000.00"),
        (10_000, "VND", "₫10,000"),
        (1_000, "MYR", "RM10.00"),
        (1_050, "EUR", "€10.50"),
        (500, "USD", "$5.00"),
    ],
)
def test_r_money_english_readers_see_english_digits_and_the_home_symbol(
    minor: int, currency: str, shown: str
) -> None:
    assert format_money(minor, currency, "en_US") == shown
    assert format_money(minor, currency, "en_GB") == shown
