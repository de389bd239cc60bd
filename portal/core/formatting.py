"""Jinja filters for money, dates and statuses, in the user's language and Asia/Shanghai time."""
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.lists import format_list
from flask import request, url_for
from flask_babel import format_datetime, format_decimal, get_locale
from markupsafe import Markup, escape

from portal.core.request_cache import request_cache

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the portal's one display time zone (create_app's timezone_selector)


def money(amount_minor: int | None, currency: str = "CNY") -> str:
    """Integer minor units (fen) to a display string: 123456 -> ¥1,234.56."""
    if amount_minor is None:
        return "—"
    sign = "-" if amount_minor < 0 else ""
    yuan, fen = divmod(abs(int(amount_minor)), 100)
    symbol = "¥" if currency == "CNY" else f"{currency} "
    return f"{sign}{symbol}{yuan:,}.{fen:02d}"  # both languages group thousands with "," (zh_CN and en)


def number(value) -> str:
    """Whole numbers grouped as both languages do (1,234) without Babel's pattern parsing on each call:
    a campaign page formats dozens of figures (BENCHMARKS.md); anything else goes through Babel."""
    value = value or 0
    return f"{value:,}" if isinstance(value, int) else format_decimal(value)


def local_datetime(value, style: str = "medium") -> str:
    return "—" if value is None else format_datetime(value, style)


def local_date(value, style: str = "medium") -> str:
    """The day in Asia/Shanghai, formatted once per day, style and language: a ledger page shows 50 entries
    of mostly the same few days, and Babel's formatting was a tenth of that page's time (BENCHMARKS.md)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(SHANGHAI).date()
    return _formatted_day(value, style, str(get_locale() or "zh_CN"))


@lru_cache(maxsize=4096)
def _formatted_day(day: date, style: str, locale: str) -> str:
    return babel_format_date(day, style, locale=locale)


def translated(labels: dict) -> dict:
    """Lazy labels (statuses, kinds, categories) as plain strings in the request's language, translated once
    per page instead of once per row that shows one: a ledger page of 50 entries or a list of 20 projects
    looked up the same few labels 50-60 times (BENCHMARKS.md)."""
    return {key: str(label) for key, label in labels.items()}


def url_for_once(endpoint: str, **values) -> str:
    """url_for, remembered for the request: for a link repeated on many rows (the campaign of each ledger
    entry)."""
    cache = request_cache("url_for_once")
    key = (endpoint, tuple(sorted(values.items())))
    url = cache.get(key)
    if url is None:
        url = cache[key] = url_for(endpoint, **values)
    return url


_fixed_urls: dict[tuple, str] = {}


def fixed_url(endpoint: str, **values) -> str:
    """url_for for a link that is the same on every request (the navigation, the layout's stylesheet, script
    and footer), built once per process: each page has two dozen of them, and each build walks the URL map."""
    key = (request.script_root, endpoint, tuple(sorted(values.items())))
    url = _fixed_urls.get(key)
    if url is None:
        url = _fixed_urls[key] = url_for(endpoint, **values)
    return url


def select_options(options, selected=None, indent_kind: str | None = None) -> Markup:
    """The <option> elements of a filter's <select> (rows with .id and .name; with indent_kind, rows of that
    .kind are indented), built in Python: a loop in the template over a city's hundreds of organisations was
    thousands of template steps per page (BENCHMARKS.md)."""
    parts = []
    for option in options:
        mark = " selected" if selected is not None and option.id == selected else ""
        indent = "\u2003" if indent_kind is not None and option.kind == indent_kind else ""
        parts.append(f'<option value="{escape(option.id)}"{mark}>{indent}{escape(option.name)}</option>')
    return Markup("".join(parts))


def listed(items) -> str:
    """Names joined as the reader's language joins a list: "微信支付和支付宝", "WeChat Pay and Alipay"."""
    return format_list([str(item) for item in items], locale=str(get_locale() or "zh_CN"))


def register(app) -> None:
    from portal.core import i18n

    i18n.install(app)
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["datetime"] = local_datetime
    app.jinja_env.filters["date"] = local_date
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["translated"] = translated
    app.jinja_env.filters["listed"] = listed
    app.jinja_env.globals["url_for_once"] = url_for_once
    app.jinja_env.globals["fixed_url"] = fixed_url
    app.jinja_env.globals["select_options"] = select_options
    from portal.core.markdown import render_markdown

    app.jinja_env.filters["markdown"] = render_markdown
