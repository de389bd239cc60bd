"""CSV import of a department's catalogue items, all or nothing with line-numbered errors, like the places import
(the reading of the file, row errors and refusal they share are portal/core/csv_import.py)."""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit import service as audit
from portal.core import csv_import
from portal.core.csv_import import RowError, check_size, decode_csv, reject_if_any
from portal.core.errors import ValidationFailed
from portal.extensions import db
from portal.procurement import catalogue
from portal.procurement.models import HOUR, PERSON_MONTH, SESSION, VISIT, CatalogueItem

IMPORT_MAX_BYTES = 1024 * 1024
IMPORT_MAX_ROWS = 1000
CSV_COLUMNS = ("year", "code", "name", "category", "unit", "unit_price_ceiling", "quality_standard")
# Spreadsheets prepared in Chinese name categories and units in Chinese; both spellings are accepted.
CATEGORY_ALIASES = {"养老服务": "elderly_care", "儿童青少年": "children_youth", "助残服务": "disability",
                    "社会救助": "social_assistance", "心理健康": "mental_health", "社区平安": "community_safety",
                    "环境保护": "environment", "文化体育": "culture_sports", "就业服务": "employment",
                    "邻里互助": "mutual_aid", "其他": "other"}
UNIT_ALIASES = {"小时": HOUR, "次": VISIT, "人次": VISIT, "人月": PERSON_MONTH, "场": SESSION, "场次": SESSION,
                "节": SESSION, "person-month": PERSON_MONTH}


@dataclass
class ImportResult:
    items: list

    @property
    def count(self) -> int:
        return len(self.items)


def _category(value) -> str:
    value = (value or "").strip()
    return catalogue.clean_category(CATEGORY_ALIASES.get(value, value.lower()))


def _unit(value) -> str:
    value = (value or "").strip()
    return catalogue.clean_unit(UNIT_ALIASES.get(value, value.lower()))


def _required(message):
    def clean(value):
        value = (value or "").strip()
        if not value:
            raise ValidationFailed(message)
        return value
    return clean


def _text(maximum: int, message: str):
    required = _required(message)

    def clean(value):
        value = required(value)
        if len(value) > maximum:
            raise ValidationFailed(_("This is too long (at most %(max)d characters).", max=maximum))
        return value
    return clean


CLEANERS = (("year", catalogue.clean_year), ("code", catalogue.clean_code),
            ("name", _text(catalogue.ITEM_NAME_MAX, _("Enter the service's name."))),
            ("category", _category), ("unit", _unit), ("unit_price_ceiling", catalogue.clean_ceiling),
            ("quality_standard", _text(catalogue.QUALITY_STANDARD_MAX,
                                       _("Enter the quality standard the service is accepted against."))))


def _clean_row(line: int, raw: dict, errors: list[RowError]) -> tuple[int, dict] | None:
    """(line, values) of a row whose every cell is good; None (its problems in `errors`) otherwise."""
    values, bad = {}, False
    for column, clean in CLEANERS:
        try:
            values[column] = clean(raw.get(column))
        except ValidationFailed as error:
            errors.append(RowError(line, column, error.message))
            bad = True
    return None if bad else (line, values)


def _parse_rows(text: str) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """Check every row on its own and collect every problem: (line, values) per good-looking row."""
    return csv_import.parse_rows(
        text, required=CSV_COLUMNS, known=CSV_COLUMNS, clean_row=_clean_row, max_rows=IMPORT_MAX_ROWS,
        too_many=_("A file may hold at most %(max)d items.", max=IMPORT_MAX_ROWS),
        no_rows=_("The file has a header but no items."))


def _check_codes(department, rows) -> list[RowError]:
    """A code appears once per year, in the file and in the department's catalogue (one query)."""
    keys = {(values["year"], values["code"]) for _line, values in rows}
    taken = {tuple(row) for row in db.session.execute(select(CatalogueItem.year, CatalogueItem.code).where(
        CatalogueItem.department_id == department.id, CatalogueItem.code.in_({code for _year, code in keys})))
             } if keys else set()
    errors, seen = [], {}
    for line, values in rows:
        key = (values["year"], values["code"])
        if key in seen:
            errors.append(RowError(line, "code", _("The code %(code)s is already used for %(year)d on line %(line)d.",
                                                    code=key[1], year=key[0], line=seen[key])))
        elif key in taken:
            errors.append(RowError(line, "code", _("The %(year)d catalogue already has an item with the code "
                                                    "%(code)s.", year=key[0], code=key[1])))
        seen.setdefault(key, line)
    return errors


def import_catalogue_csv(department, data: bytes | str, *, actor) -> ImportResult:
    """Add the items listed in a CSV to `department`'s catalogue, all or nothing.

    Header: year,code,name,category,unit,unit_price_ceiling,quality_standard (line 1). Category is a service
    area's key or its Chinese name, unit is hour/visit/person_month/session (or 小时/次/人月/场), the ceiling is
    yuan. Raises ImportRejected with every bad line when anything is wrong; then nothing is saved.
    """
    check_size(data, IMPORT_MAX_BYTES)
    rows, errors = _parse_rows(decode_csv(data))
    errors += _check_codes(department, rows)
    reject_if_any(errors)
    items = [CatalogueItem(department_id=department.id, year=values["year"], code=values["code"],
                           name=values["name"], category=values["category"], unit=values["unit"],
                           unit_price_ceiling_minor=values["unit_price_ceiling"],
                           quality_standard=values["quality_standard"]) for _line, values in rows]
    db.session.add_all(items)
    db.session.flush()
    for item in items:
        audit.record("catalogue_item.created", "catalogue_item", item.id, actor=actor,
                     after=catalogue.item_snapshot(item))
    audit.record("catalogue.imported", "department", department.id, actor=actor,
                 after={"count": len(items), "codes": [item.code for item in items[:50]]})
    return ImportResult(items=items)


def import_template_csv() -> str:
    """A small example file officials download and fill in (UTF-8 with BOM, so Excel shows Chinese right)."""
    lines = [",".join(CSV_COLUMNS),
             "2026,YL-01,居家养老上门服务,elderly_care,hour,45,服务记录完整；回访满意率不低于90%",
             "2026,YL-02,老年助餐配送,养老服务,次,18,按时送达；餐食符合食品安全标准",
             "2026,ER-01,困境儿童个案管理,children_youth,person_month,2600,每月至少两次家访并有个案记录",
             "2026,WH-01,社区文化活动,文化体育,场,3000,每场参与居民不少于30人；有签到和照片"]
    return "\ufeff" + "\r\n".join(lines) + "\r\n"

