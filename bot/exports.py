"""`/export` in the seller's language (R-l10n4, R-a7): an `.xlsx` workbook beside a CSV.

Both hold the promotion list with translated headers and words (kind, status) and money in the
currency's **major** units (Rp447.000 is `447000`, $5.50 is `5.50`). The workbook has typed
cells: numbers are numbers with the currency's number format (`"Rp"#,##0`, `#,##0.00 "€"`),
rates are percentages, and the period and the export time are dates, so it opens right in a
spreadsheet set to any language. The CSV follows the reader's conventions where spreadsheets
expect them: a language whose decimal mark is `,` (Indonesian, Vietnamese, Spanish) gets `,`
decimals and `;` between fields. The API keeps core's stable CSV (core/services/export.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from html import escape
from zoneinfo import ZoneInfo

from babel.numbers import get_currency_symbol
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from telegram import Chat

from bot.i18n import N_, _, babel_locale, ngettext, number
from core.analytics_views import PromotionRow
from core.money import minor_digits, shown_digits
from core.services import Services
from core.services.accounts import Membership

KIND_WORDS = {"regular": N_("Regular Voucher"), "live": N_("LIVE Interactive Voucher")}
STATUS_WORDS = {
    "upcoming": N_("upcoming"),
    "ongoing": N_("ongoing"),
    "ended": N_("ended"),
    "deactivated": N_("deactivated"),
    "sold_out": N_("sold out"),
}
DATE_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class ExportFiles:
    csv: bytes
    xlsx: bytes
    rows: int


def headers(currency: str) -> list[str]:
    """The header row in the reader's language; money columns name the currency."""
    return [
        _("Voucher ID"),
        _("Voucher name"),
        _("Kind"),
        _("Status"),
        _("Claims"),
        _("Usage"),
        _("Redemption rate"),
        _("Revenue ({currency})").format(currency=currency),
        _("Orders"),
        _("Buyers"),
        _("Discount cost ({currency})").format(currency=currency),
        _("ROI"),
    ]


def major(minor: int, currency: str) -> Decimal:
    """Minor units as the currency's major units, with the decimals people see (`Rp447.000`
    is 447000, not 447000.00)."""
    value = Decimal(minor).scaleb(-minor_digits(currency))
    return value.quantize(Decimal(1).scaleb(-shown_digits(currency)))


def money_format(currency: str) -> str:
    """An Excel number format for the currency in the reader's conventions: the symbol where
    the language puts it; separators are the spreadsheet's own (Excel localises `#,##0.00`)."""
    locale = babel_locale()
    symbol = get_currency_symbol(currency, locale).replace('"', "")
    body = "#,##0" + ("." + "0" * shown_digits(currency) if shown_digits(currency) else "")
    pattern = locale.currency_formats["standard"].pattern.split(";")[0]
    before = pattern.strip().startswith("¤")
    spaced = "\xa0" in pattern or " " in pattern
    gap = " " if spaced else ""
    return f'"{symbol}{gap}"{body}' if before else f'{body}"{gap}{symbol}"'


def _cell(text: str) -> str:
    """A name a spreadsheet would run as a formula is prefixed with `'`."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def _words(row: PromotionRow) -> tuple[str, str]:
    kind = KIND_WORDS.get(row.kind)
    status = STATUS_WORDS.get(row.shown_status)
    return (_(kind) if kind else row.kind), (_(status) if status else row.shown_status)


def _csv_number(value: Decimal | float | None, places: int, decimal: str) -> str:
    if value is None:
        return ""
    text = f"{Decimal(str(value)):.{places}f}" if places else f"{Decimal(value):.0f}"
    return text.replace(".", decimal)


def promotion_csv(rows: Sequence[PromotionRow], currency: str) -> bytes:
    decimal = babel_locale().number_symbols["latn"]["decimal"]
    delimiter = ";" if decimal == "," else ","
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(headers(currency))
    places = shown_digits(currency)
    for r in rows:
        f = r.figures
        kind, status = _words(r)
        writer.writerow(
            (
                r.voucher_id,
                _cell(r.name),
                kind,
                status,
                f.claims,
                f.usage,
                _csv_number(f.redemption_rate, 4, decimal),
                _csv_number(major(f.revenue, currency), places, decimal),
                f.orders,
                f.buyers,
                _csv_number(major(f.discount_cost, currency), places, decimal),
                _csv_number(f.roi, 2, decimal),
            )
        )
    # A byte-order mark: spreadsheets then read the file as UTF-8 (Thai, Vietnamese names).
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def promotion_xlsx(
    rows: Sequence[PromotionRow],
    currency: str,
    *,
    shop_name: str,
    timezone: str,
    start: datetime | None,
    end: datetime | None,
    exported_at: datetime,
) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Promotions")[:31]
    sheet.append(headers(currency))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    money = money_format(currency)
    for r in rows:
        f = r.figures
        kind, status = _words(r)
        sheet.append(
            [
                r.voucher_id,
                _cell(r.name),
                kind,
                status,
                f.claims,
                f.usage,
                f.redemption_rate,
                major(f.revenue, currency),
                f.orders,
                f.buyers,
                major(f.discount_cost, currency),
                None if f.roi is None else round(f.roi, 2),
            ]
        )
        line = sheet.max_row
        sheet.cell(line, 7).number_format = "0.00%"
        sheet.cell(line, 8).number_format = money
        sheet.cell(line, 11).number_format = money
        sheet.cell(line, 12).number_format = "0.00"
    for index, width in enumerate((10, 28, 24, 16, 10, 10, 14, 18, 10, 10, 18, 8), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"

    about = book.create_sheet(_("About")[:31])
    zone = ZoneInfo(timezone)

    def local(at: datetime) -> datetime:
        return at.astimezone(zone).replace(tzinfo=None)

    facts: list[tuple[str, object]] = [
        (_("Shop"), shop_name),
        (_("Currency"), currency),
        (_("Time zone"), timezone),
        (_("From"), local(start) if start is not None else _("the beginning")),
        (_("To"), local(end if end is not None else exported_at)),
        (_("Exported at"), local(exported_at)),
    ]
    for name, value in facts:
        about.append([name, value])
        if isinstance(value, datetime):
            about.cell(about.max_row, 2).number_format = DATE_FORMAT
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 24
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_caption(period: str, sort: str, rows: int, currency: str) -> str:
    """The caption under the files (HTML-escaped by the caller's data)."""
    return _(
        "📄 Promotion list — {period}, by {sort}: {vouchers}. Amounts are in {currency}. The "
        ".xlsx file opens with numbers and dates in your spreadsheet's own format."
    ).format(
        period=period,
        sort=sort,
        vouchers=ngettext("{n} voucher", "{n} vouchers", rows).format(n=number(rows)),
        currency=currency,
    )


async def send_export(
    chat: Chat,
    services: Services,
    member: Membership,
    *,
    sort: str,
    start: datetime | None,
    end: datetime | None,
    period_words: str,
    sort_words: str,
) -> None:
    """/export's answer: the CSV, then the workbook with the caption (R-l10n4, R-a7)."""
    rows = await services.analytics.promotions(member.actor, sort, start, end)
    shop = member.shop
    now = services.clock.now()
    day = now.astimezone(ZoneInfo(shop.timezone)).date().isoformat()
    await chat.send_document(promotion_csv(rows, shop.currency), filename=f"promotions-{day}.csv")
    workbook = promotion_xlsx(
        rows,
        shop.currency,
        shop_name=shop.name,
        timezone=shop.timezone,
        start=start,
        end=end,
        exported_at=now,
    )
    caption = export_caption(period_words, sort_words, len(rows), escape(shop.currency))
    await chat.send_document(workbook, caption=caption, filename=f"promotions-{day}.xlsx")
