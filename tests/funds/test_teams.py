"""Teams (众筹小分队): one team per person per campaign, team totals roll up, leaderboards in SQL."""
import pytest

from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.extensions import db
from portal.funds import queries, service
from portal.funds.models import ENDED, TeamMember
from portal.payments.models import ANONYMOUS, INITIALS
from tests.factories.accounts import UserFactory
from tests.factories.funds import make_campaign, make_gift, make_refund, make_team
from tests.funds.conftest import EN


def test_the_creator_becomes_captain_and_member(world):
    team = service.create_team(world.campaign, world.resident, "夕阳红小分队", 50_000, "我们一起")
    assert team.captain_id == world.resident.id
    assert [m.user_id for m in queries.team_members(team)] == [world.resident.id]


def test_a_person_joins_one_team_per_campaign(world):
    first = make_team(world.campaign, world.resident)
    second = make_team(world.campaign, world.other_resident)
    newcomer = UserFactory()
    service.join_team(first, newcomer)
    with pytest.raises(DomainError) as caught:
        service.join_team(second, newcomer)
    assert caught.value.code == "already_in_team"
    with pytest.raises(DomainError):
        service.join_team(first, newcomer)
    with pytest.raises(DomainError):
        service.create_team(world.campaign, newcomer, "新队", 1_000)


def test_a_person_may_be_in_teams_of_different_campaigns(world):
    other_campaign = make_campaign(world.fund, world.worker)
    make_team(world.campaign, world.resident)
    service.create_team(other_campaign, world.resident, "第二支队", 1_000)
    assert service.team_of_user_in(other_campaign.id, world.resident.id) is not None


def test_team_names_are_unique_within_a_campaign(world):
    make_team(world.campaign, world.resident, name="红马甲")
    with pytest.raises(ValidationFailed) as caught:
        service.create_team(world.campaign, world.other_resident, "红马甲", 1_000)
    assert caught.value.field == "name"


def test_teams_form_only_under_a_live_campaign(world):
    world.campaign.status = ENDED
    with pytest.raises(IllegalTransition):
        service.create_team(world.campaign, world.resident, "晚了", 1_000)


def test_the_captain_cannot_leave_but_a_member_can(world):
    team = make_team(world.campaign, world.resident, members=[world.other_resident])
    with pytest.raises(DomainError):
        service.leave_team(team, world.resident)
    service.leave_team(team, world.other_resident)
    assert db.session.get(TeamMember, (team.id, world.other_resident.id)) is None


def test_team_gifts_roll_up_to_the_campaign_and_the_leaderboards(world):
    captain_a, captain_b, member = world.resident, world.other_resident, UserFactory(display_name="孙阿姨")
    team_a = make_team(world.campaign, captain_a, name="A队", members=[member])
    team_b = make_team(world.campaign, captain_b, name="B队")
    make_gift(world.fund, 3_000, campaign=world.campaign, team=team_a, donor=captain_a)
    big = make_gift(world.fund, 9_000, campaign=world.campaign, team=team_a, donor=member)
    make_refund(big, 1_000)
    make_gift(world.fund, 5_000, campaign=world.campaign, team=team_b, donor=captain_b)
    make_gift(world.fund, 4_000, campaign=world.campaign, team=team_b, donor_name="路人")  # not a member
    make_gift(world.fund, 6_000, campaign=world.campaign, team=team_b, donor=captain_b, display_mode=ANONYMOUS)
    make_gift(world.fund, 7_000, campaign=world.campaign, team=team_a, donor=captain_a, display_mode=INITIALS)
    make_gift(world.fund, 2_000, campaign=world.campaign)  # no team

    db.session.refresh(team_a)
    db.session.refresh(team_b)
    db.session.refresh(world.campaign)
    assert (team_a.raised_minor, team_b.raised_minor) == (18_000, 15_000)
    assert world.campaign.raised_minor == 35_000

    teams = queries.team_leaderboard(world.campaign)
    assert [(row.team.name, row.members) for row in teams] == [("A队", 2), ("B队", 1)]

    # only gifts shown with the donor's name are ranked by name (not the anonymous or initials ones)
    members = queries.member_leaderboard(world.campaign)
    assert [(row.name, row.team_name, row.amount_minor) for row in members] == [
        ("孙阿姨", "A队", 8_000), (captain_b.display_name, "B队", 5_000), (captain_a.display_name, "A队", 3_000)]


def test_the_team_page_hides_amounts_of_members_who_chose_initials(client, world):
    team = make_team(world.campaign, world.resident, members=[world.other_resident])
    make_gift(world.fund, 12_300, campaign=world.campaign, team=team, donor=world.other_resident,
              display_mode=INITIALS)
    make_gift(world.fund, 4_500, campaign=world.campaign, team=team, donor=world.resident)
    html = client.get(f"/teams/{team.id}", headers=EN).get_data(as_text=True)
    assert "gave ¥45.00" in html and "gave ¥123.00" not in html


def test_joining_through_the_page(client, login_as, world):
    team = make_team(world.campaign, world.resident, name="红马甲")
    login_as(world.other_resident)
    path = f"/teams/{team.id}"
    assert client.post_form(f"{path}/join", token_from=path).status_code == 302
    html = client.get(path, headers=EN).get_data(as_text=True)
    assert "You are in this team." in html and "2 members" in html
    again = client.post_form(f"{path}/join", token_from=path, headers=EN)
    assert again.status_code == 409 and "already in this team" in again.get_data(as_text=True)


def test_forming_a_team_through_the_page_with_a_bad_goal(client, login_as, world):
    login_as(world.resident)
    path = f"/campaigns/{world.campaign.id}/teams/new"
    response = client.post_form(path, {"name": "红马甲", "goal": "0", "story": ""}, headers=EN)
    assert response.status_code == 400 and 'id="goal-error"' in response.get_data(as_text=True)
    response = client.post_form(path, {"name": "红马甲", "goal": "500", "story": ""})
    assert response.status_code == 302
    team = service.team_of_user_in(world.campaign.id, world.resident.id)
    assert team.goal_minor == 50_000 and response.headers["Location"].endswith(f"/teams/{team.id}")


def test_the_team_page_links_the_give_page_with_the_team(client, world):
    team = make_team(world.campaign, world.resident)
    html = client.get(f"/teams/{team.id}", headers=EN).get_data(as_text=True)
    assert f'href="/give/campaign/{world.campaign.id}?team={team.id}"' in html


# --- editing a team ----------------------------------------------------------------------------------

def test_the_captain_edits_the_team_and_the_change_is_audited(world):
    from sqlalchemy import select

    from portal.audit.models import AuditEvent

    team = make_team(world.campaign, world.resident, name="红马甲", goal_minor=50_000)
    service.update_team(team, world.resident, "红马甲志愿队", 80_000, "为老人送饭")
    assert (team.name, team.goal_minor, team.story) == ("红马甲志愿队", 80_000, "为老人送饭")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "team.updated"))
    assert event.actor_id == world.resident.id and event.object_id == str(team.id)
    assert event.before == {"name": "红马甲", "goal_minor": 50_000, "story": ""}
    assert event.after == {"name": "红马甲志愿队", "goal_minor": 80_000, "story": "为老人送饭"}


def test_an_edited_name_stays_unique_within_the_campaign(world):
    make_team(world.campaign, world.resident, name="红马甲")
    team = make_team(world.campaign, world.other_resident, name="蓝马甲")
    with pytest.raises(ValidationFailed) as caught:
        service.update_team(team, world.other_resident, "红马甲", 1_000)
    assert caught.value.field == "name"
    service.update_team(team, world.other_resident, "蓝马甲", 2_000)  # its own name is fine
    assert team.goal_minor == 2_000


def test_a_team_of_a_finished_campaign_cannot_be_edited(world):
    team = make_team(world.campaign, world.resident)
    world.campaign.status = ENDED
    with pytest.raises(IllegalTransition) as refused:
        service.update_team(team, world.resident, "新名字", 1_000)
    assert refused.value.status_code == 409


@pytest.mark.parametrize(("who", "allowed"), [("resident", True), ("committee", True), ("worker", True),
                                              ("other_resident", False)])
def test_who_may_edit_a_team_page(client, login_as, world, who, allowed):
    team = make_team(world.campaign, world.resident, name="红马甲")
    login_as(getattr(world, who))
    page = client.get(f"/teams/{team.id}/edit", headers=EN)
    assert page.status_code == (200 if allowed else 404)
    response = client.post_form(f"/teams/{team.id}/edit", {"name": "红马甲二队", "goal": "1200", "story": ""},
                                token_from="/", headers=EN)
    db.session.refresh(team)
    if allowed:
        assert response.status_code == 302 and team.name == "红马甲二队" and team.goal_minor == 120_000
        assert "Edit the team" in client.get(f"/teams/{team.id}", headers=EN).get_data(as_text=True)
    else:
        assert response.status_code == 404 and team.name == "红马甲"
        assert "Edit the team" not in client.get(f"/teams/{team.id}", headers=EN).get_data(as_text=True)


def test_the_captain_is_refused_the_leave_route_and_shown_no_button(client, login_as, world):
    """Leaving is the route's declared check (can_leave_team: a member other than the captain)."""
    team = make_team(world.campaign, world.resident, name="红马甲")
    login_as(world.resident)
    path = f"/teams/{team.id}"
    assert f"{path}/leave" not in client.get(path, headers=EN).get_data(as_text=True)
    assert client.post_form(f"{path}/leave", token_from=path).status_code == 404
    assert db.session.get(TeamMember, (team.id, world.resident.id)) is not None


def test_joining_a_team_of_an_ended_campaign_is_a_409_not_a_404(client, login_as, world):
    """Who may join is the route's check; whether the campaign still takes members is the service's."""
    team = make_team(world.campaign, world.resident, name="红马甲")
    world.campaign.status = ENDED
    db.session.flush()
    login_as(world.other_resident)
    path = f"/teams/{team.id}"
    response = client.post_form(f"{path}/join", token_from=path, headers=EN)
    assert response.status_code == 409
    assert db.session.get(TeamMember, (team.id, world.other_resident.id)) is None
