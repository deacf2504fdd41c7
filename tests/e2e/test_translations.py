"""The German catalogue is complete and the template (.pot) is up to date with the code, so a
new untranslated UI string fails the suite."""

from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "panel" / "translations"
POT = TRANSLATIONS / "messages.pot"
GERMAN = TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po"
UPDATE_HINT = (
    "run: pybabel extract -F babel.cfg -k _l -k lazy_gettext -o panel/translations/messages.pot . "
    "&& pybabel update -i panel/translations/messages.pot -d panel/translations, then translate"
)


def read_catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def msgids(catalog) -> set:
    return {message.id for message in catalog if message.id}


@pytest.fixture(scope="module")
def german():
    return read_catalog(GERMAN)


def test_pot_is_up_to_date_with_the_code(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    fresh = tmp_path / "fresh.pot"
    keywords = ["-k", "_l", "-k", "lazy_gettext"]
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", "babel.cfg", *keywords, "-o", str(fresh), "."]
    )
    new = msgids(read_catalog(fresh)) - msgids(read_catalog(POT))
    assert not new, f"strings missing from messages.pot ({UPDATE_HINT}): {sorted(map(str, new))}"


def test_every_string_has_a_german_translation(german):
    by_id = {message.id: message for message in german if message.id}
    missing = sorted(map(str, msgids(read_catalog(POT)) - set(by_id)))
    assert not missing, f"not in the German catalogue ({UPDATE_HINT}): {missing}"
    untranslated = sorted(
        str(message.id)
        for message in by_id.values()
        if message.fuzzy
        or not message.string
        or (isinstance(message.string, tuple) and not all(message.string))
    )
    assert not untranslated, f"German translation empty or fuzzy: {untranslated}"


def test_german_translations_keep_their_placeholders(german):
    problems = [
        f"{message.id!r}: {error}"
        for message, errors in german.check()
        for error in errors
        if message.id
    ]
    assert not problems, problems


def test_catalogue_has_no_stale_fuzzy_header(german):
    assert german.locale_identifier == "de"
    assert not german.fuzzy
