"""Grid-case factories: a category with a handling department and SLA clocks, cases in any status."""
import itertools
from datetime import timedelta

from portal.cases.models import REPORTED, Case, CaseCategory
from portal.core.time import utcnow
from portal.extensions import db

_serial = itertools.count(1)


def make_category(place, department=None, code: str | None = None, name: str = "楼道堆物", is_public: bool = True,
                  **fields) -> CaseCategory:
    category = CaseCategory(place_id=place.id, code=code or f"C{next(_serial):03d}", name=name,
                            description=fields.pop("description", "楼道、消防通道堆放杂物"),
                            department_id=getattr(department, "id", None), is_public=is_public, **fields)
    db.session.add(category)
    db.session.flush()
    return category


def make_case(category, place, reporter, status: str = REPORTED, **fields) -> Case:
    """A case as the report makes it (no photo), moved straight to `status` (the service's steps are tested
    through the service)."""
    n = next(_serial)
    now = utcnow()
    case = Case(reference=fields.pop("reference", f"AJ-{now:%Y%m%d}-{n:04d}"), category_id=category.id,
                place_id=place.id, title=fields.pop("title", "3栋楼道堆满杂物"),
                description=fields.pop("description", "楼道里堆了旧家具，挡住了消防通道。"), status=status,
                reporter_id=getattr(reporter, "id", None), department_id=category.department_id,
                reported_at=fields.pop("reported_at", now - timedelta(hours=1)), **fields)
    db.session.add(case)
    db.session.flush()
    return case
