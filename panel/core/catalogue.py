"""The current locale's translations, looked up once per request and locale.

Flask-Babel finds the catalogue through half a dozen context lookups on every call; a list page
of fifty rows makes a few hundred such calls and spent about half of its time in them. The
catalogue found is kept on Flask-Babel's own context beside the locale it belongs to, so that
`force_locale` (mails in the recipient's language) still gets its own."""

import flask_babel
from babel.support import NullTranslations
from flask import Flask, g, has_app_context


def catalogue() -> NullTranslations:
    if not has_app_context():
        return flask_babel.get_translations()
    space = g.get("_flask_babel")
    held = getattr(space, "panel_catalogue", None)
    if held is not None and held[0] is getattr(space, "babel_locale", None):
        return held[1]
    translations = flask_babel.get_translations()
    space = g.get("_flask_babel")
    if space is not None:
        space.panel_catalogue = (getattr(space, "babel_locale", None), translations)
    return translations


def install(app: Flask) -> None:
    """Templates translate through the kept catalogue (after Flask-Babel has set up Jinja)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: catalogue().ugettext(text),
        ngettext=lambda singular, plural, n: catalogue().ungettext(singular, plural, n),
        newstyle=True,
        pgettext=lambda context, text: catalogue().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: catalogue().unpgettext(
            context, singular, plural, n
        ),
    )
