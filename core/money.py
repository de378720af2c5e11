"""R-money, R-money-in: integer minor units inside; Babel formats and strictly parses for people.

The number of minor units of a currency comes from the product's own frozen table of ISO 4217
exponents (`EXPONENTS`), never from Babel: CLDR's "currency digits" change between Babel releases
(2.19 gives IDR 0 where 2.18 gave 2), and a stored amount must mean the same after any upgrade.
Babel is used for the look of a number only: symbols, separators, grouping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from babel.core import Locale
from babel.numbers import (
    NumberFormatError,
    format_currency,
    get_currency_symbol,
    parse_decimal,
)

# ISO 4217 (list one, circulating currencies; fund codes left out): minor-unit exponents.
# Frozen on purpose — `tests/core/test_money_input.py` pins every entry. Changing a value here
# changes the meaning of every stored amount in that currency.
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_TWO = (
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD "
    "CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP "
    "GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD "
    "LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB "
    "PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC "
    "SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
)
EXPONENTS: MappingProxyType[str, int] = MappingProxyType(
    {code: 0 for code in _ZERO.split()}
    | {code: 3 for code in _THREE.split()}
    | {code: 2 for code in _TWO.split()}
)

# Currencies whose minor units exist on paper but are not used in practice: shown and typed as
# whole numbers (Rp10.000, not Rp10.000,00).
_WHOLE_IN_PRACTICE = frozenset({"IDR"})

# The locale whose conventions buyers of that currency expect ($5.00, Rp10.000, 10.000 ₫). Until
# shops choose a language it is also the shop's locale for reading typed amounts (R-money-in).
_CURRENCY_LOCALE = MappingProxyType(
    {
        "USD": "en_US",
        "IDR": "id_ID",
        "VND": "vi_VN",
        "THB": "th_TH",
        "MYR": "ms_MY",
        "PHP": "en_PH",
        "SGD": "en_SG",
        "GBP": "en_GB",
        "EUR": "es_ES",
        "JPY": "ja_JP",
        "MXN": "es_MX",
        "BRL": "pt_BR",
        "SAR": "ar_SA",
        "AED": "en_AE",
        "KRW": "ko_KR",
    }
)
_FALLBACK_LOCALE = "en_US"
# Far above any real voucher or basket, far below BIGINT: a typo of many zeros is refused.
MAX_MINOR = 10**15


def is_currency(code: str) -> bool:
    return code in EXPONENTS


def minor_digits(currency: str) -> int:
    """The ISO 4217 exponent: how many minor units make one major unit, as a power of ten."""
    try:
        return EXPONENTS[currency]
    except KeyError:
        raise ValueError(f"unknown currency {currency!r}") from None


def shown_digits(currency: str) -> int:
    """Decimals a person sees and may type: 0 for currencies whose minor units go unused."""
    return 0 if currency in _WHOLE_IN_PRACTICE else minor_digits(currency)


def currency_locale(currency: str) -> Locale:
    return Locale.parse(_CURRENCY_LOCALE.get(currency, _FALLBACK_LOCALE))


def _major(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_digits(currency))


def _pattern(locale: Locale, decimals: int) -> str:
    """The locale's standard currency pattern with exactly `decimals` fraction digits."""
    pattern = locale.currency_formats["standard"].pattern.split(";")[0]
    fraction = "." + "0" * decimals if decimals else ""
    return re.sub(r"0(?:\.0+)?", "0" + fraction, pattern, count=1)


def format_money(minor: int, currency: str, locale: Locale | str | None = None) -> str:
    """`500`, USD → `$5.00`; `1000000`, IDR → `Rp10.000`; decimals from our table, not CLDR."""
    loc = Locale.parse(locale) if locale is not None else currency_locale(currency)
    pattern = _pattern(loc, shown_digits(currency))
    if loc.language == "en" and loc.territory != currency_locale(currency).territory:
        # English has no local symbol for most of our currencies (Babel's en_US writes
        # "IDR10,000", "THB100.00"): keep English digits with the symbol sellers see at home.
        home = get_currency_symbol(currency, currency_locale(currency))
        pattern = pattern.replace("¤", "'" + home.replace("'", "''") + "'")
    return format_currency(
        _major(minor, currency), currency, format=pattern, locale=loc, currency_digits=False
    )


@dataclass(eq=False)
class MoneyInputError(ValueError):
    """A typed amount that is refused (R-money-in). The bot words `code`; never reinterpreted.

    Codes: `empty`, `negative`, `exponent`, `not_a_number`, `grouping` (malformed grouping),
    `too_many_decimals` (`decimals` says how many are allowed), `zero`, `too_large`.
    `example` is an accepted form in this currency; `suggestion`, when set, is what the person
    probably meant, formatted as money.
    """

    code: str
    currency: str
    example: str
    suggestion: str | None = None
    decimals: int = 0
    params: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        hint = f" Did you mean {self.suggestion}?" if self.suggestion else ""
        code = "whole_only" if self.code == "too_many_decimals" and not self.decimals else self.code
        return f"{_ENGLISH[code].format(decimals=self.decimals)} Like {self.example}.{hint}"


_ENGLISH = {
    "empty": "Send an amount.",
    "negative": "The amount can't be negative.",
    "exponent": "Write the amount in plain digits.",
    "not_a_number": "That isn't an amount.",
    "grouping": "The digit grouping doesn't look right.",
    "too_many_decimals": "Use at most {decimals} decimals.",
    "whole_only": "Amounts in this currency have no decimals.",
    "zero": "The amount must be more than zero.",
    "too_large": "That amount is too large.",
}


def example_amount(currency: str) -> int:
    """A typical small amount in minor units (5 of the currency, 10,000 for IDR/VND-like ones)."""
    major = 10_000 if currency in {"IDR", "VND", "KRW"} else 500 if currency == "JPY" else 5
    scale: int = 10 ** minor_digits(currency)  # an int: the exponent is never negative
    return major * scale


# Words people write beside an amount besides the symbols and the ISO code (R-l10n4).
_CURRENCY_WORDS = MappingProxyType(
    {
        "IDR": ("rp.", "rp", "rupiah"),
        "THB": ("บาท", "baht", "฿"),
        "VND": ("₫", "đ", "vnđ", "vnd", "đồng", "dong"),
        "MYR": ("rm", "ringgit"),
        "EUR": ("€", "eur", "euro", "euros"),
        "USD": ("us$", "$", "dollar", "dollars", "dólar", "dólares"),
    }
)


def _strip_currency(text: str, currency: str, locale: Locale) -> str:
    marks = {currency, get_currency_symbol(currency, locale)}
    marks |= {get_currency_symbol(currency, "en_US")}
    marks |= {get_currency_symbol(currency, currency_locale(currency))}
    marks = {mark.lower() for mark in marks} | set(_CURRENCY_WORDS.get(currency, ()))
    lowered = text.lower()
    for mark in sorted(marks, key=len, reverse=True):
        if lowered.startswith(mark):
            return text[len(mark) :].strip()
        if lowered.endswith(mark):
            return text[: -len(mark)].strip()
    return text


def parse_money(
    text: str,
    currency: str,
    *,
    allow_zero: bool = True,
    locale: Locale | str | None = None,
    times: int = 1,
) -> int:
    """Read what a person typed, in their locale (default: the currency's), into minor units.

    Accepted: digits, the locale's grouping and decimal separators, an optional currency symbol,
    code or word; `.` as the decimal separator where it cannot be a grouping one (`5.50` in a
    EUR shop); decimals that are all zero in the locale's own decimal separator (`Rp 25.000,00`).
    For a currency without shown decimals, a number the person's locale cannot read as one is
    read in the currency's home locale (`Rp10.000` typed in English). `times` is a multiplier
    the reader found (`10rb`). Refused, never reinterpreted: signs, exponents, malformed
    grouping (`5,50` in USD), more decimals than the currency shows (`5.5` in IDR), zero where
    not allowed, absurd sizes.
    """
    home = currency_locale(currency)
    loc = Locale.parse(locale) if locale is not None else home
    digits = shown_digits(currency)
    example = format_money(example_amount(currency), currency, loc)

    def refuse(code: str, suggestion: int | None = None) -> MoneyInputError:
        return MoneyInputError(
            code=code,
            currency=currency,
            example=example,
            suggestion=format_money(suggestion, currency, loc) if suggestion is not None else None,
            decimals=digits,
        )

    raw = " ".join((text or "").split())
    if not raw:
        raise refuse("empty")
    body = _strip_currency(raw, currency, loc)
    if body[:1] in {"-", "−", "–"} or body.endswith("-"):
        raise refuse("negative")
    if re.search(r"\d[eE][+-]?\d", body):
        raise refuse("exponent")
    read = _read_in(body, loc, currency, times == 1)
    if read is None or read == "decimals":
        fallback = (
            _read_in(body, home, currency, times == 1) if digits == 0 and loc != home else None
        )
        read = fallback if isinstance(fallback, Decimal) else read
    if read is None:
        raise refuse("not_a_number")
    if read == "grouping":
        group = loc.number_symbols["latn"]["group"]
        raise refuse("grouping", _suggest(body, currency, group))
    if not isinstance(read, Decimal):
        raise refuse("too_many_decimals")
    value = read * times
    if -min(0, int(value.normalize().as_tuple().exponent)) > digits:
        raise refuse("too_many_decimals")
    minor = int(value.scaleb(minor_digits(currency)))
    if minor == 0 and not allow_zero:
        raise refuse("zero")
    if minor > MAX_MINOR:
        raise refuse("too_large")
    return minor


def _read_in(
    body: str, locale: Locale, currency: str, check_decimals: bool = True
) -> Decimal | str | None:
    """The number in `locale`, or why not: None (not a number), "grouping", "decimals"."""
    symbols = locale.number_symbols["latn"]
    group, decimal = symbols["group"], symbols["decimal"]
    body = body.replace("\u202f", "\xa0") if group == "\xa0" else body
    allowed = set("0123456789") | {group, decimal, "."}
    if not body or any(ch not in allowed for ch in body) or not body[0].isdigit():
        return None
    read = _read_number(body, locale, group, decimal)
    if read is None:
        return "grouping"
    value, typed_decimals, own_separator = read
    if check_decimals and typed_decimals > shown_digits(currency):
        zero_tail = value == value.to_integral_value() and own_separator
        if not (zero_tail and typed_decimals <= max(minor_digits(currency), 2)):
            return "decimals"
    return value


def _read_number(
    body: str, locale: Locale, group: str, decimal: str
) -> tuple[Decimal, int, bool] | None:
    """Babel's strict parse, how many decimals were typed, and whether they were typed with the
    locale's own decimal separator; `None` when it is malformed.

    `.` is read as the decimal separator where the locale groups with `.` but this `.` cannot be
    a grouping one (`5.50` in a EUR shop).
    """
    own = True
    if decimal != "." and "." in body and decimal not in body and _dot_is_decimal(body):
        body, own = body.replace(".", decimal), False
    try:
        value = parse_decimal(body, locale=locale, strict=True)
    except NumberFormatError:
        return None
    typed = len(body.rsplit(decimal, 1)[1]) if decimal in body else 0
    return value, typed, own


def _dot_is_decimal(body: str) -> bool:
    """A single `.` not followed by exactly three digits cannot be a grouping separator."""
    return body.count(".") == 1 and not re.fullmatch(r"\d{1,3}\.\d{3}", body)


def _suggest(body: str, currency: str, group: str) -> int | None:
    """`5,50` in USD → 550 minor units ($5.50): the lone grouping mark read as the decimal one."""
    match = re.fullmatch(r"(\d+)" + re.escape(group) + r"(\d+)", body)
    if not match or len(match.group(2)) > shown_digits(currency):
        return None
    return int(Decimal(f"{match.group(1)}.{match.group(2)}").scaleb(minor_digits(currency)))
