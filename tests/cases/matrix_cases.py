"""Authorization-matrix rows for grid cases: the case pages (see tests/cases/matrix.py).

Each step route acts on a case of its own in the status the step starts from, in a category that is not public,
so one role's walk through the rows (in endpoint order) cannot move another row's case, and the case page is
refused to everyone outside the case. In the matrix's world the community worker and the district's official
triage (file, reject, dispatch, close, escalate), the official's department handles, the grid worker and the
community worker verify, the resident reported every case and gives the verdict. Empty forms: a step that needs
a reason, a note, a photo or a verdict answers 400 to those allowed."""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect

TRIAGE = expect(anonymous=LOGIN, community_worker=302, official=302, others=404)
TRIAGE_NEEDS_REASON = expect(anonymous=LOGIN, community_worker=400, official=400, others=404)
HANDLER = expect(anonymous=LOGIN, official=302, others=404)  # the department's official
HANDLER_NEEDS_NOTE = expect(anonymous=LOGIN, official=400, others=404)
VERIFIER_NEEDS_INPUT = expect(anonymous=LOGIN, community_worker=400, grid_worker=400, others=404)
CATEGORY_MANAGERS = expect(anonymous=LOGIN, official=200, admin=200, others=403)

ROUTES: dict = {
    "cases.index": ("GET", "/cases/", PUBLIC),
    "cases.report": ("GET", "/cases/report", expect(anonymous=LOGIN, others=200)),
    "cases.detail": ("GET", "/cases/{private_case}",
                     expect(resident=200, community_worker=200, grid_worker=200, official=200, others=404)),
    "cases.photo": ("GET", "/cases/{private_case}/photos/{private_case_photo}",
                    expect(resident=200, community_worker=200, grid_worker=200, official=200, others=404)),
    "cases.file": ("POST", "/cases/{case_to_file}/file", TRIAGE),
    "cases.reject": ("POST", "/cases/{case_to_reject}/reject", TRIAGE_NEEDS_REASON),
    "cases.dispatch": ("POST", "/cases/{case_to_dispatch}/dispatch", TRIAGE),  # to the category's department
    "cases.accept": ("POST", "/cases/{case_to_accept}/accept", HANDLER),
    "cases.handle": ("POST", "/cases/{case_to_handle}/handle", HANDLER_NEEDS_NOTE),
    # the handler tells the reporter, or the community's worker on its behalf
    "cases.feedback": ("POST", "/cases/{case_handled}/feedback",
                       expect(anonymous=LOGIN, official=400, community_worker=400, others=404)),
    "cases.verify": ("POST", "/cases/{case_handled}/verify", VERIFIER_NEEDS_INPUT),  # no follow-up photo
    "cases.send_back": ("POST", "/cases/{case_handled}/send-back", VERIFIER_NEEDS_INPUT),  # no note
    "cases.close": ("POST", "/cases/{case_to_close}/close", TRIAGE),
    "cases.evaluate": ("POST", "/cases/{case_to_evaluate}/evaluate",
                       expect(anonymous=LOGIN, resident=400, others=404)),  # no verdict chosen
    "cases.escalate": ("POST", "/cases/{case_to_file}/escalate", TRIAGE_NEEDS_REASON),
    "cases.make_need": ("POST", "/cases/{case_for_need}/need", TRIAGE),
    # either side of the contract keeps its scope ledger (the buyer's official, the contractor's admin)
    "cases.log_contract": ("POST", "/cases/{case_by_contract}/contract-log",
                           expect(anonymous=LOGIN, official=302, org_member=302, others=404)),  # outside any line
    "cases.categories": ("GET", "/cases/categories", CATEGORY_MANAGERS),
    "cases.category_new": ("GET", "/cases/categories/new", CATEGORY_MANAGERS),
    "cases.category_edit": ("GET", "/cases/categories/{case_category}/edit",
                            expect(anonymous=LOGIN, official=200, admin=200, others=404)),
}


def world(tree, users, category, case, values) -> dict:
    """Ids these rows need, made in the matrix's world."""
    from sqlalchemy import select

    from portal.cases.models import (
        CLOSED,
        DISPATCHED,
        FILED,
        HANDLED,
        HANDLING,
        REPORT_PHOTO,
        VERIFIED,
    )
    from portal.contracts.models import Contract
    from portal.extensions import db
    from tests.factories.cases import make_case, make_category, make_photo

    department = category.department  # the district's, whose official is the matrix's official
    # the contracts world's contract of that department (its contractor's admin is the matrix's org_member)
    contract = db.session.scalar(select(Contract).where(Contract.department_id == department.id)
                                 .order_by(Contract.id))
    private = make_category(tree["street"], department, name="邻里纠纷", is_public=False)
    resident, grid = users["resident"], tree["grid"]
    private_case = make_case(private, grid, resident)
    photo = make_photo(private_case, REPORT_PHOTO, resident)
    made = {"private_case": private_case.id, "private_case_photo": photo.id}
    for name, status in (("case_to_file", None), ("case_to_reject", None), ("case_to_dispatch", FILED),
                         ("case_to_accept", DISPATCHED), ("case_to_handle", HANDLING), ("case_handled", HANDLED),
                         ("case_to_close", VERIFIED), ("case_to_evaluate", CLOSED), ("case_for_need", None)):
        made[name] = (make_case(private, grid, resident, status=status) if status else
                      make_case(private, grid, resident)).id
    made["case_by_contract"] = make_case(private, grid, resident, status=HANDLING,
                                         contract_id=contract.id).id
    return made
