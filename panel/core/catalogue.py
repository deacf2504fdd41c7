"""The current locale's translations, looked up once per request and locale.

Flask-Babel finds the catalogue through half a dozen context lookups on every call; a list page
of fifty rows makes a few hundred such calls and spent about half of its time in them. The
catalogue found is kept on Flask-Babel's own context beside the locale it belongs to, so that
`force_locale` (mails in the recipient's language) still gets its own."""

from weakref import WeakKeyDictionary

import flask_babel
from babel.support import NullTranslations
from flask import Flask, g, has_app_context
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

# Enough for every message of the templates; a message made at run time is not kept beyond it.
KEPT_MESSAGES = 4096

_rendered: WeakKeyDictionary = WeakKeyDictionary()


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


def kept_for(store: WeakKeyDictionary, translations: NullTranslations) -> dict:
    """STORE's entries for one catalogue: what was translated once in its locale."""
    kept = store.get(translations)
    if kept is None:
        kept = store[translations] = {}
    return kept


@pass_context
def template_gettext(context: Context, message: str, **variables) -> str:
    """Jinja's newstyle gettext (escaped where the template escapes, always %-formatted), with
    a message without variables rendered once per catalogue: a list page asks for its column
    labels again on every row."""
    autoescape = context.eval_ctx.autoescape
    translations = catalogue()
    if variables or type(message) is not str:
        return _formatted(translations.ugettext(message), autoescape, variables)
    kept = kept_for(_rendered, translations)
    text = kept.get((message, autoescape))
    if text is None:
        text = _formatted(translations.ugettext(message), autoescape, {})
        if len(kept) < KEPT_MESSAGES:
            kept[(message, autoescape)] = text
    return text


def _formatted(text: str, autoescape: bool, variables: dict) -> str:
    # As Jinja's own gettext: the variables are escaped by the %.
    trusted = Markup(text) if autoescape else text  # noqa: S704  # nosec B704  # our catalogue
    return trusted % variables


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
    app.jinja_env.globals.update(gettext=template_gettext, _=template_gettext)
