"""Catalog chores for `make i18n` and the tests (R-l10n2), with Babel's own `.po` reader.

- `fill-en`: the English catalog's translations are its message ids (English is the source
  language; a complete `en` catalog keeps every language alike for the checks).
- `problems(language)`: what a reviewer must fix before a catalog ships: untranslated or
  fuzzy messages, placeholders (`{name}`) that differ from the English, plural forms missing.
- `pseudo()`: a generated catalog that wraps every message in ⟦…⟧ (tests: any reply text
  outside the markers bypassed the catalogs).

    python -m bot.i18n_catalogs compile    # the .mo files (see compile_all)
    python -m bot.i18n_catalogs fill-en
    python -m bot.i18n_catalogs check      # exit 1 and list the problems
"""

from __future__ import annotations

import gettext
import io
import re
import sys
from string import Formatter

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, po_path

POT = LOCALE_DIR / f"{DOMAIN}.pot"
PSEUDO_OPEN, PSEUDO_CLOSE = "⟦", "⟧"


def read(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def read_template() -> Catalog:
    with POT.open("rb") as handle:
        return read_po(handle, domain=DOMAIN)


def write(language: str, catalog: Catalog) -> None:
    with po_path(language).open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False)


def placeholders(text: str) -> set[str]:
    """`{name}` fields of a str.format template (`{{` is no field)."""
    found = set()
    for _literal, field, _spec, _conv in Formatter().parse(text):
        if field is not None:
            found.add(field)
    return found


def _forms(message: Message) -> list[str]:
    if isinstance(message.string, list | tuple):
        return list(message.string)
    return [message.string or ""]


def problems(language: str) -> list[str]:
    """Everything wrong with one catalog, as lines a translator can act on."""
    return catalog_problems(read_template(), read(language), language)


def catalog_problems(template: Catalog, catalog: Catalog, language: str) -> list[str]:
    out: list[str] = []
    for source in template:
        if not source.id:
            continue
        message = catalog.get(source.id)
        key = source.id[0] if isinstance(source.id, tuple) else source.id
        if message is None:
            out.append(f"{language}: missing {key!r}")
            continue
        if message.fuzzy:
            out.append(f"{language}: fuzzy {key!r}")
        forms = _forms(message)
        if isinstance(source.id, tuple) and len(forms) != catalog.num_plurals:
            out.append(f"{language}: {len(forms)} plural forms for {key!r}")
        ids = (source.id,) if isinstance(source.id, str) else tuple(source.id)
        wanted = set().union(*(placeholders(i) for i in ids))
        for form in forms:
            if not form:
                out.append(f"{language}: untranslated {key!r}")
                break
            try:
                got = placeholders(form)
            except ValueError as exc:
                out.append(f"{language}: broken braces in {key!r}: {exc}")
                break
            # A singular may leave out {n} ("one voucher"), never add a field of its own.
            if got - wanted or (wanted - got) - {"n"}:
                out.append(f"{language}: placeholders {sorted(got)} ≠ {sorted(wanted)} in {key!r}")
                break
    return out


def compile_all() -> list[str]:
    """Babel's compiler (`write_mo`) for every catalog. Not `pybabel compile`: its checker
    reads `{percent}% off` as a printf `% o` and refuses the translations that move the `%`;
    our placeholders are `str.format` fields, checked by `problems` instead."""
    from bot.i18n import compile_catalog, reload

    built = []
    for language in LANGUAGES:
        mo = po_path(language).with_suffix(".mo")
        mo.unlink(missing_ok=True)
        if compile_catalog(language) is not None:
            built.append(str(mo))
    reload()
    return built


def fill_english() -> None:
    catalog = read("en")
    for message in catalog:
        if message.id:
            message.string = message.id if not isinstance(message.id, tuple) else list(message.id)
            message.flags.discard("fuzzy")
    write("en", catalog)


_FIELD = re.compile(r"(\{[^{}]*\}|<[^<>]*>|&[a-z]+;)")


def _wrap(text: str) -> str:
    return f"{PSEUDO_OPEN}{text}{PSEUDO_CLOSE}"


def pseudo() -> gettext.GNUTranslations:
    """Every English message wrapped in ⟦…⟧, placeholders and markup untouched inside."""
    template = read_template()
    catalog = Catalog(locale="en", domain=DOMAIN)
    for source in template:
        if not source.id:
            continue
        if isinstance(source.id, str):
            catalog.add(source.id, _wrap(source.id))
        else:
            catalog.add(source.id, [_wrap(source.id[0]), _wrap(source.id[1])])
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "fill-en":
        fill_english()
        return 0
    if command == "compile":
        for path in compile_all():
            print(f"compiled {path}")
        return 0
    found = [p for language in LANGUAGES for p in problems(language)]
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
