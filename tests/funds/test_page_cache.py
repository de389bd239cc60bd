"""The anonymous visitors' page cache (portal/core/page_cache.py): a repeat view runs no statement, and nobody
is shown a page that is not theirs: signed-in people, other languages and visitors with a session always get
a fresh page, and a committed gift empties the cache."""
import re

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


# --- the part everyone sees alike, kept for signed-in people too (page_cache.cached_part) -------------

def _sign_in_minutes_ago(client, login_as, user) -> None:
    """Sign in, then forget when: the sign-in POST marked the session as having just written, and for a few
    seconds after a write the visitor's parts are built fresh."""
    if client.get("/login").status_code != 200:  # whoever was signed in leaves
        client.post_form("/logout", token_from="/")
    login_as(user)
    with client.session_transaction() as session:
        session.pop("wrote_at", None)


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)  # each render signs a new one


# a table only the public part of each page reads: it must not be read again while the part is kept
PART_TABLES = {"/campaigns/{campaign}": "donations", "/funds/{fund}": "ledger_entries",
               "/projects/": "service_projects"}


@pytest.mark.parametrize("path", list(PART_TABLES))
def test_a_signed_in_repeat_view_reuses_the_public_part_around_their_own_header(
        client, count_queries, login_as, world, cache_on, path):
    part_table = PART_TABLES[path]
    path = path.format(campaign=world.campaign.id, fund=world.fund.id)
    _sign_in_minutes_ago(client, login_as, world.resident)
    first, fresh = _view(client, count_queries, path)
    with count_queries() as statements:
        again = client.get(path, headers=EN).get_data(as_text=True)
    assert _without_tokens(again) == _without_tokens(first) and 0 < len(statements) < fresh
    assert not [statement for statement in statements if part_table in statement]
    assert world.resident.display_name in again
    _sign_in_minutes_ago(client, login_as, world.other_resident)  # their own header around the same part
    with count_queries() as statements:
        theirs = client.get(path, headers=EN).get_data(as_text=True)
    assert not [statement for statement in statements if part_table in statement]
    assert world.other_resident.display_name in theirs and world.resident.display_name not in theirs


def test_a_gift_committed_in_another_process_shows_at_once(client, count_queries, login_as, world, cache_on):
    """The campaign's part is keyed by its stored total: another worker's gift (which cannot empty this
    process's cache) changes the key, so no signed-in visitor sees the old gifts list."""
    _sign_in_minutes_ago(client, login_as, world.resident)
    path = f"/campaigns/{world.campaign.id}"
    before, _statements = _view(client, count_queries, path)
    assert "1,234.56" not in before
    make_gift(world.fund, 123_456, campaign=world.campaign, donor=world.other_resident, donor_name="钱先生")
    db.session.info.pop("page_cache.stale", None)  # as if committed by another process: this one is not told
    db.session.commit()
    after, _statements = _view(client, count_queries, path)
    assert "1,234.56" in after and "钱先生" in after


def test_whoever_changed_something_sees_it_at_once(client, count_queries, login_as, world, cache_on):
    """A team formed is no money move and does not change the key; the person who formed it sees it
    at once (the session remembers their write), others within PAGE_CACHE_SECONDS."""
    path = f"/campaigns/{world.campaign.id}"
    _sign_in_minutes_ago(client, login_as, world.resident)
    assert "红马甲" not in _view(client, count_queries, path)[0]
    _html, kept = _view(client, count_queries, path)
    response = client.post_form(f"{path}/teams/new", {"name": "红马甲", "goal": "500", "story": ""})
    assert response.status_code == 302
    html, statements = _view(client, count_queries, path)
    assert "红马甲" in html and statements > kept
    assert f'href="/give/campaign/{world.campaign.id}?team=' in html  # their Give button gives through it


def test_a_member_sees_their_drafts_although_the_public_list_is_kept(client, count_queries, login_as, world,
                                                                      cache_on):
    from portal.accounts import roles
    from tests.factories.accounts import UserFactory, grant
    from tests.factories.orgs import make_organisation
    from tests.factories.projects import make_project

    organisation = make_organisation(world.admin, world.tree["community"], status="verified")
    member = UserFactory(display_name="机构小周", locale="en")
    grant(member, roles.ORG_ADMIN, organisation)
    make_project(organisation, member, [world.tree["community"]], status="published", title="公开的助餐项目")
    make_project(organisation, member, [world.tree["community"]], status="draft", title="还没发布的草稿")
    db.session.commit()
    _sign_in_minutes_ago(client, login_as, world.resident)
    public, _statements = _view(client, count_queries, "/projects/")
    assert "公开的助餐项目" in public and "还没发布的草稿" not in public
    _sign_in_minutes_ago(client, login_as, member)
    theirs, _statements = _view(client, count_queries, "/projects/")
    assert "公开的助餐项目" in theirs and "还没发布的草稿" in theirs
