"""`portal demo`: the demo city is complete, valid and idempotent."""
from sqlalchemy import func, select

from portal.accounts import roles
from portal.accounts.models import RoleAssignment, User
from portal.accounts.passwords import check_password_strength, verify_password
from portal.audit.models import AuditEvent
from portal.demo_city import DEMO_PASSWORD, ROLE_USERS, credit_code, demo_email
from portal.extensions import db
from portal.orgs.credit_code import validate_credit_code
from portal.orgs.models import LEGAL_FORMS, PENDING, REJECTED, SUSPENDED, VERIFIED, Organisation
from portal.places.models import Place


def _run_demo(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result


def _count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def _place_counts() -> dict[str, int]:
    return dict(db.session.execute(select(Place.kind, func.count()).group_by(Place.kind)).all())


def _check_the_city_has_two_districts_six_streets_twenty_communities_and_150_grids(demo):
    assert _place_counts() == {"district": 2, "street": 6, "community": 20, "grid": 150}


def _check_places_have_stable_codes_and_paths_built_from_their_parents(demo):
    places = {place.id: place for place in db.session.scalars(select(Place))}
    for place in places.values():
        if place.parent_id is None:
            assert place.path == f"/{place.id}/"
            assert len(place.code) == 6
        else:
            parent = places[place.parent_id]
            assert place.path == f"{parent.path}{place.id}/"
            assert place.code.startswith(parent.code) and len(place.code) == len(parent.code) + 3
    grid = db.session.scalar(select(Place).where(Place.code == "420502001001003"))
    assert grid.name == "铁路坝社区第3网格"


def _check_grids_have_plausible_numbers_that_add_up(demo):
    grids = list(db.session.scalars(select(Place).where(Place.kind == "grid")))
    assert all(300 <= grid.population <= 500 and 200 <= grid.households <= 300 for grid in grids)
    district = db.session.scalar(select(Place).where(Place.code == "420502"))
    inside = select(func.sum(Place.population)).where(Place.kind == "grid", Place.path.startswith(district.path))
    assert district.population == db.session.scalar(inside)


def _check_every_role_is_held_by_a_demo_account(demo):
    held = set(db.session.scalars(select(RoleAssignment.role).distinct()))
    assert held >= set(roles.ROLE_SCOPES)
    resident = db.session.scalar(select(User).where(User.email == demo_email("resident")))
    assert resident.role_assignments == []
    assert _count(User, User.email.like("resident__@demo.example.org")) == 30


def _check_demo_accounts_share_the_printed_password(demo):
    check_password_strength(DEMO_PASSWORD)  # raises if the rules refuse it
    users = list(db.session.scalars(select(User).where(User.email.like("%@demo.example.org"))))
    assert len(users) >= len(ROLE_USERS) + 30
    hashes = {user.password_hash for user in users}
    assert len(hashes) <= 8  # each seeding step hashes the one demo password once
    assert all(verify_password(password_hash, DEMO_PASSWORD) for password_hash in hashes)
    assert demo_email("admin") in demo.output and DEMO_PASSWORD in demo.output
    assert "official-district@demo.example.org" in demo.output and "西陵区" in demo.output


def _check_organisations_in_every_status_and_legal_form_with_valid_codes(demo):
    organisations = list(db.session.scalars(select(Organisation)))
    assert len(organisations) >= 12
    assert {o.status for o in organisations} == {PENDING, VERIFIED, REJECTED, SUSPENDED}
    assert {o.legal_form for o in organisations} == set(LEGAL_FORMS)
    for organisation in organisations:
        assert validate_credit_code(organisation.credit_code, organisation.legal_form) == organisation.credit_code
        assert organisation.service_areas and organisation.description and organisation.contact_phone
        if organisation.status in (REJECTED, SUSPENDED):
            assert organisation.status_reason
        assert _count(RoleAssignment, RoleAssignment.role == roles.ORG_ADMIN,
                      RoleAssignment.scope_type == roles.SCOPE_ORGANISATION,
                      RoleAssignment.scope_id == organisation.id) == 1
    assert len({o.home_place_id for o in organisations}) >= 10


def test_credit_codes_carry_a_valid_organisation_code():
    # positions 9-17 are the GB 11714 organisation code, whose last character checks the other eight
    code = credit_code("foundation", "420502", 7)
    body = code[8:16]
    total = sum(int(ch, 36) * weight for ch, weight in zip(body, [3, 7, 9, 10, 5, 8, 4, 2], strict=True))
    assert code[16] == {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))
    assert code[:8] == "53420502"


def _check_running_the_demo_twice_changes_nothing(demo, runner):
    tables = (Place, User, RoleAssignment, Organisation, AuditEvent)
    before = {model.__name__: _count(model) for model in tables}
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert {model.__name__: _count(model) for model in tables} == before
    assert again.output == demo.output


def _check_grants_are_audited(demo):
    assert _count(AuditEvent, AuditEvent.action == "role.granted") == _count(RoleAssignment)


def _check_the_demo_admin_can_sign_in_and_read_the_audit_log(demo, client):
    response = client.post_form("/login", {"email": demo_email("admin"), "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get("/admin/audit/", query_string={"action": "role.granted"})
    assert page.status_code == 200
    assert "org_admin" in page.get_data(as_text=True)


def _check_later_domains(demo, runner):
    from portal.funds.models import Campaign, Team, TeamMember
    from portal.needs.models import Need
    from portal.projects.models import ServiceProject
    from portal.volunteering.models import HourRecord, Shift

    assert (_count(Campaign), _count(Team), _count(TeamMember)) == (51, 156, 1672)
    assert _count(ServiceProject) >= 60 and _count(Need) >= 20
    assert _count(Shift) > 0 and _count(HourRecord) > 0
    reconcile = runner.invoke(args=["reconcile"])
    assert reconcile.exit_code == 0, reconcile.output


def test_the_demo_city_is_complete_valid_and_idempotent(runner, client):
    """One run of `portal demo` (it takes seconds), checked from every side, then a second run."""
    demo = _run_demo(runner)
    _check_the_city_has_two_districts_six_streets_twenty_communities_and_150_grids(demo)
    _check_places_have_stable_codes_and_paths_built_from_their_parents(demo)
    _check_grids_have_plausible_numbers_that_add_up(demo)
    _check_every_role_is_held_by_a_demo_account(demo)
    _check_demo_accounts_share_the_printed_password(demo)
    _check_organisations_in_every_status_and_legal_form_with_valid_codes(demo)
    _check_running_the_demo_twice_changes_nothing(demo, runner)
    _check_grants_are_audited(demo)
    _check_the_demo_admin_can_sign_in_and_read_the_audit_log(demo, client)
    _check_later_domains(demo, runner)
