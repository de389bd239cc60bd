"""A small world for the delivery and sampling tests: a district buyer, a verified organisation under contract
in the community (two lines), its community worker and grid workers of two grids."""
import io
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from werkzeug.datastructures import FileStorage

from portal.accounts import roles
from portal.contracts.delivery import ReportInput
from portal.orgs.models import VERIFIED
from tests.factories.accounts import UserFactory, grant
from tests.factories.contracts import make_contract
from tests.factories.orgs import make_organisation, tiny_pdf, tiny_png
from tests.factories.places import make_place, make_tree
from tests.factories.procurement import make_department

LINES = (("居家养老上门服务", "hour", 4000, 200), ("健康讲座", "session", 50000, 10))


@pytest.fixture(name="world")
def world_fixture():
    with force_locale("en"):
        tree = make_tree()
        tree["grid2"] = make_place("grid", "铁路坝第2网格", tree["community"])
        official, contractor, worker = UserFactory(locale="en"), UserFactory(locale="en"), UserFactory(locale="en")
        grid_worker, other_grid_worker = UserFactory(locale="en"), UserFactory(locale="en")
        grant(official, roles.OFFICIAL, tree["district"])
        grant(worker, roles.COMMUNITY_WORKER, tree["community"])
        grant(grid_worker, roles.GRID_WORKER, tree["grid"])
        grant(other_grid_worker, roles.GRID_WORKER, tree["grid2"])
        organisation = make_organisation(contractor, tree["community"], status=VERIFIED)
        grant(contractor, roles.ORG_ADMIN, organisation)
        department = make_department(tree["district"])
        contract = make_contract(department, organisation, official, place=tree["community"], lines=LINES)
        yield SimpleNamespace(tree=tree, official=official, contractor=contractor, worker=worker,
                              grid_worker=grid_worker, other_grid_worker=other_grid_worker, org=organisation,
                              department=department, contract=contract, milestone=contract.milestones[0])


def record_rows(world, count=3, grid=True, line="1"):
    start = world.contract.starts_on
    grid_code = world.tree["grid"].code if grid else ""
    return [{"line": line, "kind": "person", "label": f"王阿姨{n}", "grid_code": grid_code,
             "phone": f"1380000{n:04d}", "served_on": start.isoformat(), "units": "1"} for n in range(count)]


def report_input(world, units=None, records=None, files=(), records_csv=None, **fields) -> ReportInput:
    contract = world.contract
    lines = contract.lines
    values = {"period_start": contract.starts_on, "period_end": contract.starts_on,
              "units": units if units is not None else {lines[0].id: "10", lines[1].id: "0"},
              "narrative": "按计划完成本期服务", "files": files,
              "records": records if records is not None else record_rows(world), "records_csv": records_csv}
    values.update(fields)
    return ReportInput(**values)


def pdf_file(name="sign-in.pdf"):
    return FileStorage(io.BytesIO(tiny_pdf()), name)


def png_as_pdf():
    """A picture named as a PDF: the disguised file the rules refuse."""
    return FileStorage(io.BytesIO(tiny_png()), "sign-in.pdf")
