"""Locale helpers: the portal speaks zh_CN (default) and en."""
from flask_babel import get_locale


def current_locale_code() -> str:
    """'zh_CN' or 'en' (Babel reports zh_CN as zh_Hans_CN)."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"
