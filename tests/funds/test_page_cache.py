"""The anonymous visitors' page cache (portal/core/page_cache.py): a repeat view runs no statement, and nobody
is shown a page that is not theirs: signed-in people, other languages and visitors with a session always get
a fresh page, and a committed gift empties the cache."""
import pytest

from portal.core import page_cache
from portal.extensions import db
from tests.factories.funds import make_gift
from tests.funds.conftest import EN

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def cache_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 5)
    page_cache.clear()
    yield
    page_cache.clear()


def _view(client, count_queries, path, headers=EN):
    with count_queries() as statements:
        response = client.get(path, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True), len(statements)


@pytest.mark.parametrize("path", ["/campaigns/{campaign}", "/funds/{fund}", "/projects/"])
def test_a_repeat_anonymous_view_runs_no_statement(client, count_queries, world, cache_on, path):
    path = path.format(campaign=world.campaign.id, fund=world.fund.id)
    first, statements = _view(client, count_queries, path)
    assert statements > 0
    again, statements = _view(client, count_queries, path)
    assert (again, statements) == (first, 0)


def test_the_cache_is_off_unless_configured(client, count_queries, world):
    _view(client, count_queries, f"/funds/{world.fund.id}")
    _html, statements = _view(client, count_queries, f"/funds/{world.fund.id}")
    assert statements > 0


def test_each_language_has_its_own_copy(client, count_queries, world, cache_on):
    path = f"/campaigns/{world.campaign.id}"
    english, _statements = _view(client, count_queries, path, EN)
    chinese, statements = _view(client, count_queries, path, ZH)
    assert statements > 0
    assert 'lang="en"' in english and 'lang="zh-CN"' in chinese
    assert _view(client, count_queries, path, ZH) == (chinese, 0)


def test_a_signed_in_visitor_gets_a_fresh_page(client, count_queries, login_as, world, cache_on):
    path = f"/campaigns/{world.campaign.id}"
    _view(client, count_queries, path)
    login_as(world.resident)
    html, statements = _view(client, count_queries, path)
    assert statements > 0
    assert world.resident.display_name in html


def test_a_visitor_with_a_session_gets_a_fresh_page(client, count_queries, world, cache_on):
    path = f"/funds/{world.fund.id}"
    _view(client, count_queries, path)
    client.get("/login", headers=EN)  # the sign-in form puts a CSRF token into the session
    _html, statements = _view(client, count_queries, path)
    assert statements > 0


def test_a_committed_gift_empties_the_cache(client, count_queries, world, cache_on):
    path = f"/campaigns/{world.campaign.id}"
    before, _statements = _view(client, count_queries, path)
    assert "1,234.56" not in before
    make_gift(world.fund, 123_456, campaign=world.campaign, donor=world.resident)
    db.session.commit()
    after, statements = _view(client, count_queries, path)
    assert statements > 0
    assert "1,234.56" in after


def test_a_copy_expires_after_the_configured_seconds(client, count_queries, world, cache_on, monkeypatch):
    path = "/projects/"
    _view(client, count_queries, path)
    now = page_cache.time.monotonic()
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: now + 5.1)
    _html, statements = _view(client, count_queries, path)
    assert statements > 0
