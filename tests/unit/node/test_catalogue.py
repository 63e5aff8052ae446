"""The Dutch catalogue covers every text of the node's pages: nothing shows up untranslated."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from exchange.i18n import catalogue_path, read_catalogue, translations

ROOT = Path(__file__).resolve().parents[3]


def _used_msgids() -> set[str]:
    """What ``pybabel extract -F babel.cfg`` finds in the node's and the console's templates and modules."""
    found: set[str] = set()
    method_map = [
        ("exchange/node/templates/**.html", "jinja2"),
        ("exchange/node/**.py", "python"),
        ("exchange/console/templates/**.html", "jinja2"),
        ("exchange/console/**.py", "python"),
        ("exchange/templates/**.html", "jinja2"),
    ]
    options = {
        "exchange/node/templates/**.html": {"extensions": "jinja2.ext.i18n"},
        "exchange/console/templates/**.html": {"extensions": "jinja2.ext.i18n"},
        "exchange/templates/**.html": {"extensions": "jinja2.ext.i18n"},
    }
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, options_map=options
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_text_of_the_templates_has_a_dutch_translation() -> None:
    """Each msgid the templates use is in the catalogue, translated and not fuzzy."""
    catalogue = read_catalogue("nl")
    used = _used_msgids()
    assert len(used) > 20  # the extraction really ran over the templates
    missing = sorted(m for m in used if m not in catalogue)
    untranslated = sorted(m for m in used if m in catalogue and not catalogue[m].string)
    fuzzy = sorted(m for m in used if m in catalogue and catalogue[m].fuzzy)
    assert (missing, untranslated, fuzzy) == ([], [], [])


def test_the_catalogue_holds_no_stale_entries() -> None:
    """Every entry is still used somewhere (the node's or the console's pages)."""
    used = _used_msgids()
    stale = sorted(m.id for m in read_catalogue("nl") if m.id and m.id not in used)
    assert stale == []


def test_the_compiled_catalogue_translates() -> None:
    """The .po is compiled in memory; placeholders survive translation."""
    t = translations()
    assert t.gettext("Sign in") == "Aanmelden"
    assert t.gettext("Signed in as %(name)s") % {"name": "j.jansen"} == "Aangemeld als j.jansen"
    assert catalogue_path().is_file() and catalogue_path().parts[-4:] == (
        "locale",
        "nl",
        "LC_MESSAGES",
        "messages.po",
    )


def test_the_wheel_ships_the_catalogue_and_static_files() -> None:
    """pyproject's package-data names the catalogue, templates, styles and migrations of the node,
    and the NL Design System files the node and the console share."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for pattern in (
        '"locale/*/LC_MESSAGES/*.po"',
        '"node/templates/*"',
        '"node/static/*"',
        '"static/vendor/utrecht/*"',
        '"node/migrations/versions/*.py"',
    ):
        assert pattern in text
