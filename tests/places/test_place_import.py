"""CSV import of places: validated line by line, all or nothing, UTF-8 (with or without BOM) or GB18030."""
import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.core import csv_import
from portal.extensions import db
from portal.places import service
from portal.places.models import Place
from tests.factories.places import make_place

GOOD = """kind,name,code,parent_code,population,households
district,西陵区,420502,,,
street,夜明珠街道,420502001,420502,52000,17300
community,铁路坝社区,420502001001,420502001,3200,1050
grid,铁路坝第1网格,420502001001-01,420502001001,420,150
grid,铁路坝第2网格,420502001001-02,420502001001,,
"""


def _place_count():
    return db.session.scalar(select(func.count()).select_from(Place))


def _by_code(code):
    return db.session.scalar(select(Place).where(Place.code == code))


def _rejected(data):
    before = _place_count()
    with pytest.raises(csv_import.ImportRejected) as raised:
        service.import_places_csv(data)
    assert _place_count() == before, "a rejected file must save nothing"
    return raised.value.errors


def test_good_file_creates_the_tree_with_paths():
    result = service.import_places_csv(GOOD.encode("utf-8"))
    assert result.count == 5
    district, street, community = _by_code("420502"), _by_code("420502001"), _by_code("420502001001")
    grid = _by_code("420502001001-02")
    assert street.parent_id == district.id and community.parent_id == street.id
    assert grid.path == f"/{district.id}/{street.id}/{community.id}/{grid.id}/"
    assert (community.population, community.households) == (3200, 1050)
    assert grid.population is None
    created = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "place.created"))
    assert created == 5
    summary = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "places.imported"))
    assert summary.after["count"] == 5


def test_file_with_utf8_bom_is_read():
    service.import_places_csv(GOOD.encode("utf-8-sig"))
    assert _by_code("420502").name == "西陵区"


def test_gb18030_file_from_a_chinese_excel_is_read():
    service.import_places_csv(GOOD.encode("gb18030"))
    assert _by_code("420502001001").name == "铁路坝社区"


def test_windows_line_endings_and_chinese_kind_names_are_accepted():
    text = "kind,name,code,parent_code\r\n区,西陵区,D1,\r\n街道,夜明珠街道,S1,D1\r\n"
    service.import_places_csv(text.encode("utf-8"))
    assert _by_code("S1").kind == "street"


def test_parent_may_already_exist_in_the_database():
    district = make_place("district", "伍家岗区", code="420503")
    service.import_places_csv("kind,name,code,parent_code\nstreet,大公桥街道,420503001,420503\n")
    assert _by_code("420503001").path == f"{district.path}{_by_code('420503001').id}/"


def test_two_bad_rows_report_both_line_numbers_and_save_nothing():
    text = GOOD.replace("street,夜明珠街道,420502001,420502,52000,17300",
                        "street,,420502001,420502,52000,17300") \
               .replace("grid,铁路坝第2网格,420502001001-02,420502001001,,",
                        "grid,铁路坝第2网格,420502001001-02,420502001001,-5,")
    errors = _rejected(text.encode())
    assert [(e.line, e.column) for e in errors] == [(3, "name"), (6, "population")]


def test_duplicate_code_in_the_file_names_both_lines():
    text = GOOD + "grid,铁路坝第3网格,420502001001-01,420502001001,,\n"
    (error,) = _rejected(text)
    assert error.line == 7 and error.column == "code"
    assert "5" in error.message  # names the earlier line (the message is in the user's language)


def test_code_already_in_the_database_is_refused():
    make_place("district", "西陵区", code="420502")
    (error,) = _rejected(GOOD)
    assert (error.line, error.column) == (2, "code")


def test_unknown_parent_is_refused():
    (error,) = _rejected("kind,name,code,parent_code\nstreet,夜明珠街道,S1,NOPE\n")
    assert (error.line, error.column) == (2, "parent_code")
    assert "NOPE" in error.message


def test_parent_must_come_on_an_earlier_line():
    text = "kind,name,code,parent_code\nstreet,夜明珠街道,S1,D1\ndistrict,西陵区,D1,\n"
    (error,) = _rejected(text)
    assert (error.line, error.column) == (2, "parent_code")


def test_parent_of_the_wrong_kind_is_refused():
    text = "kind,name,code,parent_code\ndistrict,西陵区,D1,\ngrid,网格,G1,D1\ndistrict,另一个区,D2,D1\n"
    errors = _rejected(text)
    assert [(e.line, e.column) for e in errors] == [(3, "parent_code"), (4, "parent_code")]


@pytest.mark.parametrize(("value", "column"), [
    ("town,镇,T1,,,", "kind"),
    ("district," + "长" * 101 + ",T1,,,", "name"),
    ("district,西陵区,bad code,,,", "code"),
    ("district,西陵区,T1,,1.5,", "population"),
    ("district,西陵区,T1,,,many", "households"),
])
def test_each_bad_value_is_reported_with_its_column(value, column):
    (error,) = _rejected("kind,name,code,parent_code,population,households\n" + value + "\n")
    assert (error.line, error.column) == (2, column)


def test_missing_header_column_is_reported_on_line_one():
    (error,) = _rejected("kind,name,code\ndistrict,西陵区,D1\n")
    assert error.line == 1 and "parent_code" in error.column


def test_unknown_header_column_is_reported():
    (error,) = _rejected("kind,name,code,parent_code,populaton\ndistrict,西陵区,D1,,5\n")
    assert error.line == 1 and error.column == "populaton"


def test_empty_file_and_header_only_are_refused():
    assert _rejected(b"")[0].line == 1
    assert _rejected("kind,name,code,parent_code\n")[0].line == 2


def test_blank_lines_are_skipped_and_line_numbers_stay_true():
    text = "kind,name,code,parent_code\n\ndistrict,西陵区,D1,\n,,,\nstreet,,S1,D1\n"
    (error,) = _rejected(text)
    assert (error.line, error.column) == (5, "name")


def test_extra_values_beyond_the_header_are_refused():
    (error,) = _rejected("kind,name,code,parent_code\ndistrict,西陵区,D1,,oops\n")
    assert error.line == 2


def test_bytes_that_are_no_text_are_refused():
    errors = _rejected(b"\xff\xfe\x00\x81\x30\x81\xff")
    assert errors[0].line == 1


def test_template_csv_is_itself_a_valid_import():
    template = service.import_template_csv()
    assert template.startswith("\ufeffkind,name,code,parent_code,population,households")
    assert service.import_places_csv(template.encode("utf-8")).count == 4
