"""Every word of the web pages and the notices is in the message catalogue, and English is
compiled."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.support import Translations

from takedown.catalogue import LOCALES, translations

# Where visible words are: the pages and the update e-mails (takedown/babel.cfg says the same).
SOURCES = [LOCALES.parent / "web", LOCALES.parent / "notices"]


def _extracted() -> set[str]:
    method_map = [
        ("**.py", "python"),
        ("**/templates/**.html", "jinja2"),
        ("**/templates/**.txt", "jinja2"),
    ]
    options = {
        "**/templates/**.html": {"extensions": "jinja2.ext.i18n"},
        "**/templates/**.txt": {"extensions": "jinja2.ext.i18n"},
    }
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    ids = set()
    for source in SOURCES:
        found = extract_from_dir(str(source), method_map, options, keywords=keywords)
        for _, _, message, _, _ in found:
            ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_the_message_template_holds_every_word_of_the_pages() -> None:
    with open(LOCALES / "messages.pot", "rb") as handle:
        catalogue = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    missing = _extracted() - catalogue
    assert not missing, f"run scripts/catalogues; not in messages.pot: {sorted(missing)[:5]}"


def test_the_english_catalogue_is_compiled_and_loaded() -> None:
    loaded = translations("en")
    assert isinstance(loaded, Translations)
    assert loaded.gettext("A child is involved in sexual content") == (
        "A child is involved in sexual content"
    )
    assert (LOCALES / "en" / "LC_MESSAGES" / "messages.po").exists()
