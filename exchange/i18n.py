"""The Dutch texts of the node's and the console's pages, from the project's one Babel catalogue.

The catalogue is ``exchange/locale/nl/LC_MESSAGES/messages.po`` (extraction: ``babel.cfg``). It is
compiled in memory when the node or the console starts, with Babel's own reader and writer, so the
``.po`` file is the only copy: there is no ``.mo`` to forget to rebuild. Fuzzy entries are left out,
as ``pybabel compile`` does.
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: Templates the node's and the console's pages share (the accessibility statement).
SHARED_TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Styles the node's and the console's pages share: the vendored NL Design System files (vendor/).
SHARED_STATIC = Path(__file__).resolve().parent / "static"
DOMAIN = "messages"


def catalogue_path(locale: str = "nl") -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(locale: str = "nl") -> Catalog:
    with catalogue_path(locale).open("rb") as fh:
        return read_po(fh, locale=locale, domain=DOMAIN)


def translations(locale: str = "nl") -> Translations:
    buffer = io.BytesIO()
    write_mo(buffer, read_catalogue(locale))
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)
