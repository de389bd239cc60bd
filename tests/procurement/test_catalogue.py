"""The catalogue service (portal/procurement/catalogue.py and catalogue_import.py): departments, catalogue items, the
CSV import, qualifications and the minimum wage. Bad input gets a clear message and stores nothing."""
from collections import namedtuple

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.accounts import roles
from portal.audit.models import AuditEvent
from portal.core.csv_import import ImportRejected
from portal.core.errors import IllegalTransition, ValidationFailed
from portal.extensions import db
from portal.orgs.models import PENDING, SUSPENDED, VERIFIED
from portal.procurement import catalogue
from portal.procurement.catalogue_import import import_catalogue_csv, import_template_csv
from portal.procurement.models import CatalogueItem, Department, MinimumWage, Qualification
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import make_organisation
from tests.factories.places import make_place, make_tree
from tests.factories.procurement import make_catalogue_item, make_department

World = namedtuple("World", "tree official street_official org pending_org department other_street")


@pytest.fixture
def world():
    tree = make_tree()
    other_street = make_place("street", "西陵街道", tree["district"])
    official = UserFactory(locale="en")
    grant(official, roles.OFFICIAL, tree["district"])
    street_official = UserFactory(locale="en")
    grant(street_official, roles.OFFICIAL, tree["street"])
    creator = UserFactory()
    org = make_organisation(creator, tree["community"], status=VERIFIED)
    pending_org = make_organisation(creator, tree["community"], status=PENDING)
    department = make_department(tree["district"], "西陵区民政局")
    return World(tree, official, street_official, org, pending_org, department, other_street)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _refused(call, *args, **kwargs) -> ValidationFailed:
    with force_locale("en"), pytest.raises(ValidationFailed) as raised:
        call(*args, **kwargs)
    return raised.value


ITEM = {"year": 2026, "code": "YL-01", "name": "居家养老上门服务", "category": "elderly_care", "unit": "hour",
        "ceiling": "45.50", "quality_standard": "服务记录完整；回访满意率不低于90%"}


# --- departments ---------------------------------------------------------------------------------------

def test_an_official_sets_up_a_department_on_a_street_in_their_area(world):
    department = catalogue.create_department(world.tree["street"], " 夜明珠街道办事处 ", actor=world.official)
    assert (department.place_id, department.name) == (world.tree["street"].id, "夜明珠街道办事处")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "department.created"))
    assert event.object_id == str(department.id) and event.actor_id == world.official.id


def test_a_department_outside_the_officials_area_is_refused_and_not_stored(world):
    before = _count(Department)
    error = _refused(catalogue.create_department, world.tree["district"], "区财政局", actor=world.street_official)
    assert error.field == "place" and "your area" in error.message
    assert _count(Department) == before


def test_a_department_on_a_community_is_refused(world):
    error = _refused(catalogue.create_department, world.tree["community"], "社区居委会", actor=world.official)
    assert error.field == "place"


def test_two_departments_of_one_name_on_one_place_are_refused(world):
    error = _refused(catalogue.create_department, world.tree["district"], "西陵区民政局", actor=world.official)
    assert error.field == "name" and "already has a department" in error.message


def test_departments_for_lists_the_departments_in_the_officials_area(world):
    on_street = make_department(world.tree["street"], "夜明珠街道办事处")
    make_department(world.other_street, "西陵街道办事处")
    assert [d.id for d in catalogue.departments_for(world.street_official)] == [on_street.id]
    assert len(catalogue.departments_for(world.official)) == 3


# --- catalogue items -----------------------------------------------------------------------------------

def test_an_item_stores_the_ceiling_typed_in_yuan_as_fen(world):
    item = catalogue.create_item(world.department, actor=world.official, **ITEM)
    assert (item.unit_price_ceiling_minor, item.unit, item.category, item.year) == (4550, "hour", "elderly_care", 2026)
    assert catalogue.ceiling_text(item) == "45.50"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "catalogue_item.created"))
    assert event.after["unit_price_ceiling_minor"] == 4550


@pytest.mark.parametrize(("field", "value", "says"), [
    ("ceiling", "abc", "in yuan"), ("ceiling", "0", "more than zero"), ("ceiling", "-5", "negative"),
    ("ceiling", "12.345", "two decimals"), ("ceiling", "", "Enter an amount"),
    ("ceiling", "2000000", "too large"),
    ("category", "cooking", "category"), ("unit", "day", "hour, visit"),
    ("year", 1999, "four digits"), ("code", "YL 01", "letters, digits"), ("name", "  ", "name"),
    ("quality_standard", "", "quality standard"),
])
def test_bad_item_input_gets_a_clear_message_and_stores_nothing(world, field, value, says):
    before = _count(CatalogueItem)
    error = _refused(catalogue.create_item, world.department, actor=world.official, **{**ITEM, field: value})
    assert error.field == {"ceiling": "unit_price_ceiling"}.get(field, field)
    assert says in error.message
    assert _count(CatalogueItem) == before


def test_a_code_is_unique_per_department_and_year(world):
    catalogue.create_item(world.department, actor=world.official, **ITEM)
    error = _refused(catalogue.create_item, world.department, actor=world.official, **{**ITEM, "name": "另一项"})
    assert error.field == "code" and "YL-01" in error.message
    next_year = catalogue.create_item(world.department, actor=world.official, **{**ITEM, "year": 2027})
    other = catalogue.create_item(make_department(world.tree["street"]), actor=world.official, **ITEM)
    assert next_year.code == other.code == "YL-01"


def test_editing_an_item_is_audited_with_before_and_after(world):
    item = catalogue.create_item(world.department, actor=world.official, **ITEM)
    catalogue.update_item(item, actor=world.official, **{**ITEM, "ceiling": "50"})
    assert item.unit_price_ceiling_minor == 5000
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "catalogue_item.updated"))
    assert (event.before["unit_price_ceiling_minor"], event.after["unit_price_ceiling_minor"]) == (4550, 5000)


def test_an_edit_cannot_take_the_code_of_another_item(world):
    make_catalogue_item(world.department, code="YL-02", year=2026)
    item = catalogue.create_item(world.department, actor=world.official, **ITEM)
    error = _refused(catalogue.update_item, item, actor=world.official, **{**ITEM, "code": "YL-02"})
    assert error.field == "code"
    db.session.expire_all()
    assert db.session.get(CatalogueItem, item.id).code == "YL-01"


def test_an_item_a_published_call_buys_cannot_change_and_stays_as_it_was(world):
    from portal.core.errors import DomainError
    from tests.factories.procurement import make_call

    item = catalogue.create_item(world.department, actor=world.official, **ITEM)
    make_call(world.department, world.official, item=item)
    with force_locale("en"), pytest.raises(DomainError) as raised:
        catalogue.update_item(item, actor=world.official, **{**ITEM, "ceiling": "60"})
    assert raised.value.status_code == 409 and "published call" in raised.value.message
    db.session.expire_all()
    assert db.session.get(CatalogueItem, item.id).unit_price_ceiling_minor == 4550


def test_an_item_only_a_draft_call_buys_can_still_change(world):
    from tests.factories.procurement import make_call

    item = catalogue.create_item(world.department, actor=world.official, **ITEM)
    make_call(world.department, world.official, item=item, status="draft")
    catalogue.update_item(item, actor=world.official, **{**ITEM, "ceiling": "60"})
    assert item.unit_price_ceiling_minor == 6000


# --- the CSV import ------------------------------------------------------------------------------------

HEADER = "year,code,name,category,unit,unit_price_ceiling,quality_standard\n"


def test_the_csv_import_adds_every_line_with_chinese_names_for_categories_and_units(world):
    result = import_catalogue_csv(world.department, HEADER + "2026,YL-01,上门服务,elderly_care,hour,45,记录完整\n"
                                  "2026,YL-02,助餐配送,养老服务,次,18.5,按时送达\n"
                                  "2026,WH-01,文化活动,文化体育,场,3000,签到\n", actor=world.official)
    assert result.count == 3
    rows = db.session.execute(select(CatalogueItem.code, CatalogueItem.category, CatalogueItem.unit,
                                     CatalogueItem.unit_price_ceiling_minor)
                              .where(CatalogueItem.department_id == world.department.id)
                              .order_by(CatalogueItem.code)).all()
    assert [tuple(row) for row in rows] == [("WH-01", "culture_sports", "session", 300000),
                                            ("YL-01", "elderly_care", "hour", 4500),
                                            ("YL-02", "elderly_care", "visit", 1850)]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "catalogue.imported")).after["count"] == 3


def test_a_csv_with_bad_lines_imports_nothing_and_names_every_line(world):
    before = _count(CatalogueItem)
    text = (HEADER + "2026,YL-01,上门服务,elderly_care,hour,45,记录完整\n"
            "2026,YL-02,助餐,elderly_care,day,18,按时\n"          # line 3: unit
            "2026,YL-01,重复,elderly_care,hour,20,记录\n"          # line 4: code of line 2
            "\n"
            "26,YL-03,探访,elderly_care,visit,abc,记录\n")         # line 6: year and ceiling
    with force_locale("en"), pytest.raises(ImportRejected) as raised:
        import_catalogue_csv(world.department, text, actor=world.official)
    found = [(error.line, error.column) for error in raised.value.errors]
    assert found == [(3, "unit"), (4, "code"), (6, "year"), (6, "unit_price_ceiling")]
    assert "line 2" in raised.value.errors[1].message
    assert _count(CatalogueItem) == before


def test_a_csv_line_whose_code_the_catalogue_already_has_is_refused(world):
    make_catalogue_item(world.department, code="YL-01", year=2026)
    before = _count(CatalogueItem)
    with force_locale("en"), pytest.raises(ImportRejected) as raised:
        import_catalogue_csv(world.department, HEADER + "2026,YL-09,新项目,elderly_care,hour,40,标准\n"
                             "2026,YL-01,上门服务,elderly_care,hour,45,记录完整\n", actor=world.official)
    assert [(e.line, e.column) for e in raised.value.errors] == [(3, "code")]
    assert "already has" in raised.value.errors[0].message
    assert _count(CatalogueItem) == before


def test_a_csv_without_the_right_header_is_refused_on_line_1(world):
    with force_locale("en"), pytest.raises(ImportRejected) as raised:
        import_catalogue_csv(world.department, "year,code,name\n2026,A,B\n", actor=world.official)
    (error,) = raised.value.errors
    assert error.line == 1 and "category" in error.column and "unit_price_ceiling" in error.message


def test_a_gb18030_csv_from_a_chinese_spreadsheet_is_read(world):
    data = (HEADER + "2026,ZJ-01,助老服务,养老服务,小时,40,记录\n").encode("gb18030")
    assert import_catalogue_csv(world.department, data, actor=world.official).items[0].name == "助老服务"


def test_the_template_csv_imports_as_it_is(world):
    result = import_catalogue_csv(world.department, import_template_csv().encode(), actor=world.official)
    assert result.count == 4


# --- qualifications ------------------------------------------------------------------------------------

def _qualify(world, organisation=None, place=None, category="elderly_care", actor=None, **criteria):
    return catalogue.record_qualification(organisation or world.org, place or world.tree["district"], category,
                                          actor=actor or world.official,
                                          **{"years_registered": 4, "past_delivery": "三个社区的居家养老", **criteria})


def test_an_official_qualifies_a_verified_organisation_with_its_criteria(world):
    qualification = _qualify(world, note="评估良好")
    assert (qualification.years_registered, qualification.past_delivery, qualification.note,
            qualification.recorded_by_id) == (4, "三个社区的居家养老", "评估良好", world.official.id)
    assert catalogue.is_qualified(world.org, "elderly_care", world.tree["community"])
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "qualification.recorded")) is not None


@pytest.mark.parametrize("status", [PENDING, SUSPENDED])
def test_only_a_verified_organisation_can_be_qualified(world, status):
    world.pending_org.status = status
    before = _count(Qualification)
    error = _refused(_qualify, world, organisation=world.pending_org)
    assert error.field == "organisation" and "verified" in error.message
    assert _count(Qualification) == before


def test_a_qualification_outside_the_officials_area_is_refused(world):
    before = _count(Qualification)
    error = _refused(_qualify, world, place=world.other_street, actor=world.street_official)
    assert error.field == "place"
    assert _count(Qualification) == before


@pytest.mark.parametrize(("criteria", "field"), [({"years_registered": -1}, "years_registered"),
                                                 ({"years_registered": "many"}, "years_registered"),
                                                 ({"past_delivery": " "}, "past_delivery"),
                                                 ({"category": "cooking"}, "category")])
def test_bad_qualification_input_gets_a_message_and_stores_nothing(world, criteria, field):
    before = _count(Qualification)
    error = _refused(_qualify, world, **criteria)
    assert error.field == field
    assert _count(Qualification) == before


def test_an_organisation_is_qualified_once_per_place_and_category(world):
    _qualify(world)
    error = _refused(_qualify, world)
    assert error.field == "category" and "already qualified" in error.message
    assert _qualify(world, category="disability").category == "disability"


def test_a_revoked_qualification_no_longer_counts_and_keeps_its_reason(world):
    qualification = _qualify(world)
    catalogue.revoke_qualification(qualification, actor=world.official, reason="连续两年评估不合格")
    assert qualification.revoked_at is not None and qualification.revoked_reason == "连续两年评估不合格"
    assert not catalogue.is_qualified(world.org, "elderly_care", world.tree["community"])
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "qualification.revoked"))
    assert event.after["revoked_reason"] == "连续两年评估不合格"


def test_revoking_needs_a_reason_and_changes_nothing_without_one(world):
    qualification = _qualify(world)
    error = _refused(catalogue.revoke_qualification, qualification, actor=world.official, reason="  ")
    assert error.field == "reason"
    assert qualification.revoked_at is None


def test_revoking_twice_is_an_illegal_step(world):
    qualification = _qualify(world)
    catalogue.revoke_qualification(qualification, actor=world.official, reason="不合格")
    revoked_at = qualification.revoked_at
    with pytest.raises(IllegalTransition) as raised:
        catalogue.revoke_qualification(qualification, actor=world.official, reason="又一次")
    assert raised.value.status_code == 409
    assert (qualification.revoked_at, qualification.revoked_reason) == (revoked_at, "不合格")


def test_a_revoked_organisation_can_be_qualified_again_on_the_same_entry(world):
    qualification = _qualify(world)
    catalogue.revoke_qualification(qualification, actor=world.official, reason="整改中")
    again = _qualify(world, years_registered=5, past_delivery="整改后重新评估合格")
    assert again.id == qualification.id and again.revoked_at is None and again.years_registered == 5
    assert catalogue.is_qualified(world.org, "elderly_care", world.tree["grid"])


def test_is_qualified_walks_up_the_tree_never_down_or_across(world):
    _qualify(world, place=world.tree["street"])
    assert catalogue.is_qualified(world.org, "elderly_care", world.tree["street"])
    assert catalogue.is_qualified(world.org, "elderly_care", world.tree["grid"])
    assert not catalogue.is_qualified(world.org, "elderly_care", world.tree["district"])
    assert not catalogue.is_qualified(world.org, "elderly_care", world.other_street)
    assert not catalogue.is_qualified(world.org, "disability", world.tree["community"])
    assert not catalogue.is_qualified(world.pending_org, "elderly_care", world.tree["community"])


# --- the minimum wage ----------------------------------------------------------------------------------

def test_minimum_wage_for_takes_the_nearest_setting_up_the_tree(world):
    assert catalogue.minimum_wage_for(world.tree["grid"]) is None
    catalogue.set_minimum_wage(world.tree["district"], actor=world.official, hourly="18.5")
    assert catalogue.minimum_wage_for(world.tree["grid"]) == 1850
    catalogue.set_minimum_wage(world.tree["street"], actor=world.official, hourly="20")
    assert catalogue.minimum_wage_for(world.tree["grid"]) == 2000
    assert catalogue.minimum_wage_for(world.other_street) == 1850
    assert catalogue.minimum_wage_for(world.tree["district"]) == 1850


def test_setting_the_minimum_wage_again_replaces_it_and_is_audited(world):
    catalogue.set_minimum_wage(world.tree["district"], actor=world.official, hourly="18")
    catalogue.set_minimum_wage(world.tree["district"], actor=world.official, hourly="19")
    assert db.session.get(MinimumWage, world.tree["district"].id).hourly_minor == 1900
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "minimum_wage.set")
                                .order_by(AuditEvent.id)).all()
    assert [e.after["hourly_minor"] for e in events] == [1800, 1900] and events[1].before == {"hourly_minor": 1800}


@pytest.mark.parametrize(("hourly", "says"), [("0", "more than zero"), ("abc", "in yuan"), ("5000", "too large")])
def test_a_bad_minimum_wage_gets_a_message_and_stores_nothing(world, hourly, says):
    error = _refused(catalogue.set_minimum_wage, world.tree["district"], actor=world.official, hourly=hourly)
    assert error.field == "hourly" and says in error.message
    assert _count(MinimumWage) == 0


def test_a_minimum_wage_outside_the_officials_area_is_refused(world):
    error = _refused(catalogue.set_minimum_wage, world.tree["district"], actor=world.street_official, hourly="20")
    assert error.field == "place"
    assert _count(MinimumWage) == 0
