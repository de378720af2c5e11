"""R-money: integer minor units inside; Babel formats them for people."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.core import Locale
from babel.numbers import format_currency, get_currency_precision, list_currencies

# The locale whose conventions buyers of that currency expect ($5.00, Rp10.000, ₫10.000).
_CURRENCY_LOCALE = {
    "USD": "en_US",
    "IDR": "id_ID",
    "VND": "vi_VN",
    "THB": "th_TH",
    "MYR": "ms_MY",
    "PHP": "en_PH",
    "SGD": "en_SG",
    "GBP": "en_GB",
    "EUR": "de_DE",
    "JPY": "ja_JP",
    "MXN": "es_MX",
    "BRL": "pt_BR",
    "SAR": "ar_SA",
    "AED": "en_AE",
    "KRW": "ko_KR",
}
# Currencies with minor units on paper that are never shown in practice.
_NO_DECIMALS_SHOWN = {"IDR", "VND", "KRW", "JPY"}
_KNOWN = frozenset(list_currencies())


def is_currency(code: str) -> bool:
    return code in _KNOWN


def minor_digits(currency: str) -> int:
    return get_currency_precision(currency)


def format_money(minor: int, currency: str) -> str:
    """`500`, USD → `$5.00`; `1000000`, IDR → `Rp10.000`."""
    digits = minor_digits(currency)
    value = Decimal(minor).scaleb(-digits)
    locale = Locale.parse(_CURRENCY_LOCALE.get(currency, "en_US"))
    if currency in _NO_DECIMALS_SHOWN:
        return format_currency(
            value, currency, format="¤#,##0", locale=locale, currency_digits=False
        ).replace("\xa0", "")
    return format_currency(value, currency, locale=locale).replace("\xa0", "")


def parse_money(text: str, currency: str) -> int:
    """Parse what a person typed (`5`, `5.50`, `$5.50`, `10.000` for IDR) into minor units."""
    digits = minor_digits(currency)
    cleaned = "".join(ch for ch in text.strip() if ch.isdigit() or ch in ".,")
    if not cleaned:
        raise ValueError("not an amount")
    if currency in _NO_DECIMALS_SHOWN:
        cleaned = cleaned.replace(".", "").replace(",", "")
    else:
        cleaned = cleaned.replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError("not an amount") from exc
    minor = value.scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValueError(f"at most {digits} decimals")
    return int(minor)
