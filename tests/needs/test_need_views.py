"""Needs pages: the board (subtree, order, fixed query count), posting with and without JavaScript, the
duplicate suggestions endpoint, backing twice, triage scoped to the place's community worker, the chain."""
import re

from sqlalchemy import func, select

from portal.accounts import roles
from portal.extensions import db
from portal.needs.models import MERGED, Need, NeedBacking
from portal.orgs.models import VERIFIED
from tests.factories.accounts import UserFactory, grant
from tests.factories.needs import make_need
from tests.factories.orgs import make_organisation
from tests.factories.projects import make_indicator, make_project, make_report

EN = {"Accept-Language": "en"}


def test_the_board_sorts_by_backing_then_age_within_the_place(client, tree):
    poster = UserFactory()
    old = make_need(tree["grid"], poster, title="旧的需求", age_days=30, backers=[UserFactory()])
    new = make_need(tree["community"], poster, title="新的需求", age_days=1, backers=[UserFactory()])
    top = make_need(tree["grid2"], poster, title="最多人支持", backers=[UserFactory() for _ in range(4)])
    make_need(tree["community2"], poster, title="别的社区")
    html = client.get(f"/needs/?place={tree['community'].id}", headers=EN).get_data(as_text=True)
    order = [title for title in re.findall(r'<a href="/needs/\d+">([^<]+)</a>', html)]
    assert order == [top.title, old.title, new.title]


def test_the_board_hides_merged_and_declined_unless_asked(client, tree):
    make_need(tree["community"], UserFactory(), title="已合并的", status=MERGED)
    assert "已合并的" not in client.get("/needs/").get_data(as_text=True)
    assert "已合并的" in client.get("/needs/?status=all").get_data(as_text=True)
    assert "已合并的" in client.get("/needs/?status=merged").get_data(as_text=True)


def test_the_board_runs_a_fixed_number_of_queries(client, login_as, count_queries, tree, resident):
    def grow(count):
        for n in range(count):
            make_need(tree["grid" if n % 2 else "community"], UserFactory(), title=f"需求{count}-{n}",
                      backers=[resident] if n % 3 == 0 else ())

    login_as(resident)  # signed in: the page also marks what this person backs
    grow(3)
    with count_queries() as few:
        assert client.get(f"/needs/?place={tree['street'].id}").status_code == 200
    grow(22)
    with count_queries() as many:
        html = client.get(f"/needs/?place={tree['street'].id}", headers=EN).get_data(as_text=True)
    assert "25 needs" in html
    assert len(many) == len(few), "\n".join(many)


def test_posting_works_without_javascript_and_suggests_duplicates_on_a_failed_submit(client, login_as, tree,
                                                                                     resident):
    existing = make_need(tree["community"], UserFactory(), title="独居老人吃饭难，希望有老年食堂")
    login_as(resident)
    form = client.get("/needs/new").get_data(as_text=True)
    assert "js/needs.js" in form and 'id="similar-needs"' in form
    assert not re.search(r"<script(?![^>]*src=)", form)  # no inline script (CSP)
    response = client.post_form("/needs/new", {"place": str(tree["grid"].id), "title": "老人吃饭难",
                                               "affected_count": "-1"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'href="/needs/{existing.id}"' in html  # "Is it one of these? Back it instead"
    response = client.post_form("/needs/new", {"place": str(tree["grid"].id), "title": "老人吃饭难",
                                               "affected_group": "独居老人", "affected_count": "12"})
    assert response.status_code == 302
    need = db.session.scalar(select(Need).where(Need.title == "老人吃饭难"))
    assert need.posted_by_id == resident.id and need.backing_count == 1


def test_the_on_behalf_field_is_for_grid_workers(client, login_as, tree, resident, grid_worker):
    login_as(resident)
    assert 'name="on_behalf_of"' not in client.get("/needs/new").get_data(as_text=True)
    client.post_form("/needs/new", {"place": str(tree["grid"].id), "title": "楼道灯坏了", "on_behalf_of": "张奶奶"})
    assert db.session.scalar(select(Need.on_behalf_of)) is None  # ignored for a resident
    client.post_form("/logout", token_from="/")
    login_as(grid_worker)
    assert 'name="on_behalf_of"' in client.get("/needs/new").get_data(as_text=True)
    response = client.post_form("/needs/new", {"place": str(tree["grid2"].id), "title": "路灯不亮",
                                               "on_behalf_of": "李大爷"})
    assert response.status_code == 400  # not their grid
    response = client.post_form("/needs/new", {"place": str(tree["grid"].id), "title": "路灯不亮",
                                               "on_behalf_of": "李大爷"})
    assert response.status_code == 302


def test_the_requesters_name_is_shown_to_workers_only(client, login_as, tree, worker, grid_worker):
    need = make_need(tree["grid"], grid_worker, on_behalf_of="张奶奶")
    assert "张奶奶" not in client.get(f"/needs/{need.id}").get_data(as_text=True)
    login_as(worker)
    assert "张奶奶" in client.get(f"/needs/{need.id}").get_data(as_text=True)


def test_the_similar_endpoint_returns_json_for_the_script(client, tree):
    match = make_need(tree["grid2"], UserFactory(), title="楼道灯坏了，晚上看不见")
    make_need(tree["community"], UserFactory(), title="小区停车难")
    data = client.get(f"/needs/similar?place_id={tree['grid'].id}&q=楼道灯坏了").get_json()
    assert [need["id"] for need in data["needs"]] == [match.id]
    assert set(data["needs"][0]) >= {"id", "title", "url", "backing_count", "status"}
    assert client.get("/needs/similar?place_id=abc&q=x").get_json() == {"needs": []}


def test_backing_twice_is_refused_with_a_message(client, login_as, tree, resident):
    need = make_need(tree["community"], UserFactory())
    login_as(resident)
    assert client.post_form(f"/needs/{need.id}/back", token_from="/").status_code == 302
    response = client.post_form(f"/needs/{need.id}/back", token_from="/", follow_redirects=True)
    assert "You already back this need." in response.get_data(as_text=True)
    db.session.refresh(need)
    assert need.backing_count == 2
    assert db.session.scalar(select(func.count()).select_from(NeedBacking)) == 2


def test_triage_is_for_the_community_worker_of_the_needs_place(client, login_as, tree, resident, worker):
    need = make_need(tree["grid"], UserFactory())
    elsewhere = UserFactory(locale="en")
    grant(elsewhere, roles.COMMUNITY_WORKER, tree["community2"])
    for user in (resident, elsewhere):
        login_as(user)
        assert "Triage" not in client.get(f"/needs/{need.id}", headers=EN).get_data(as_text=True)
        assert client.post_form(f"/needs/{need.id}/accept", token_from="/").status_code == 404
        client.post_form("/logout", token_from="/")
    login_as(worker)
    assert client.post_form(f"/needs/{need.id}/decline", {"reason": ""}, token_from="/").status_code == 400
    assert client.post_form(f"/needs/{need.id}/accept", token_from="/").status_code == 302
    assert client.post_form(f"/needs/{need.id}/accept", token_from="/").status_code == 409  # already accepted
    db.session.refresh(need)
    assert need.status == "accepted"


def test_merge_through_the_page(client, login_as, tree, worker):
    both = UserFactory()
    main = make_need(tree["community"], UserFactory(), title="独居老人吃饭难", backers=[both])
    duplicate = make_need(tree["grid"], both, title="老人吃饭不方便")
    login_as(worker)
    page = client.get(f"/needs/{duplicate.id}").get_data(as_text=True)
    assert f'<option value="{main.id}"' in page
    response = client.post_form(f"/needs/{duplicate.id}/merge", {"merge_into": str(main.id)}, token_from="/")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/needs/{main.id}")
    db.session.refresh(main)
    assert main.backing_count == 2  # the shared backer counts once


def test_the_need_page_follows_the_chain_to_the_projects_results_and_ratings(client, login_as, tree, worker):
    creator = UserFactory()
    organisation = make_organisation(creator, tree["community"], status=VERIFIED)
    project = make_project(organisation, creator, [tree["community"]], title="独居老人助餐服务",
                           rating_count=2, rating_sum=9)
    indicator = make_indicator(project, target=60)
    make_report(indicator, creator, actual=30, status="approved", reviewer=worker)
    need = make_need(tree["grid"], UserFactory(), title="老人吃饭难", status="accepted")
    login_as(worker)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f'<option value="{project.id}"' in page  # the project serving the need's community is offered
    response = client.post_form(f"/needs/{need.id}/link", {"target_type": "project", "target_id": str(project.id),
                                                           "note": "每天午餐"}, token_from="/")
    assert response.status_code == 302
    client.post_form("/logout", token_from="/")
    html = client.get(f"/needs/{need.id}", headers=EN).get_data(as_text=True)
    assert "Answered" in html and f'href="/projects/{project.id}"' in html
    assert "★ 4.5 (2)" in html and 'aria-valuenow="50"' in html and "30 / 60 人" in html
    assert "老人吃饭难" in client.get(f"/projects/{project.id}").get_data(as_text=True)  # and back again


def test_a_need_answered_by_a_crowdfunding_campaign_shows_its_progress(client, login_as, tree, worker):
    from tests.factories.funds import make_campaign, make_fund

    fund = make_fund(tree["community"])
    campaign = make_campaign(fund, worker, title="居民众筹建设社区食堂", goal_minor=2_000_000, raised_minor=500_000)
    make_campaign(make_fund(tree["community2"]), worker, title="别的社区的众筹")
    need = make_need(tree["grid"], UserFactory(), title="希望有社区食堂", status="accepted")
    login_as(worker)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "居民众筹建设社区食堂" in page and "别的社区的众筹" not in page  # campaigns of funds over this place
    response = client.post_form(f"/needs/{need.id}/link", {"target_type": "campaign",
                                                           "target_id": str(campaign.id)}, token_from="/")
    assert response.status_code == 302
    html = client.get(f"/needs/{need.id}", headers=EN).get_data(as_text=True)
    assert f'href="/campaigns/{campaign.id}"' in html and 'aria-valuenow="25"' in html


def test_an_over_long_decline_reason_shows_the_page_with_the_message(client, login_as, tree, worker):
    need = make_need(tree["grid"], UserFactory())
    login_as(worker)
    response = client.post_form(f"/needs/{need.id}/decline", {"reason": "不" * 20000}, token_from="/",
                                headers=EN)
    assert response.status_code == 400
    assert "2000" in response.get_data(as_text=True)
    db.session.refresh(need)
    assert need.status == "open"


def test_merge_and_decline_are_open_on_the_page(client, login_as, tree, worker):
    need = make_need(tree["grid"], UserFactory())
    make_need(tree["community"], UserFactory(), title="另一件事")
    login_as(worker)
    html = client.get(f"/needs/{need.id}", headers=EN).get_data(as_text=True)
    triage = html[html.index('id="triage-heading"'):]
    assert "<details" not in triage and "<summary" not in triage
    assert 'id="merge-heading"' in triage and 'id="decline-heading"' in triage
    assert 'name="merge_into"' in triage and 'name="reason"' in triage
