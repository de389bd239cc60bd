"""Publishing opportunities and shifts, and the public lists of upcoming shifts."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.accounts import roles
from portal.core.errors import ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db
from portal.orgs.models import VERIFIED
from portal.projects.models import DRAFT
from portal.volunteering import service
from portal.volunteering.models import CONFIRMED, WAITLISTED, Opportunity, Shift
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import make_organisation
from tests.factories.places import make_place
from tests.factories.volunteering import make_opportunity, make_organiser_and_project, make_shift, make_signup

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(delta: timedelta) -> datetime:
    """A Beijing wall-clock time `delta` from now, to the minute (what a datetime-local input sends)."""
    return (datetime.now(SHANGHAI) + delta).replace(second=0, microsecond=0)


def _form(starts: datetime, ends: datetime, **extra) -> dict:
    data = {"title": "周末陪老人散步", "description": "在小区花园陪伴老人", "skills": "陪伴，耐心、陪伴",
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"), "ends_at": ends.strftime("%Y-%m-%dT%H:%M"),
            "slots": "4", "place": "", "location": "社区服务中心一楼"}
    data.update(extra)
    return data


def _new(project):
    return f"/projects/{project.id}/volunteer/new"


def _opportunity_count(project) -> int:
    return db.session.scalar(select(func.count()).select_from(Opportunity).where(Opportunity.project_id == project.id))


def test_an_organiser_publishes_an_opportunity_with_its_first_shift_in_beijing_time(client, login_as, organiser,
                                                                                 project, tree):
    login_as(organiser)
    starts = _local(timedelta(days=2))
    response = client.post_form(_new(project), _form(starts, starts + timedelta(hours=3),
                                                     place=str(tree["grid"].id)))
    assert response.status_code == 302, response.get_data(as_text=True)
    opportunity = db.session.scalar(select(Opportunity).where(Opportunity.project_id == project.id))
    assert opportunity.skills == "陪伴, 耐心"
    [shift] = opportunity.shifts
    assert shift.starts_at == starts.astimezone(UTC)  # stored as UTC
    assert shift.ends_at - shift.starts_at == timedelta(hours=3)
    assert shift.slots == 4 and shift.booked_count == 0 and shift.place_id == tree["grid"].id


@pytest.mark.parametrize(("change", "field_message"), [
    ({"ends": -timedelta(hours=1)}, "The shift must end after it starts."),
    ({"ends": timedelta(0)}, "The shift must end after it starts."),
    ({"slots": "0"}, "A shift needs at least one slot."),
    ({"starts": -timedelta(days=3)}, "The shift must start in the future."),
    ({"location": ""}, "Choose a place or describe where to meet."),
])
def test_a_bad_shift_gets_a_clear_message_and_nothing_is_saved(client, login_as, project, change, field_message):
    organiser = UserFactory(locale="en")
    grant(organiser, roles.ORG_MEMBER, project.organisation)
    login_as(organiser)
    starts = _local(timedelta(days=2) + change.get("starts", timedelta(0)))
    ends = starts + change.get("ends", timedelta(hours=2))
    extra = {key: value for key, value in change.items() if key in ("slots", "location")}
    response = client.post_form(_new(project), _form(starts, ends, **extra))
    assert response.status_code == 400
    assert field_message in response.get_data(as_text=True)
    assert _opportunity_count(project) == 0
    assert db.session.scalar(select(func.count()).select_from(Shift)) == 0


def test_another_organisations_member_cannot_publish_on_the_project(client, login_as, project, tree):
    stranger = UserFactory()
    grant(stranger, roles.ORG_ADMIN, make_organisation(stranger, tree["community"], status=VERIFIED))
    login_as(stranger)
    assert client.get(_new(project)).status_code == 404
    starts = _local(timedelta(days=2))
    response = client.post_form(_new(project), _form(starts, starts + timedelta(hours=2)), token_from="/")
    assert response.status_code == 404
    assert _opportunity_count(project) == 0


def test_a_draft_project_takes_no_opportunities(tree):
    organiser, draft = make_organiser_and_project(tree["community"], status=DRAFT)
    starts = utcnow() + timedelta(days=1)
    with pytest.raises(service.IllegalTransition):
        service.publish_opportunity(draft, organiser, title="x", first_shift={
            "starts_at": starts, "ends_at": starts + timedelta(hours=1), "slots": 1, "location": "here"})


def test_adding_a_shift_checks_the_same_rules(opportunity, organiser):
    starts = utcnow() + timedelta(days=1)
    with pytest.raises(ValidationFailed) as refused:
        service.add_shift(opportunity, organiser, starts_at=starts, ends_at=starts - timedelta(minutes=1), slots=2,
                          location="here")
    assert refused.value.field == "ends_at"
    shift = service.add_shift(opportunity, organiser, starts_at=starts, ends_at=starts + timedelta(hours=2),
                              slots=2, location="here", skills="摄影")
    assert shift.skills == "摄影"


def test_the_new_shift_form_adds_a_shift(client, login_as, organiser, project, opportunity):
    login_as(organiser)
    starts = _local(timedelta(days=5))
    response = client.post_form(f"/opportunities/{opportunity.id}/shifts/new", {
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "slots": "2", "place": "",
        "location": "门口", "skills": ""})
    assert response.status_code == 302
    assert [s.slots for s in db.session.scalars(select(Shift).where(Shift.opportunity_id == opportunity.id))] == [2]


# --- public pages ---------------------------------------------------------------------------------

def test_the_project_page_shows_upcoming_shifts_with_free_places_and_waitlist(client, project, opportunity):
    shift = make_shift(opportunity, slots=2)
    make_shift(opportunity, starts_in=-timedelta(days=1))  # past: not shown to the public
    for status in (CONFIRMED, CONFIRMED, WAITLISTED):
        make_signup(shift, UserFactory(), status)
    response = client.get(f"/projects/{project.id}/volunteer", headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert opportunity.title in html
    assert "Full" in html and "1 on the waitlist" in html
    assert "Sign in to sign up" in html
    assert html.count('class="shift"') == 1


def test_a_draft_projects_volunteer_page_is_hidden_from_the_public(client, tree):
    _organiser, draft = make_organiser_and_project(tree["community"], status=DRAFT)
    assert client.get(f"/projects/{draft.id}/volunteer").status_code == 404


def test_the_shift_list_filters_by_place_subtree_and_skill(client, tree, project, opportunity, organiser):
    other_community = make_place("community", "东山花园社区", tree["street"])
    in_grid = make_shift(opportunity, place=tree["grid"], skills="急救")
    elsewhere = make_shift(opportunity, place=other_community, starts_in=timedelta(days=4))
    # no place of its own: found through the project's places (the project serves tree["community"])
    no_place = make_shift(opportunity, starts_in=timedelta(days=5))
    make_shift(opportunity, starts_in=-timedelta(days=1), place=tree["grid"])  # past

    def shown(query: str) -> set[int]:
        html = client.get(f"/volunteer/{query}").get_data(as_text=True)
        return {shift.id for shift in (in_grid, elsewhere, no_place) if f'id="shift-{shift.id}"' in html}

    assert shown("") == {in_grid.id, elsewhere.id, no_place.id}
    assert shown(f"?place={tree['community'].id}") == {in_grid.id, no_place.id}
    assert shown(f"?place={other_community.id}") == {elsewhere.id}
    assert shown("?skill=急救") == {in_grid.id}
    assert shown("?skill=耐心") == {in_grid.id, elsewhere.id, no_place.id}  # the opportunity's skills count


def test_the_shift_list_runs_a_fixed_number_of_queries(client, login_as, tree, count_queries):
    def add_shifts(n):
        organiser, project = make_organiser_and_project(tree["community"])
        opportunity = make_opportunity(project, organiser)
        for i in range(n):
            shift = make_shift(opportunity, starts_in=timedelta(days=1, hours=i), place=tree["grid"])
            make_signup(shift, UserFactory(), WAITLISTED)

    viewer = UserFactory()
    login_as(viewer)
    add_shifts(2)
    with count_queries() as few:
        assert client.get("/volunteer/").status_code == 200
    add_shifts(12)
    with count_queries() as many:
        assert client.get("/volunteer/").status_code == 200
    assert len(many) == len(few), "\n".join(many)
