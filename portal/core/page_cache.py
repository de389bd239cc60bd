"""A few seconds' cache of the busiest public pages as an anonymous visitor sees them (BENCHMARKS.md, issue 9).

On a giving day thousands of people without an account open the same campaign page; each view ran the
page's statements and rendered its templates again, although it showed the same thing as the view a moment
before. Pages named with `cached_for_visitors` keep their rendered response for PAGE_CACHE_SECONDS (0 turns
the cache off; the tests run with it off unless a test turns it on) in each worker process's memory:

- only GET requests that carry no session and no remember-me cookie are served from or stored in the cache,
  so anyone signed in (or with a flash message, a CSRF token or anything else in their session) always gets
  a fresh page;
- a response is stored only when it is a 200 that set no cookie and left the session untouched (a page that
  put a CSRF token into the session for its forms is never stored: the token belongs to one visitor);
- the key is the host, the path with its query string and the language the visitor is served in (the
  language cookie or Accept-Language, as portal.select_locale decides for a visitor without an account);
- a gift (any ledger entry) committed in a process empties that process's cache at once; other worker
  processes show it when their copy expires, so a gift is on every page within PAGE_CACHE_SECONDS.

The trade-off, stated: for up to PAGE_CACHE_SECONDS an anonymous visitor may see a total, a donor count or
a project that is that many seconds old; other changes (a campaign's story edited, a project published or
closed) are not tracked and show within that time too. Signed-in people, forms and every POST are not
affected. Each worker keeps its own copies (at most 512 pages), so the database sees one render per page,
language and worker every PAGE_CACHE_SECONDS however many visitors come.

Signed-in people get the same pages with their own header and buttons, so their page cannot be shared; but
the part of it everyone sees alike (a campaign's gifts, teams and leaderboards; a fund's figures and ledger;
the project list) can. `cached_part` keeps such a part, rendered, for PAGE_CACHE_SECONDS in the same store
(Rails' fragment caching, Django's `{% cache %}`), under a key that names what it shows: a campaign's part is
keyed by its stored total, donor count and status, so a gift committed in any process shows at once, and
other changes (a team formed, a project published) within the seconds, as above. While gifts stream in, a
campaign's part is so rebuilt at most once per gift and process: its cost follows the rate of gifts, never the
number of visitors. Two rules keep it honest:

- a part is built from public data only and holds rendered HTML and plain values, never ORM objects (they
  belong to one request's session) and nothing of the viewer's (its template is rendered without the request's
  context processors, so `current_user` is not there to use);
- whoever changed something sees it at once: a POST, PUT, PATCH or DELETE by a visitor with a session marks
  the session, and for PAGE_CACHE_SECONDS after it that visitor's parts are built fresh ("read your writes").
"""
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, g, has_app_context, request, session
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.orm import Session

_MAX_ENTRIES = 512  # distinct (path, query, language) pages kept per process; oldest dropped first
_STALE = "page_cache.stale"
_WROTE_AT = "wrote_at"  # the session key: when this visitor last changed something (epoch seconds)
_SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
_lock = threading.Lock()
T = TypeVar("T")


def _entries() -> dict[tuple, tuple[float, bytes, int, list]]:
    return current_app.extensions["page_cache"]


def cached_for_visitors(view):
    """Mark a page (the outermost decorator, just under the route) as served from the cache to anonymous
    visitors (see the module's docstring). The view function itself is not wrapped, so its declared policy
    (route_policy, route_check) stays the one the authorization matrix swaps and checks."""
    view.cached_for_visitors = True
    return view


def init_app(app, locale_of) -> None:
    """Requests hooks: a hit answers before the view runs (no statement); a miss stores the view's response.
    Registered after the other request hooks, so the address check and rate limits still come first.
    `locale_of()` names the language a request is answered in (the app's own selector: core imports no shell)."""
    app.extensions["page_cache"] = {}
    app.extensions["page_cache_locale"] = locale_of
    app.before_request(_serve_from_cache)
    app.after_request(_store)
    app.after_request(_remember_a_write)


def _key():
    view = current_app.view_functions.get(request.endpoint)
    if not getattr(view, "cached_for_visitors", False):
        return None
    seconds = current_app.config.get("PAGE_CACHE_SECONDS") or 0
    if seconds <= 0 or request.method != "GET" or not _anonymous_visitor():
        return None
    return request.host, request.full_path, current_app.extensions["page_cache_locale"]()


def _serve_from_cache():
    key = _key()
    if key is None:
        return None
    hit = _entries().get(key)
    if hit is not None and hit[0] > time.monotonic():
        _expires, body, status, headers = hit
        return current_app.response_class(body, status=status, headers=headers)
    g.page_cache_key = key
    return None


def _store(response):
    key = g.pop("page_cache_key", None)
    if key is None or not _storable(response):
        return response
    headers = [(name, value) for name, value in response.headers.items() if name.lower() != "content-length"]
    seconds = current_app.config["PAGE_CACHE_SECONDS"]
    _put(key, (time.monotonic() + seconds, response.get_data(), response.status_code, headers))
    return response


def _put(key, entry: tuple) -> None:
    """Store an entry whose first item is its expiry (time.monotonic); the oldest quarter goes when full."""
    entries = _entries()
    with _lock:
        if len(entries) >= _MAX_ENTRIES:
            for old in sorted(entries, key=lambda k: entries[k][0])[:_MAX_ENTRIES // 4]:
                entries.pop(old, None)
        entries[key] = entry


def cached_part(name: str, version: tuple, build: Callable[[], T]) -> T:
    """The part of a page everyone sees alike, built by `build()` at most once per PAGE_CACHE_SECONDS for each
    `version` and language in each process (see the module's docstring). `version` names the rows the part
    shows, e.g. (campaign id, raised, donors, status); `build` returns rendered HTML (`render_part`) and plain
    values. A value of one person's is kept the same way under a version naming them (the campaign page's
    "my_team": (campaign id, user id)). With the cache off, or for a visitor who changed something moments ago,
    it is built fresh."""
    seconds = current_app.config.get("PAGE_CACHE_SECONDS") or 0
    if seconds <= 0:
        return build()
    key = ("part", name, version, current_app.extensions["page_cache_locale"]())
    now = time.monotonic()
    if not _wrote_just_now(seconds):
        hit = _entries().get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
    value = build()
    _put(key, (now + seconds, value))
    return value


def render_part(template_name: str, **context) -> Markup:
    """Render a part's template with only the context given (and the environment's globals and filters): no
    context processor runs, so the part cannot show who is looking."""
    return Markup(current_app.jinja_env.get_template(template_name).render(**context))


def _wrote_just_now(seconds: float) -> bool:
    wrote_at = session.get(_WROTE_AT) if request.cookies else None
    return wrote_at is not None and time.time() - wrote_at < seconds


def _remember_a_write(response):
    """Mark the session of a visitor who sent a change, so the parts they see next are built fresh."""
    if (request.method not in _SAFE_METHODS and (session or session.modified)
            and (current_app.config.get("PAGE_CACHE_SECONDS") or 0) > 0):
        session[_WROTE_AT] = round(time.time(), 1)
    return response


def _anonymous_visitor() -> bool:
    cookies = request.cookies
    return (current_app.config["SESSION_COOKIE_NAME"] not in cookies
            and current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") not in cookies)


def _storable(response) -> bool:
    return (response.status_code == 200 and not response.direct_passthrough and not response.is_streamed
            and "Set-Cookie" not in response.headers and not session.modified and not g.get("set_lang_cookie"))


def clear() -> None:
    """Empty this process's cache of the current app (a no-op outside an app context)."""
    if has_app_context() and "page_cache" in current_app.extensions:
        with _lock:
            _entries().clear()


def mark_stale(db_session) -> None:
    """What the ledger calls when it posts an entry: the process's cached pages go when that commits."""
    db_session.info[_STALE] = True


@event.listens_for(Session, "after_commit")
def _after_commit(db_session) -> None:
    if db_session.info.pop(_STALE, None):
        clear()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(db_session, _previous_transaction) -> None:
    if not db_session.in_transaction():
        db_session.info.pop(_STALE, None)
