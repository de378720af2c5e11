"""R-money-in: what a person types is read in the shop's locale, or refused — never guessed."""

from __future__ import annotations

import pytest

from core.money import MoneyInputError, parse_money


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("5", "USD", 500),
        ("5.50", "USD", 550),
        ("$5.50", "USD", 550),
        ("USD 5.50", "USD", 550),
        ("5.50 usd", "USD", 550),
        ("1,234.56", "USD", 123_456),
        ("10.000", "IDR", 1_000_000),
        ("Rp10.000", "IDR", 1_000_000),
        ("Rp 1.500.000", "IDR", 150_000_000),
        ("IDR 25000", "IDR", 2_500_000),
        ("5,50", "EUR", 550),
        ("5.50", "EUR", 550),  # `.` cannot be grouping here, so it is the decimal separator
        ("1.234,50 €", "EUR", 123_450),
        ("1.234", "EUR", 123_400),  # `.` before three digits groups, as the locale says
        ("10.000 ₫", "VND", 10_000),
        ("฿1,000.00", "THB", 100_000),
        ("RM10", "MYR", 1_000),
        ("1,234", "JPY", 1_234),
        ("0", "USD", 0),
    ],
)
def test_r_money_in_accepts_the_locales_forms(text: str, currency: str, minor: int) -> None:
    assert parse_money(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "code", "says", "suggestion"),
    [
        ("", "USD", "empty", "Send an amount", None),
        ("   ", "USD", "empty", "Send an amount", None),
        ("-5", "USD", "negative", "can't be negative", None),
        ("−5", "USD", "negative", "can't be negative", None),
        ("$-5", "USD", "negative", "can't be negative", None),
        ("1e3", "USD", "exponent", "plain digits", None),
        ("2E5", "IDR", "exponent", "plain digits", None),
        ("5,50", "USD", "grouping", "grouping", "$5.50"),
        ("1,23,4", "USD", "grouping", "grouping", None),
        ("5.5", "IDR", "too_many_decimals", "no decimals", None),
        ("10.00", "IDR", "too_many_decimals", "no decimals", None),
        ("5.555", "USD", "too_many_decimals", "at most 2 decimals", None),
        ("10,5", "VND", "too_many_decimals", "no decimals", None),
        ("five", "USD", "not_a_number", "isn't an amount", None),
        ("5 pesos", "USD", "not_a_number", "isn't an amount", None),
        ("€5", "USD", "not_a_number", "isn't an amount", None),
        (".5", "USD", "not_a_number", "isn't an amount", None),
        ("99999999999999999", "USD", "too_large", "too large", None),
    ],
)
def test_r_money_in_refuses_with_the_accepted_form(
    text: str, currency: str, code: str, says: str, suggestion: str | None
) -> None:
    with pytest.raises(MoneyInputError) as caught:
        parse_money(text, currency)
    refusal = caught.value
    assert refusal.code == code
    assert says in str(refusal)
    assert refusal.suggestion == suggestion
    assert refusal.example in str(refusal)  # the accepted form is always shown


def test_r_money_in_zero_refused_where_not_allowed() -> None:
    with pytest.raises(MoneyInputError) as caught:
        parse_money("0", "USD", allow_zero=False)
    assert caught.value.code == "zero"
    assert parse_money("0", "USD") == 0


def test_r_money_in_examples_are_in_the_currency() -> None:
    for currency, example in [("USD", "$5.00"), ("IDR", "Rp10.000"), ("JPY", "￥500")]:
        with pytest.raises(MoneyInputError) as caught:
            parse_money("x", currency)
        assert caught.value.example == example
