"""Pages translate through a catalogue looked up once per request and locale
(panel/core/catalogue.py), and a locale forced for a mail still gets its own."""

import flask_babel
import pytest
from babel.support import Translations
from flask import render_template_string
from flask_babel import force_locale

from panel.core.labels import label

TEMPLATE = "{{ _('Log out') }} {{ 'active' | label }}"


def test_a_forced_locale_translates_in_its_language_and_the_request_in_its_own_after(app):
    # Each request has its own context, as a served one does.
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "de"}):
        assert render_template_string(TEMPLATE) == "Abmelden aktiv"
        with force_locale("en"):
            assert render_template_string(TEMPLATE) == "Log out active"
            assert label("active") == "active"
        assert render_template_string(TEMPLATE) == "Abmelden aktiv"
        assert label("active") == "aktiv"
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}):
        assert render_template_string(TEMPLATE) == "Log out active"


def test_a_value_without_a_label_is_shown_as_it_is(app):
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "de"}):
        assert label("something-else") == "something-else"
        assert label(42) == "42"


@pytest.fixture
def catalogue_lookups(monkeypatch):
    """How often Flask-Babel is asked for the catalogue."""
    calls = []
    original = flask_babel.get_translations

    def counted():
        calls.append(1)
        return original()

    monkeypatch.setattr(flask_babel, "get_translations", counted)
    return calls


def test_templates_format_and_escape_as_jinjas_own_gettext(app):
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}):
        assert render_template_string("{{ _('100%% sure') }}") == "100% sure"
        assert render_template_string("{{ _('Page %(page)s', page='<b>') }}") == "Page &lt;b&gt;"
        assert (
            render_template_string(
                "{% autoescape false %}{{ _('Page %(page)s', page='<b>') }}{% endautoescape %}"
            )
            == "Page <b>"
        )
        assert render_template_string("{% trans n=2 %}Page {{ n }}{% endtrans %}") == "Page 2"


@pytest.fixture
def translated(monkeypatch):
    """The messages the catalogues are asked to translate."""
    asked = []
    original = Translations.ugettext

    def counted(self, message):
        asked.append(message)
        return original(self, message)

    monkeypatch.setattr(Translations, "ugettext", counted)
    return asked


def test_a_list_of_fifty_rows_looks_the_catalogue_up_once_and_its_labels_once(
    login_as, make_member, make_webspace, catalogue_lookups, translated
):
    member = make_member()
    for _ in range(50):
        make_webspace(member)
    client, _ = login_as("admin")
    client.get("/webspaces", headers={"Accept-Language": "de"})
    catalogue_lookups.clear()
    translated.clear()
    page = client.get("/webspaces", headers={"Accept-Language": "de"})
    assert page.status_code == 200 and "aktiv" in page.text
    assert page.text.count('data-label="Letzter Auftrag"') >= 50
    assert len(catalogue_lookups) <= 2
    # Messages with variables (the pager's) are formatted anew; none of the rows' labels is.
    assert "Last job" not in translated and len(translated) < 10, translated
