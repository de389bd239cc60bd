"""seed_cases(): the demo street's month of cases in every state, some escalated (by hand and by the worker's
sweep), some overdue now, some reopened or sent back, with points inside the street, photos, and nothing added
on a second run. One run of `portal demo` (it takes seconds), checked from every side."""
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.cases import service
from portal.cases.demo import seed_cases
from portal.cases.demo_data import COMMUNITY_CENTRES, STREET_NAME
from portal.cases.models import CASE_STATUSES, DISTRICT_LOOP, Case, CaseCategory, CaseEvent, CasePhoto
from portal.core.time import utcnow
from portal.demo_city import demo_email
from portal.extensions import db
from portal.places.models import Place


def _count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def _escalations(by_hand: bool) -> int:
    actor = CaseEvent.actor_id.is_not(None) if by_hand else CaseEvent.actor_id.is_(None)
    return _count(CaseEvent, CaseEvent.action == "escalate", actor)


def _check_a_month_of_cases_in_every_state(street):
    cases = list(db.session.scalars(select(Case)))
    assert 60 <= len(cases) <= 80
    assert {case.status for case in cases} == set(CASE_STATUSES)
    assert all(case.place.is_within(street) for case in cases)
    month_ago = utcnow().timestamp() - 31 * 24 * 3600
    assert all(case.reported_at.timestamp() >= month_ago for case in cases)


def _check_categories_route_to_departments_and_a_contracted_organisation(street):
    categories = list(db.session.scalars(select(CaseCategory).where(CaseCategory.place_id == street.id)))
    assert 6 <= len(categories) <= 8
    assert sum(not category.is_public for category in categories) == 1
    assert sum(category.contract_id is not None for category in categories) == 1
    assert all(category.department_id or category.contract_id for category in categories)
    contracted = next(category for category in categories if category.contract_id)
    assert _count(Case, Case.category_id == contracted.id, Case.accepted_at.is_not(None)) > 0


def _check_some_escalated_by_hand_and_by_the_sweep_exactly_once():
    assert _escalations(by_hand=True) >= 2 and _escalations(by_hand=False) >= 3
    escalated = _count(Case, Case.loop == DISTRICT_LOOP)
    assert escalated == _count(CaseEvent, CaseEvent.action == "escalate")  # once each
    # finished cases among them: a step ran past its clock and the sweep caught it then
    assert _count(Case, Case.loop == DISTRICT_LOOP, Case.status.in_(("closed", "evaluated"))) >= 1


def _check_some_overdue_now_some_reopened_some_sent_back():
    now = utcnow()
    overdue = [case for case in db.session.scalars(select(Case)) if service.is_overdue(case, now)]
    assert len(overdue) >= 3
    assert _count(Case, Case.reopened_count == 1) >= 3
    assert _count(CaseEvent, CaseEvent.action == "handle_again") >= 2
    assert _count(Case, Case.status == "evaluated", Case.satisfaction == "unsatisfied") >= 1


def _check_reporters_are_demo_grid_workers_and_residents():
    reporters = set(db.session.scalars(select(Case.reporter_id).distinct()))
    from portal.accounts.models import User

    emails = set(db.session.scalars(select(User.email).where(User.id.in_(reporters))))
    assert demo_email("grid-worker") in emails
    assert len({e for e in emails if e.startswith("grid-worker")}) >= 3
    assert len({e for e in emails if e.startswith("resident")}) >= 10
    assert _count(Case, Case.reported_via == "phone_app") > 0


def _check_points_lie_around_the_street_and_photos_are_stored(app):
    south, west, north, east = service.city_bounds()
    points = list(db.session.execute(select(Case.latitude, Case.longitude).where(Case.latitude.is_not(None))))
    assert len(points) >= 40
    lats = [lat for lat, _lon in COMMUNITY_CENTRES.values()]
    lons = [lon for _lat, lon in COMMUNITY_CENTRES.values()]
    for latitude, longitude in points:
        assert south < latitude < north and west < longitude < east
        assert min(lats) - 0.005 < latitude < max(lats) + 0.005 and min(lons) - 0.005 < longitude < max(lons) + 0.005
    assert _count(CasePhoto, CasePhoto.stage == "follow_up") == _count(CaseEvent, CaseEvent.action == "verify")
    assert _count(CasePhoto, CasePhoto.stage == "report") >= 10


def _check_the_board_shows_the_demo_street(client):
    html = client.get("/cases/board").get_data(as_text=True)
    assert STREET_NAME in html and "case-map-svg" in html


def test_the_demo_street_has_a_month_of_cases_and_a_second_run_adds_nothing(runner, client, app):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "grid cases:" in result.output
    street = db.session.scalar(select(Place).where(Place.name == STREET_NAME, Place.kind == "street"))
    _check_a_month_of_cases_in_every_state(street)
    _check_categories_route_to_departments_and_a_contracted_organisation(street)
    _check_some_escalated_by_hand_and_by_the_sweep_exactly_once()
    _check_some_overdue_now_some_reopened_some_sent_back()
    _check_reporters_are_demo_grid_workers_and_residents()
    _check_points_lie_around_the_street_and_photos_are_stored(app)
    _check_the_board_shows_the_demo_street(client)

    tables = (Case, CaseCategory, CaseEvent, CasePhoto, AuditEvent)
    before = {model.__name__: _count(model) for model in tables}
    assert seed_cases() and runner.invoke(args=["demo"]).exit_code == 0
    assert {model.__name__: _count(model) for model in tables} == before
