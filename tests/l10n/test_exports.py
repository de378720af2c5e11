"""R-l10n4 exports: `/export`'s workbook and CSV speak the seller's language — typed number
cells in the currency's format, dates as dates, translated headers and words, money in major
units — read back with openpyxl and csv."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

from openpyxl import load_workbook

from bot.exports import money_format, promotion_csv, promotion_xlsx
from bot.i18n import speaking
from core.analytics_views import Figures, PromotionRow

ROWS = [
    PromotionRow(
        12, "Diskon Kilat", "live", "ongoing", Figures(40, 10, 44_700_000, 10, 9, 4_470_000)
    ),
    PromotionRow(13, "=HYPERLINK()", "regular", "ended", Figures(0, 0, 0, 0, 0, 0)),
]
NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def _book(language: str, currency: str) -> bytes:
    with speaking(language):
        return promotion_xlsx(
            ROWS,
            currency,
            shop_name="Toko Sari",
            timezone="Asia/Jakarta",
            start=datetime(2026, 11, 6, 17, 0, tzinfo=UTC),
            end=NOW,
            exported_at=NOW,
        )


def test_r_l10n4_xlsx_in_indonesian_rupiah() -> None:
    book = load_workbook(io.BytesIO(_book("id", "IDR")))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["ID voucher", "Nama voucher", "Jenis", "Status"]
    assert "Pendapatan (IDR)" in header
    first = [c for c in sheet[2]]
    assert first[0].value == 12 and first[0].data_type == "n"
    assert first[2].value == "Voucher Interaktif LIVE"  # translated, not `live`
    assert first[3].value == "sedang berjalan"  # not `ongoing`
    revenue = first[7]
    assert revenue.data_type == "n" and Decimal(str(revenue.value)) == 447_000  # Rp447.000
    assert revenue.number_format == '"Rp"#,##0'
    assert first[6].number_format == "0.00%" and first[6].value == 0.25
    assert sheet.cell(3, 2).value == "'=HYPERLINK()"  # never a formula
    assert sheet.cell(3, 7).value is None  # no claims: no rate
    about = book.worksheets[1]
    facts = {row[0].value: row[1] for row in about.iter_rows()}
    assert facts["Dari"].is_date and facts["Dari"].value == datetime(2026, 11, 7, 0, 0)
    assert facts["Diekspor pada"].is_date


def test_r_l10n4_xlsx_currency_formats() -> None:
    with speaking("en"):
        assert money_format("USD") == '"$"#,##0.00'
    with speaking("es"):
        assert money_format("EUR") == '#,##0.00" €"'
    with speaking("th"):
        assert money_format("THB") == '"฿"#,##0.00'
    with speaking("vi"):
        assert money_format("VND") == '#,##0" ₫"'
    book = load_workbook(io.BytesIO(_book("en", "USD")))
    cell = book.worksheets[0].cell(2, 8)
    assert cell.value == 447_000 and cell.number_format == '"$"#,##0.00'  # 44,700,000 cents


def test_r_l10n4_csv_in_major_units_and_the_readers_conventions() -> None:
    with speaking("id"):
        data = promotion_csv(ROWS, "IDR")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][7] == "Pendapatan (IDR)"
    assert rows[1][2:4] == ["Voucher Interaktif LIVE", "sedang berjalan"]
    assert rows[1][7] == "447000"  # major units, not 44700000
    assert rows[1][6] == "0,2500" and rows[1][11] == "10,00"  # Indonesian decimal comma
    with speaking("th"):
        rows = list(csv.reader(io.StringIO(promotion_csv(ROWS, "THB").decode("utf-8-sig"))))
    assert rows[1][7] == "447000.00" and rows[1][6] == "0.2500"
