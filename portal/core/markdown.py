"""Markdown written by people (campaign stories, updates) rendered to HTML that is safe to show.

Two layers: markdown-it-py in CommonMark mode with raw HTML off (so `<script>` stays text), then nh3
(Ammonia) keeps only an allow-list of tags and attributes, links to http/https/mailto (or our own
pages) marked rel="nofollow noopener", and images only from this site (relative URLs such as
/campaigns/3/images/5 or /uploads/...): a remote image would leak readers' addresses to its host.
"""
from functools import lru_cache
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre", "hr",
                "h3", "h4", "h5", "h6", "img"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
LINK_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener"
# Headings inside a story sit below the page's own h1 and section h2s.
HEADING_SHIFT = 2

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def _is_own_url(value: str) -> bool:
    """A path on this site: no scheme, no host, not a protocol-relative or backslash trick."""
    value = value.strip()
    if not value or value.startswith(("//", "\\", "/\\")) or "\\" in value:
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if _is_own_url(value) else None
    if tag == "a" and attribute == "href":
        scheme = urlsplit(value.strip()).scheme.lower()
        return value if (scheme in LINK_SCHEMES or (not scheme and _is_own_url(value))) else None
    return value


def _shift_headings(tokens) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(6, int(token.tag[1]) + HEADING_SHIFT)
            token.tag = f"h{level}"


def render_markdown(text: str | None) -> Markup:
    """Markdown source -> sanitised HTML (a Markup, so Jinja does not escape it again)."""
    if not text:
        return Markup("")
    return _rendered(str(text))


@lru_cache(maxsize=512)
def _rendered(text: str) -> Markup:
    """The HTML of one source text, kept per process: a campaign's story and updates, or a project's
    description, are shown on every view of their page and parsing and sanitising them is the same work
    each time (the output depends on the text alone)."""
    env: dict = {}
    tokens = _parser.parse(text, env)
    _shift_headings(tokens)
    html = _parser.renderer.render(tokens, _parser.options, env)
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, attribute_filter=_filter_attribute,
                      url_schemes=LINK_SCHEMES, link_rel=LINK_REL, strip_comments=True)
    return Markup(clean)  # sanitised just above
