"""Locale helpers: the portal speaks zh_CN (default) and en."""
from flask import g, has_app_context
from flask_babel import Domain, get_locale
from jinja2 import pass_eval_context
from markupsafe import Markup


def current_locale_code() -> str:
    """'zh_CN' or 'en' (Babel reports zh_CN as zh_Hans_CN)."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


def request_translations():
    """flask-babel's catalogue for the current locale, looked up once per locale and request.

    flask-babel's gettext resolves the domain, the locale (and its string name) and its catalogue cache on
    every call; a page makes dozens to hundreds of calls, templates and lazy labels together
    (BENCHMARKS.md). The locale object is the cache key, so force_locale (a notification in its reader's
    language) still gets its own catalogue.
    """
    if not has_app_context():
        return _DOMAIN.load_translations()
    namespace = g._get_current_object().__dict__  # one context lookup, then plain dict reads
    # flask-babel keeps the request's (or force_locale's) Locale on g._flask_babel; get_locale() sets it
    locale = getattr(namespace.get("_flask_babel"), "babel_locale", None) or get_locale()
    cached = namespace.get("_portal_translations")
    if cached is None or cached[0] is not locale:
        cached = namespace["_portal_translations"] = (locale, _DOMAIN.load_translations())
    return cached[1]


class RequestCachedDomain(Domain):
    """flask-babel's message domain, with the catalogue of a request looked up once (request_translations):
    gettext, lazy_gettext and the templates' _() all go through it."""

    def load_translations(self):
        return super().get_translations()

    def get_translations(self):
        return request_translations()


_DOMAIN = RequestCachedDomain()


def _newstyle(translate, *names):
    """A template callable with jinja2.ext's newstyle semantics, called directly by the template: the text
    translated, marked safe where the template escapes, then %-formatted with the (escaped) keyword arguments;
    `names` are the positional arguments also offered as variables (jinja2.ext offers ngettext's count as
    `num` and pgettext's context as `context`).

    jinja2.ext wraps each installed callable twice (`_` -> gettext -> the callable, each through
    Context.call): three dispatches and a dozen attribute probes per `_()`, about 8 us, and a page makes
    60 to 100 of them (BENCHMARKS.md). These globals replace both wrappers with one call; {% trans %} blocks
    compile to calls of the same globals.
    """
    positions = {"context": 0, "num": -1}

    @pass_eval_context
    def call(eval_context, *args, **variables):
        for name in names:
            variables.setdefault(name, args[positions[name]])
        text = translate(*args)
        if eval_context.autoescape:
            text = Markup(text)
        # "%%" must still become "%" when there are no variables: only a text without "%" skips formatting
        return text % variables if variables or "%" in text else text

    return call


def install(app) -> None:
    """Python's gettext and lazy labels, and the templates' _(), gettext, ngettext and pgettext, read
    request_translations() (same catalogue; in templates the same newstyle escaping and %-formatting
    jinja2.ext gives, through _newstyle)."""
    global _DOMAIN
    _DOMAIN = RequestCachedDomain(domain=app.extensions["babel"].default_domain)
    app.extensions["babel"].instance.domain_instance = _DOMAIN

    def gettext(string):
        return request_translations().ugettext(string)

    def ngettext(singular, plural, n):
        return request_translations().ungettext(singular, plural, n)

    def pgettext(context, string):
        return request_translations().upgettext(context, string)

    def npgettext(context, singular, plural, n):
        return request_translations().unpgettext(context, singular, plural, n)

    app.jinja_env.install_gettext_callables(gettext=gettext, ngettext=ngettext, pgettext=pgettext,
                                            npgettext=npgettext, newstyle=True)  # the extension's settings
    fast_gettext = _newstyle(gettext)
    app.jinja_env.globals.update(_=fast_gettext, gettext=fast_gettext, ngettext=_newstyle(ngettext, "num"),
                                 pgettext=_newstyle(pgettext, "context"),
                                 npgettext=_newstyle(npgettext, "context", "num"))
