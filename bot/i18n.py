"""The bot's languages (R-l10n1, R-l10n2): gettext catalogs managed with Babel, the language of
the update being handled, and money, numbers and dates in that language's conventions.

The language in force is a context variable: the Telegram side sets it once per update (the
person's `/language` choice, else their Telegram `language_code` when it is one of ours, else
English; the shop's language for the team chat), and every `_()` / `ngettext()` reads it. A
string defined at import time (a table of labels) is marked with `N_()` and translated where it
is shown.

Catalogs live in `bot/locales/<lang>/LC_MESSAGES/voucherbot.po`; the compiled `.mo` beside it is
(re)built from the `.po` at first use when it is missing or older, so a stale one never speaks.
"""

from __future__ import annotations

import contextlib
import gettext as _gettext
import threading
from collections.abc import Iterator
from contextvars import ContextVar, Token
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit

from core.money import format_money
from core.notifications import Words

DOMAIN = "voucherbot"
LOCALE_DIR = Path(__file__).parent / "locales"
DEFAULT = "en"
# In menu order; the names are how each language calls itself (shown on /language's buttons).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "id": "Bahasa Indonesia",
    "th": "ภาษาไทย",
    "vi": "Tiếng Việt",
    "ms": "Bahasa Melayu",
    "es": "Español",
}
# The Babel locale whose conventions a person of that language expects for numbers and money.
LOCALES: dict[str, str] = {
    "en": "en_US",
    "id": "id_ID",
    "th": "th_TH",
    "vi": "vi_VN",
    "ms": "ms_MY",
    "es": "es_ES",
}
# One date-and-time format per language (CLDR patterns): what a seller in that market writes.
DATE_FORMATS: dict[str, str] = {
    "en": "d MMM yyyy HH:mm",
    "id": "d MMM yyyy HH.mm",
    "th": "d MMM yyyy HH:mm",
    "vi": "HH:mm dd/MM/yyyy",
    "ms": "d MMM yyyy h:mm a",
    "es": "d MMM yyyy H:mm",
}

_current: ContextVar[str] = ContextVar("voucherbot_language", default=DEFAULT)
# A person's regional conventions within their language (`es_MX` for a Telegram set to
# `es-MX`): money and dates follow them; None means the language's default locale (LOCALES).
_region: ContextVar[str | None] = ContextVar("voucherbot_region", default=None)
_compile_lock = threading.Lock()
# Catalogs registered in memory (tests' pseudo-locale); they win over the files.
_extra: dict[str, _gettext.NullTranslations] = {}


def pick(code: str | None) -> str | None:
    """One of our languages for a Telegram `language_code` (`id`, `th-TH`, `es-419`), or None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-", 1)[0].lower()
    if base == "in":  # the old ISO 639 code for Indonesian, still sent by some clients
        base = "id"
    return base if base in LANGUAGES or base in _extra else None


def current() -> str:
    return _current.get()


def regional(code: str | None, language: str) -> str | None:
    """The Babel locale of a Telegram `language_code` with a region (`es-MX` → `es_MX`,
    `es-419`), when it is a variant of `language` that CLDR knows; else None."""
    if not code or "-" not in code.replace("_", "-"):
        return None
    base, _sep, region = code.replace("_", "-").partition("-")
    if pick(base) != language or not region:
        return None
    try:
        return str(Locale.parse(f"{language}_{region.upper()}"))
    except (ValueError, TypeError, LookupError):
        return None


def activate(language: str | None, region: str | None = None) -> Token[str]:
    """Makes `language` (and optionally a regional locale of it) the one in force for this
    task and what it awaits."""
    _region.set(region)
    return _current.set(language if language in LANGUAGES or language in _extra else DEFAULT)


@contextlib.contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """`with speaking("th"):` renders everything inside in Thai (the team chat, the demo),
    with the language's own conventions."""
    region = _region.set(None)
    token = activate(language)
    try:
        yield
    finally:
        _current.reset(token)
        _region.reset(region)


# The language each person was last answered in, for messages this process sends outside an
# update (the live panel's refreshes, reminders): Telegram's `language_code` only comes with
# updates. Only the leader runs the Telegram side, so this process saw the person's updates.
_people: dict[int, str] = {}


def remember_person(user_id: int, language: str) -> None:
    _people[user_id] = language


def person_language(user_id: int | None) -> str | None:
    return _people.get(user_id) if user_id is not None else None


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalog(language: str) -> Path | None:
    """Builds the `.mo` from the `.po` when it is missing or older; returns it (None: no .po)."""
    po = po_path(language)
    mo = po.with_suffix(".mo")
    if not po.exists():
        return None
    with _compile_lock:
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            from babel.messages.mofile import write_mo
            from babel.messages.pofile import read_po

            with po.open("rb") as source:
                catalog = read_po(source, locale=language, domain=DOMAIN)
            tmp = mo.with_suffix(".mo.tmp")
            with tmp.open("wb") as target:
                write_mo(target, catalog, use_fuzzy=False)
            tmp.replace(mo)  # atomic: another process never reads half a catalog
    return mo


@cache
def _from_files(language: str) -> _gettext.NullTranslations:
    try:
        mo = compile_catalog(language)
    except OSError:
        # Installed read-only (a system site-packages): compile in memory instead.
        return _in_memory(language)
    if mo is None:
        return _gettext.NullTranslations()
    with mo.open("rb") as handle:
        return _gettext.GNUTranslations(handle)


def _in_memory(language: str) -> _gettext.NullTranslations:
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(language).open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def translations(language: str | None = None) -> _gettext.NullTranslations:
    language = language or current()
    extra = _extra.get(language)
    return extra if extra is not None else _from_files(language)


def register(language: str, catalog: _gettext.NullTranslations) -> None:
    """Adds an in-memory catalog (a test's pseudo-locale) under its own language code."""
    _extra[language] = catalog


def unregister(language: str) -> None:
    _extra.pop(language, None)


def reload() -> None:
    """Forgets loaded catalogs (after `make i18n` in a running test session)."""
    _from_files.cache_clear()


def _(message: str) -> str:
    """The message in the language in force."""
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for count `n`, by the language's own plural rule."""
    return translations().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; `_()` translates it where shown."""
    return message


def babel_locale(language: str | None = None) -> Locale:
    if language is None:
        language = current()
        region = _region.get()
        if region is not None and region.split("_", 1)[0] == language:
            return Locale.parse(region)
    return Locale.parse(LOCALES.get(language, LOCALES[DEFAULT]))


def capital(words: str) -> str:
    """A phrase put at the start of a sentence or a name: its first letter upper-case (scripts
    without case, such as Thai, are unchanged)."""
    return words[:1].upper() + words[1:]


def number(n: int | float) -> str:
    """`1,000` in English, `1.000` in Indonesian and Spanish."""
    return format_decimal(n, locale=babel_locale())


def percent(fraction: float) -> str:
    return format_percent(fraction, locale=babel_locale())


def money(minor: int, currency: str) -> str:
    """The shop's currency in the person's conventions: `Rp10.000`, `฿1,000.00`, `10,00 €`."""
    return format_money(minor, currency, babel_locale())


def duration(minutes: int) -> str:
    """`45 menit`, `1 jam 30 menit`, `2 ชั่วโมง`: CLDR's unit words; read back by
    core.reading.read_duration (R-l10n4)."""
    loc = babel_locale()
    hours, rest = divmod(minutes, 60)
    parts = [format_unit(hours, "duration-hour", length="long", locale=loc)] if hours else []
    if rest or not hours:
        parts.append(format_unit(rest, "duration-minute", length="long", locale=loc))
    return " ".join(parts)


def words() -> Words:
    """core/notifications' renderer in the language in force (team notices, R-l10n1)."""
    language = current()
    return Words(
        gettext=_,
        ngettext=ngettext,
        locale=str(babel_locale()),
        date_pattern=DATE_FORMATS.get(language, DATE_FORMATS[DEFAULT]),
    )


# The time of day within each DATE_FORMATS entry: the one way a language writes a clock time
# (`14.00` in Indonesian, `2:00 PTG` in Malay), in the team chat, the live panel and the drops.
TIME_FORMATS: dict[str, str] = {
    "en": "HH:mm",
    "id": "HH.mm",
    "th": "HH:mm",
    "vi": "HH:mm",
    "ms": "h:mm a",
    "es": "H:mm",
}


def clock(at: datetime, timezone: str | None = None) -> str:
    """A time of day on the shop's clock (or, without a zone, on `at`'s own), written as the
    language writes it in `when()`."""
    zone = at.tzinfo if timezone is None and at.tzinfo is not None else ZoneInfo("UTC")
    if timezone:
        with contextlib.suppress(KeyError, ValueError):
            zone = ZoneInfo(timezone)
    pattern = TIME_FORMATS.get(current(), TIME_FORMATS[DEFAULT])
    return format_datetime(at, pattern, tzinfo=zone, locale=babel_locale())


def when(at: datetime, timezone: str | None = None) -> str:
    """An instant on the shop's clock in the language's one date format."""
    zone = "UTC"
    if timezone:
        with contextlib.suppress(KeyError, ValueError):
            ZoneInfo(timezone)
            zone = timezone
    language = current()
    pattern = DATE_FORMATS.get(language, DATE_FORMATS[DEFAULT])
    return format_datetime(at, pattern, tzinfo=ZoneInfo(zone), locale=babel_locale())
