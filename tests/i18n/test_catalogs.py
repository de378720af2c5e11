"""R-l10n2: the catalogs are complete, current and consistent with the English."""

from __future__ import annotations

import gettext
import os
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, LOCALE_DIR, po_path
from bot.i18n_catalogs import POT, catalog_problems, placeholders, problems, read
from core.services.languages import SUPPORTED

KEYWORDS = {
    "_": None,
    "N_": None,
    "ngettext": (1, 2),
    "msg": None,
    "msg_n": (1, 2),
    "label": None,
}


def _source_ids() -> set[str]:
    """What `make i18n` would extract from the code now (babel.cfg: all of bot and core —
    team notices and the button labels services queue, R-l10n4)."""
    root = LOCALE_DIR.parents[1]
    found: set[str] = set()
    for sub in ("bot", "core"):
        for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(root / sub),
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
        ):
            if "telegram_standin" in filename:
                continue
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_r_l10n2_the_template_matches_the_code() -> None:
    """Run `make i18n` after changing a message: a stale .pot fails here."""
    with POT.open("rb") as handle:
        template = read_po(handle)
    in_template = {m.id[0] if isinstance(m.id, tuple) else m.id for m in template if m.id}
    in_code = _source_ids()
    assert sorted(in_code - in_template) == [], "messages missing from voucherbot.pot"
    assert sorted(in_template - in_code) == [], "messages in voucherbot.pot no code uses"


def test_r_l10n2_every_catalog_is_complete_with_matching_placeholders_and_plurals() -> None:
    found = [p for language in LANGUAGES for p in problems(language)]
    assert found == []


def test_r_l10n1_the_six_languages_everywhere() -> None:
    assert tuple(LANGUAGES) == SUPPORTED == ("en", "id", "th", "vi", "ms", "es")
    for language in LANGUAGES:
        assert po_path(language).exists(), language


def test_the_checks_can_fail() -> None:
    """A changed placeholder, an untranslated message and a missing plural form are reported."""
    template = Catalog(domain="voucherbot")
    template.add("Added {amount}.")
    template.add("Kept.")
    template.add(("{n} voucher", "{n} vouchers"))
    catalog = Catalog(locale="es", domain="voucherbot")
    catalog.add("Added {amount}.", "Añadido {cantidad}.")
    catalog.add("Kept.", "")
    catalog.add(("{n} voucher", "{n} vouchers"), ["{n} cupón", "{n} cupones"])
    found = catalog_problems(template, catalog, "es")
    assert any("placeholders" in p and "Added" in p for p in found)
    assert any("untranslated" in p and "Kept." in p for p in found)
    assert any("plural forms" in p for p in found)  # Spanish has three
    assert placeholders("Langkah {step} dari {steps}") == {"step", "steps"}


def test_r_l10n2_plural_forms_follow_each_language() -> None:
    """Indonesian, Thai, Vietnamese and Malay have one form; Spanish CLDR's three."""
    expected = {"en": 2, "id": 1, "th": 1, "vi": 1, "ms": 1, "es": 3}
    for language, forms in expected.items():
        catalog = read(language)
        assert catalog.num_plurals == forms, language
        for message in catalog:
            if isinstance(message.id, tuple):
                assert len(message.string) == forms, (language, message.id)


def test_r_l10n2_compiled_catalogs_are_rebuilt_when_missing_or_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A .mo older than its .po is rebuilt at first use: a stale catalog never speaks."""
    from bot import i18n

    language_dir = tmp_path / "id" / "LC_MESSAGES"
    language_dir.mkdir(parents=True)
    po = language_dir / "voucherbot.po"
    shutil.copy(po_path("id"), po)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    mo = i18n.compile_catalog("id")
    assert mo is not None and mo.exists()
    first = mo.stat().st_mtime
    # The .po changes (a fixed translation) after the .mo was built.
    text = po.read_text(encoding="utf-8").replace(
        'msgstr "Dibatalkan."', 'msgstr "Sudah dibatalkan."'
    )
    po.write_text(text, encoding="utf-8")
    os.utime(po, (first + 10, first + 10))
    i18n.compile_catalog("id")
    assert mo.stat().st_mtime >= first
    with mo.open("rb") as handle:
        assert gettext.GNUTranslations(handle).gettext("Cancelled.") == "Sudah dibatalkan."
    # A missing .mo is built again.
    mo.unlink()
    assert i18n.compile_catalog("id") == mo and mo.exists()
