"""Every UI string has a Chinese translation, placeholders survive, and the compiled catalogue is current."""
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "portal/translations/zh/LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]")
# as scripts/i18n.sh extracts them; pgettext tells apart one English word with two meanings ("Verified")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2)}
METHODS = [("portal/**.py", "python"), ("analytics/**.py", "python"), ("templates/**.html", "jinja2")]


def _source_messages() -> set[tuple[str, str | None]]:
    """(message, context) pairs; the context is None for plain gettext."""
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {}}):
        found.add((message if isinstance(message, str) else message[0], context))
    return {(m, context) for m, context in found if m}


def _catalogue():
    with (CATALOGUE / "messages.po").open("rb") as handle:
        return read_po(handle, locale="zh")


def test_every_string_in_the_code_is_translated():
    catalogue = _catalogue()

    def translated(message, context) -> bool:
        entry = catalogue.get(message, context=context)
        return bool(entry and (entry.string if isinstance(entry.string, str) else entry.string[0]))

    missing = sorted((m for m, context in _source_messages() if not translated(m, context)), key=str)
    assert not missing, f"{len(missing)} strings lack a Chinese translation (run scripts/i18n.sh): {missing[:20]}"


def test_one_english_word_with_two_meanings_has_a_translation_for_each():
    """"Verified" is an organisation's status (认证) and an hour record's (核实): two contexts, two words."""
    catalogue = _catalogue()
    organisation = catalogue.get("Verified", context="organisation status")
    hours = catalogue.get("Verified", context="volunteer hours")
    assert organisation and hours and organisation.string != hours.string
    assert ("Verified", None) not in _source_messages()


def test_placeholders_survive_translation():
    wrong = []
    for message in _catalogue():
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        target = message.string if isinstance(message.string, str) else (message.string or ("",))[0]
        if not target:
            continue
        if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target)):
            wrong.append((source, target))
    assert not wrong, wrong[:10]


def test_compiled_catalogue_matches_the_po_file():
    with (CATALOGUE / "messages.mo").open("rb") as handle:
        compiled = Translations(handle)
    stale = []
    for message in _catalogue():
        current = message.id and isinstance(message.id, str) and message.string and not message.fuzzy
        shown = (compiled.pgettext(message.context, message.id) if message.context
                 else compiled.gettext(message.id)) if current else None
        if current and shown != message.string:
            stale.append(message.id)
    assert not stale, f"messages.mo is stale, run scripts/i18n.sh: {stale[:10]}"
