"""Places service: create, update, move (with the whole subtree) and the subtree query helpers."""
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.errors import DomainError, ValidationFailed
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.places import service
from portal.places.models import Place
from tests.factories.accounts import UserFactory
from tests.factories.orgs import make_organisation


@pytest.fixture
def admin():
    return UserFactory()


@pytest.fixture
def city(admin):
    """One district with two streets; street A has a community with two grids."""
    district = service.create_place("district", "西陵区", "420502", None, actor=admin)
    street_a = service.create_place("street", "夜明珠街道", "420502001", district, actor=admin)
    street_b = service.create_place("street", "西陵街道", "420502002", district, actor=admin)
    community = service.create_place("community", "铁路坝社区", "420502001001", street_a, 3200, 1050, actor=admin)
    grid_1 = service.create_place("grid", "铁路坝第1网格", "G1", community, actor=admin)
    grid_2 = service.create_place("grid", "铁路坝第2网格", "G2", community, actor=admin)
    return {"district": district, "street_a": street_a, "street_b": street_b, "community": community,
            "grid_1": grid_1, "grid_2": grid_2}


def _audits(action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_create_sets_materialised_path_and_audits(city, admin):
    community, grid = city["community"], city["grid_1"]
    assert community.path == f"/{city['district'].id}/{city['street_a'].id}/{community.id}/"
    assert grid.path == community.path + f"{grid.id}/"
    assert community.population == 3200 and community.households == 1050
    created = _audits("place.created")
    assert len(created) == 6
    assert created[3].after["code"] == "420502001001" and created[3].actor_id == admin.id


@pytest.mark.parametrize(("kind", "parent_key"), [
    ("street", "community"),   # a street lies in a district
    ("grid", "street_a"),      # a grid lies in a community
    ("district", "district"),  # a district has no parent
    ("community", None),       # a community needs a street
])
def test_parent_of_the_wrong_kind_is_refused(city, admin, kind, parent_key):
    before = db.session.scalar(select(db.func.count()).select_from(Place))
    with pytest.raises(ValidationFailed) as raised:
        service.create_place(kind, "新地方", "NEW1", city[parent_key] if parent_key else None, actor=admin)
    assert raised.value.field == "parent"
    assert db.session.scalar(select(db.func.count()).select_from(Place)) == before


def test_duplicate_code_is_refused(city, admin):
    with pytest.raises(ValidationFailed) as raised:
        service.create_place("street", "另一个街道", "420502001", city["district"], actor=admin)
    assert raised.value.field == "code"


@pytest.mark.parametrize(("name", "code", "population", "field"), [
    ("  ", "C1", None, "name"),
    ("长" * 101, "C1", None, "name"),
    ("好名字", "has space", None, "code"),
    ("好名字", "", None, "code"),
    ("好名字", "C1", -1, "population"),
])
def test_bad_values_are_refused_with_their_field(city, admin, name, code, population, field):
    with pytest.raises(ValidationFailed) as raised:
        service.create_place("street", name, code, city["district"], population, actor=admin)
    assert raised.value.field == field


def test_update_changes_fields_and_records_before_and_after(city, admin):
    community = city["community"]
    service.update_place(community, " 铁路坝社区（新） ", "420502001009", 3300, None, actor=admin)
    assert (community.name, community.code, community.population, community.households) == (
        "铁路坝社区（新）", "420502001009", 3300, None)
    (event,) = _audits("place.updated")
    assert event.before["code"] == "420502001001" and event.after["code"] == "420502001009"
    assert event.before["households"] == 1050 and event.after["households"] is None


def test_update_to_a_code_in_use_is_refused(city, admin):
    with pytest.raises(ValidationFailed) as raised:
        service.update_place(city["community"], "铁路坝社区", "G1", None, None, actor=admin)
    assert raised.value.field == "code"


def test_update_without_changes_writes_no_audit(city, admin):
    community = city["community"]
    service.update_place(community, community.name, community.code, 3200, 1050, actor=admin)
    assert _audits("place.updated") == []


def test_move_rewrites_paths_of_the_place_and_all_descendants(city, admin):
    community, street_b = city["community"], city["street_b"]
    service.move_place(community, street_b, actor=admin)
    db.session.expire_all()
    expected = f"/{city['district'].id}/{street_b.id}/{community.id}/"
    assert db.session.get(Place, community.id).path == expected
    assert db.session.get(Place, community.id).parent_id == street_b.id
    for grid in ("grid_1", "grid_2"):
        assert db.session.get(Place, city[grid].id).path == expected + f"{city[grid].id}/"
    # places outside the moved subtree keep their paths
    assert db.session.get(Place, city["street_a"].id).path == f"/{city['district'].id}/{city['street_a'].id}/"
    (event,) = _audits("place.moved")
    assert event.before["parent_id"] == city["street_a"].id and event.after["parent_id"] == street_b.id
    assert event.after["path"] == expected


def test_move_updates_objects_already_loaded_in_the_session(city, admin):
    grid = city["grid_1"]
    service.move_place(city["community"], city["street_b"], actor=admin)
    assert grid.path.startswith(city["street_b"].path)


def test_move_is_one_update_statement_for_the_subtree(city, admin, count_queries):
    for n in range(10):
        service.create_place("grid", f"网格{n}", f"GX{n}", city["community"], actor=admin)
    with count_queries() as statements:
        service.move_place(city["community"], city["street_b"], actor=admin)
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE PLACES")]
    assert len(updates) == 2  # the subtree's paths, then the place's parent_id


def test_move_under_own_descendant_is_refused(city, admin):
    street = city["street_a"]
    with force_locale("en"), pytest.raises(DomainError) as raised:
        service.move_place(street, city["community"], actor=admin)
    assert "itself" in raised.value.message
    with pytest.raises(DomainError):
        service.move_place(street, street, actor=admin)
    assert street.path == f"/{city['district'].id}/{street.id}/"


def test_move_under_a_parent_of_the_wrong_kind_is_refused(city, admin):
    with pytest.raises(ValidationFailed) as raised:
        service.move_place(city["community"], city["district"], actor=admin)
    assert raised.value.field == "parent"
    assert city["community"].parent_id == city["street_a"].id


def test_move_to_the_same_parent_changes_nothing(city, admin):
    service.move_place(city["community"], city["street_a"], actor=admin)
    assert _audits("place.moved") == []


def test_subtree_condition_finds_everything_within_a_place(city, admin):
    inside = make_organisation(admin, city["grid_1"])
    at_community = make_organisation(admin, city["community"])
    outside = make_organisation(admin, city["street_b"])
    found = set(db.session.scalars(select(Organisation.id).where(
        service.subtree_condition(Organisation.home_place_id, city["community"]))))
    assert found == {inside.id, at_community.id}
    assert outside.id not in found
    ids = set(db.session.scalars(service.subtree_ids_query(city["street_a"])))
    assert ids == {city[k].id for k in ("street_a", "community", "grid_1", "grid_2")}


def test_ancestors_of_lists_the_places_above_root_first(city):
    assert [p.code for p in service.ancestors_of(city["grid_1"])] == ["420502", "420502001", "420502001001"]
    assert service.ancestors_of(city["district"]) == []
