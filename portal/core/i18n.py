"""Locale helpers: the portal speaks zh_CN (default) and en."""
from flask import g, has_app_context
from flask_babel import Domain, get_locale


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
    # flask-babel keeps the request's (or force_locale's) Locale on g._flask_babel; get_locale() sets it
    locale = getattr(g.get("_flask_babel"), "babel_locale", None) or get_locale()
    cached = g.get("_portal_translations")
    if cached is None or cached[0] is not locale:
        cached = (locale, _DOMAIN.load_translations())
        g._portal_translations = cached
    return cached[1]


class RequestCachedDomain(Domain):
    """flask-babel's message domain, with the catalogue of a request looked up once (request_translations):
    gettext, lazy_gettext and the templates' _() all go through it."""

    def load_translations(self):
        return super().get_translations()

    def get_translations(self):
        return request_translations()


_DOMAIN = RequestCachedDomain()


def install(app) -> None:
    """Python's gettext and lazy labels, and the templates' _(), gettext, ngettext and pgettext, read
    request_translations() (same catalogue; in templates the same newstyle escaping and %-formatting
    flask-babel installs)."""
    global _DOMAIN
    _DOMAIN = RequestCachedDomain(domain=app.extensions["babel"].default_domain)
    app.extensions["babel"].instance.domain_instance = _DOMAIN
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: request_translations().ugettext(string),
        ngettext=lambda singular, plural, n: request_translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: request_translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: request_translations().unpgettext(context, singular,
                                                                                         plural, n),
        newstyle=True)
