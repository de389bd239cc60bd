"""The funds pages: who may open what (404 outside one's scope), forms with bad input, pictures, Markdown."""
import io

import pytest
from sqlalchemy import func, select

from portal.accounts import roles
from portal.extensions import db
from portal.funds import service
from portal.funds.models import DRAFT, LIVE, Campaign, CampaignImage, Fund
from tests.factories.accounts import UserFactory, grant
from tests.factories.funds import make_campaign, make_disbursement, make_fund, make_gift
from tests.factories.places import make_tree
from tests.funds.conftest import EN

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


def _campaign_data(**overrides):
    data = {"title": "楼道换灯", "summary": "给 3 栋换声控灯", "story_md": "**亮起来**", "goal": "2000",
            "starts_at": "2030-04-01", "ends_at": "2030-09-30", "funding_model": "keep_it_all",
            "purpose_kind": "general", "purpose_text": "", "purpose_object_id": ""}
    data.update(overrides)
    return data


# --- who may open what ---------------------------------------------------------------------------------

@pytest.fixture
def other_fund_member(world):
    """A committee member (and treasurer) of a different fund."""
    elsewhere = make_fund(world.tree["street"], name="夜明珠街道社区基金会")
    person = UserFactory(locale="en")
    grant(person, roles.TREASURER, elsewhere)
    grant(person, roles.FUND_COMMITTEE, elsewhere)
    return person


def test_a_committee_member_of_another_fund_gets_404_on_this_funds_management_pages(client, login_as, world,
                                                                                     other_fund_member):
    disbursement = make_disbursement(world.fund, world.worker, 100)
    draft = make_campaign(world.fund, world.worker, status=DRAFT)
    login_as(other_fund_member)
    for path in (f"/funds/{world.fund.id}/manage", f"/funds/{world.fund.id}/edit",
                 f"/funds/{world.fund.id}/campaigns/new", f"/campaigns/{world.campaign.id}/edit",
                 f"/campaigns/{world.campaign.id}/matching/new", f"/disbursements/{disbursement.id}",
                 f"/campaigns/{draft.id}"):
        assert client.get(path).status_code == 404, path
    page = f"/campaigns/{world.campaign.id}"
    for path in (f"/disbursements/{disbursement.id}/approve", f"/disbursements/{disbursement.id}/pay",
                 f"/campaigns/{world.campaign.id}/finish", f"/funds/{world.fund.id}/roles"):
        assert client.post_form(path, token_from=page).status_code == 404, path


def test_the_funds_own_people_open_its_management_page(client, login_as, world):
    for person in (world.treasurer, world.committee, world.worker, world.admin):
        login_as(person)
        assert client.get(f"/funds/{world.fund.id}/manage").status_code == 200
        client.post_form("/logout", token_from="/")


def test_a_draft_campaign_is_hidden_from_the_public(client, world):
    draft = make_campaign(world.fund, world.worker, status=DRAFT)
    assert client.get(f"/campaigns/{draft.id}").status_code == 404
    assert client.get(f"/campaigns/{world.campaign.id}").status_code == 200


# --- funds -----------------------------------------------------------------------------------------

def test_a_community_worker_sets_up_a_fund_in_their_community(client, login_as, world):
    login_as(world.worker)
    data = {"name": "铁路坝社区基金会", "kind": "community_foundation", "place": str(world.tree["community"].id),
            "description": "居民自筹"}
    response = client.post_form("/funds/new", data)
    assert response.status_code == 302
    fund = db.session.scalar(select(Fund).where(Fund.name == "铁路坝社区基金会"))
    assert fund.place_id == world.tree["community"].id


def test_a_community_worker_cannot_set_up_a_fund_elsewhere(client, login_as, world):
    elsewhere = world.tree["street"]  # above the worker's community
    login_as(world.worker)
    data = {"name": "别处基金", "kind": "community_foundation", "place": str(elsewhere.id), "description": ""}
    response = client.post_form("/funds/new", data, headers=EN)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Fund).where(Fund.name == "别处基金")) == 0


def test_a_resident_cannot_set_up_a_fund(client, login_as, world):
    login_as(world.resident)
    assert client.get("/funds/new").status_code == 403


def test_a_duplicate_fund_name_is_shown_next_to_the_field(client, login_as, world):
    login_as(world.admin)
    data = {"name": world.fund.name, "kind": "community_welfare_fund", "place": str(world.tree["community"].id)}
    response = client.post_form("/funds/new", data, headers=EN)
    assert response.status_code == 400 and 'id="name-error"' in response.get_data(as_text=True)


def test_the_funds_list_filters_by_place_subtree(client, world):
    other_tree_fund = make_fund(make_tree()["community"], name="别的区基金")
    html = client.get(f"/funds/?place={world.tree['district'].id}").get_data(as_text=True)
    assert world.fund.name in html and other_tree_fund.name not in html
    html = client.get("/funds/").get_data(as_text=True)
    assert world.fund.name in html and other_tree_fund.name in html


def test_the_fund_page_shows_figures_and_donors_as_they_chose(client, world):
    make_gift(world.fund, 1_000, donor=world.resident, donor_name="王小红", display_mode="named")
    make_gift(world.fund, 2_000, donor=world.resident, donor_name="王小红", display_mode="initials")
    make_gift(world.fund, 3_000, donor_name="李四", display_mode="anonymous")
    html = client.get(f"/funds/{world.fund.id}", headers=EN).get_data(as_text=True)
    assert "王小红" in html and "王**" in html and "Anonymous donor" in html and "李四" not in html
    assert "¥60.00" in html  # balance
    assert '<span class="stat-value">2</span><span class="stat-label">donors</span>' in html


def test_admins_appoint_the_committee_on_the_management_page(client, login_as, world):
    newcomer = UserFactory(email="newcomer@example.org")
    login_as(world.admin)
    manage = f"/funds/{world.fund.id}/manage"
    response = client.post_form(f"/funds/{world.fund.id}/roles", {"email": "newcomer@example.org",
                                                                 "role": "fund_committee"}, token_from=manage)
    assert response.status_code == 302
    from portal.accounts.scopes import forget_assignments
    from portal.funds.policy import is_committee

    forget_assignments()
    assert is_committee(newcomer, world.fund)
    bad = client.post_form(f"/funds/{world.fund.id}/roles", {"email": "nobody@example.org",
                                                            "role": "fund_committee"}, token_from=manage, headers=EN)
    assert bad.status_code == 400 and "No account uses this email." in bad.get_data(as_text=True)


def test_the_treasurer_cannot_appoint(client, login_as, world):
    """Appointing is the declared check of the route (can_grant_fund_roles): refused like every object check."""
    login_as(world.treasurer)
    manage = f"/funds/{world.fund.id}/manage"
    response = client.post_form(f"/funds/{world.fund.id}/roles", {"email": world.resident.email,
                                                                 "role": "treasurer"}, token_from=manage)
    assert response.status_code == 404
    from portal.accounts.scopes import forget_assignments
    from portal.funds.policy import is_treasurer

    forget_assignments()
    assert not is_treasurer(world.resident, world.fund)


# --- campaigns ---------------------------------------------------------------------------------------

def test_a_campaign_is_created_as_a_draft_in_beijing_days(client, login_as, world):
    login_as(world.worker)
    response = client.post_form(f"/funds/{world.fund.id}/campaigns/new", _campaign_data())
    assert response.status_code == 302
    campaign = db.session.scalar(select(Campaign).where(Campaign.title == "楼道换灯"))
    assert campaign.status == DRAFT and campaign.goal_minor == 200_000
    assert campaign.starts_at.isoformat() == "2030-03-31T16:00:00+00:00"
    assert service.local_day(campaign.ends_at).isoformat() == "2030-09-30"


@pytest.mark.parametrize("overrides,field", [
    ({"ends_at": "2030-03-01"}, "ends_at"), ({"goal": "0"}, "goal"), ({"goal": "-100"}, "goal"),
    ({"goal": "10.001"}, "goal"), ({"goal": "999999999999"}, "goal"), ({"title": ""}, "title"),
    ({"purpose_kind": "project", "purpose_text": ""}, "purpose_text")])
def test_bad_campaign_input_is_shown_next_to_the_field_and_nothing_is_saved(client, login_as, world, overrides,
                                                                           field):
    login_as(world.worker)
    before = db.session.scalar(select(func.count()).select_from(Campaign))
    response = client.post_form(f"/funds/{world.fund.id}/campaigns/new", _campaign_data(**overrides), headers=EN)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == before


def test_publishing_twice_through_the_page_is_a_409(client, login_as, world):
    draft = make_campaign(world.fund, world.worker, status=DRAFT)
    login_as(world.treasurer)
    page = f"/campaigns/{draft.id}"
    assert client.post_form(f"{page}/publish", token_from=page).status_code == 302
    db.session.refresh(draft)
    assert draft.status == LIVE
    assert client.post_form(f"{page}/publish", token_from=page).status_code == 409


def test_pictures_upload_and_are_served_and_bad_files_are_refused(client, login_as, world):
    login_as(world.worker)
    edit = f"/campaigns/{world.campaign.id}/edit"
    response = client.post_form(f"/campaigns/{world.campaign.id}/images",
                                {"image": (io.BytesIO(PNG), "lamp.png"), "caption": "新灯"}, token_from=edit,
                                content_type="multipart/form-data")
    assert response.status_code == 302
    image = db.session.scalar(select(CampaignImage).where(CampaignImage.campaign_id == world.campaign.id))
    served = client.get(f"/campaigns/{world.campaign.id}/images/{image.id}")
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == PNG
    served.close()
    bad = client.post_form(f"/campaigns/{world.campaign.id}/images",
                           {"image": (io.BytesIO(b"<script>alert(1)</script>"), "evil.png"), "caption": ""},
                           token_from=edit, content_type="multipart/form-data", headers=EN)
    assert bad.status_code == 400 and 'id="image-error"' in bad.get_data(as_text=True)


def test_the_story_is_sanitised_markdown(client, world):
    world.campaign.story_md = "**为老人** <script>alert(1)</script> [x](javascript:alert(1))"
    html = client.get(f"/campaigns/{world.campaign.id}").get_data(as_text=True)
    assert "<strong>为老人</strong>" in html and "<script>alert(1)</script>" not in html
    assert 'href="javascript' not in html


def test_updates_are_posted_by_the_committee_or_the_creator_only(client, login_as, world):
    path = f"/campaigns/{world.campaign.id}/updates/new"
    login_as(world.resident)
    assert client.get(path).status_code == 404
    client.post_form("/logout", token_from="/")
    login_as(world.committee)
    assert client.post_form(path, {"title": "第一周", "body_md": "送出 **30** 份午餐"}).status_code == 302
    html = client.get(f"/campaigns/{world.campaign.id}").get_data(as_text=True)
    assert "第一周" in html and "<strong>30</strong>" in html


def test_the_campaign_list_filters_by_place_and_sorts(client, world):
    street_fund = make_fund(world.tree["street"], name="街道基金")
    rich = make_campaign(street_fund, world.worker, title="街道大项目")
    make_gift(street_fund, 50_000, campaign=rich, donor=world.resident)
    html = client.get(f"/campaigns/?place={world.tree['community'].id}").get_data(as_text=True)
    assert world.campaign.title in html and "街道大项目" not in html
    html = client.get(f"/campaigns/?place={world.tree['street'].id}&sort=raised").get_data(as_text=True)
    assert html.index("街道大项目") < html.index(world.campaign.title)


def test_the_funds_list_shows_a_treasurer_their_funds(client, login_as, world):
    login_as(world.treasurer)
    html = client.get("/funds/", headers=EN).get_data(as_text=True)
    assert "Funds you help run" in html and f'href="/funds/{world.fund.id}/manage"' in html
