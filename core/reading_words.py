"""R-l10n4: the small vocabulary people type in each language, beside docs/glossary.md.

Numbers, month names, separators and AM/PM come from Babel's locale data (core/reading.py,
core/reading_time.py); what CLDR does not hold is here: the flows' keywords, duration units and
markers, amount multipliers (`rb`, `jt`, `k`, `tr`, `mil`) and currency words (`บาท`). English
words are understood in every language (commands are documented with them: `/issue 12 watch
5`). Every entry is lower case; a person's text is lower-cased before it is compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

LANGUAGES = ("en", "id", "th", "vi", "ms", "es")
# The Babel locale whose conventions a person of that language reads numbers in (bot/i18n's
# LOCALES says the same for writing; core does not import the bot).
LOCALES = MappingProxyType(
    {"en": "en_US", "id": "id_ID", "th": "th_TH", "vi": "vi_VN", "ms": "ms_MY", "es": "es_ES"}
)


class Keyword(StrEnum):
    """A flow's one-word answers (R-l10n4)."""

    NOW = "now"
    NONE = "none"
    WATCH = "watch"
    FOLLOW = "follow"


_KEYWORDS: dict[str, dict[Keyword, tuple[str, ...]]] = {
    "en": {
        Keyword.NOW: ("now", "right now"),
        Keyword.NONE: ("none", "no", "no task", "n", "no minimum"),
        Keyword.WATCH: ("watch", "w"),
        Keyword.FOLLOW: ("follow", "f"),
    },
    "id": {
        Keyword.NOW: ("sekarang", "skrg", "saat ini"),
        Keyword.NONE: ("tanpa", "tidak ada", "tdk ada", "tanpa tugas", "tanpa minimum", "gak ada"),
        Keyword.WATCH: ("tonton", "nonton"),
        Keyword.FOLLOW: ("ikuti", "follow"),
    },
    "th": {
        Keyword.NOW: ("ตอนนี้", "เดี๋ยวนี้", "ทันที"),
        Keyword.NONE: ("ไม่มี", "ไม่มีภารกิจ", "ไม่มีขั้นต่ำ"),
        Keyword.WATCH: ("ดู", "ดูไลฟ์"),
        Keyword.FOLLOW: ("ติดตาม",),
    },
    "vi": {
        Keyword.NOW: ("bây giờ", "ngay", "ngay bây giờ", "luôn"),
        Keyword.NONE: ("không", "không có", "không nhiệm vụ", "không tối thiểu"),
        Keyword.WATCH: ("xem",),
        Keyword.FOLLOW: ("theo dõi",),
    },
    "ms": {
        Keyword.NOW: ("sekarang",),
        Keyword.NONE: ("tiada", "tanpa", "tiada tugasan", "tiada minimum"),
        Keyword.WATCH: ("tonton",),
        Keyword.FOLLOW: ("ikuti",),
    },
    "es": {
        Keyword.NOW: ("ahora", "ya", "ahora mismo"),
        Keyword.NONE: ("ninguna", "ninguno", "nada", "sin tarea", "sin mínimo", "no"),
        Keyword.WATCH: ("ver",),
        Keyword.FOLLOW: ("seguir",),
    },
}

# Duration units: minutes and hours. `clock_hours` are hour words that, typed without a marker
# ("in", "later"), name a time of day rather than a duration (Vietnamese `20 giờ` is 8 pm).
_MINUTES = {
    "en": ("m", "min", "mins", "minute", "minutes"),
    "id": ("menit", "mnt", "mn"),
    "th": ("นาที", "น"),
    "vi": ("phút", "p", "ph"),
    "ms": ("minit", "min", "mnt"),
    "es": ("min", "mins", "minuto", "minutos"),
}
_HOURS = {
    "en": ("h", "hr", "hrs", "hour", "hours"),
    "id": ("jam", "j"),
    "th": ("ชั่วโมง", "ชม", "ชม."),
    "vi": ("tiếng", "giờ", "g"),
    "ms": ("jam", "j"),
    "es": ("h", "hora", "horas"),
}
CLOCK_HOURS = MappingProxyType({"vi": ("giờ", "g", "h"), "es": ("h",)})
# "in 45 minutes" before the number, "45 minutes later" after it.
_BEFORE = {
    "en": ("in",),
    "id": ("dalam",),
    "th": ("อีก", "ในอีก"),
    "vi": ("trong", "sau"),
    "ms": ("dalam",),
    "es": ("en", "dentro de"),
}
_AFTER = {
    "en": ("later", "from now"),
    "id": ("lagi", "kemudian"),
    "th": ("ข้างหน้า",),
    "vi": ("nữa",),
    "ms": ("lagi",),
    "es": ("más",),
}
# Between the two ends of a period, and before its start.
_UNTIL = {
    "en": ("to", "until", "till", "-", "–", "—"),
    "id": ("sampai", "sampai dengan", "s/d", "s.d.", "hingga", "-", "–"),
    "th": ("ถึง", "-", "–"),
    "vi": ("đến", "tới", "-", "–"),
    "ms": ("hingga", "sampai", "-", "–"),
    "es": ("a", "al", "hasta", "-", "–"),
}
_FROM = {
    "en": ("from",),
    "id": ("dari", "mulai"),
    "th": ("ตั้งแต่", "จาก"),
    "vi": ("từ",),
    "ms": ("dari", "mulai"),
    "es": ("desde", "del", "de"),
}
# Amount multipliers: `10rb` is ten thousand.
_MULTIPLIERS = {
    "en": {"k": 1_000, "thousand": 1_000, "million": 1_000_000},
    "id": {"rb": 1_000, "ribu": 1_000, "jt": 1_000_000, "juta": 1_000_000},
    "th": {"พัน": 1_000, "หมื่น": 10_000, "แสน": 100_000, "ล้าน": 1_000_000},
    "vi": {"nghìn": 1_000, "ngàn": 1_000, "tr": 1_000_000, "triệu": 1_000_000},
    "ms": {"ribu": 1_000, "rb": 1_000, "juta": 1_000_000, "j": 1_000_000},
    "es": {"mil": 1_000, "millón": 1_000_000, "millones": 1_000_000},
}
# Percent marks besides `%`.
_PERCENT = {
    "en": ("percent",),
    "id": ("persen",),
    "th": ("เปอร์เซ็นต์",),
    "vi": ("phần trăm",),
    "ms": ("peratus",),
    "es": ("por ciento",),
}
# Thai digits are read as the digits they are.
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def _with_english(table: Mapping[str, tuple[str, ...]], language: str) -> tuple[str, ...]:
    own = table.get(language, ())
    extra = table["en"] if language != "en" else ()
    return tuple(dict.fromkeys(own + extra))


def keyword_words(language: str, keyword: Keyword) -> tuple[str, ...]:
    own = _KEYWORDS.get(language, {}).get(keyword, ())
    english = _KEYWORDS["en"][keyword] if language != "en" else ()
    return tuple(dict.fromkeys(own + english))


def minute_words(language: str) -> tuple[str, ...]:
    return _with_english(_MINUTES, language)


def hour_words(language: str) -> tuple[str, ...]:
    return _with_english(_HOURS, language)


def before_words(language: str) -> tuple[str, ...]:
    return _with_english(_BEFORE, language)


def after_words(language: str) -> tuple[str, ...]:
    return _with_english(_AFTER, language)


def until_words(language: str) -> tuple[str, ...]:
    return _with_english(_UNTIL, language)


def from_words(language: str) -> tuple[str, ...]:
    return _with_english(_FROM, language)


def percent_words(language: str) -> tuple[str, ...]:
    return _with_english(_PERCENT, language)


def multipliers(language: str) -> dict[str, int]:
    return _MULTIPLIERS["en"] | _MULTIPLIERS.get(language, {})
