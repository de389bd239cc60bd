"""Authorization-matrix rows for procurement: calls (see tests/procurement/matrix.py).

The buyer is the district's official (the department is on the district); the platform administrator is not a
buyer. A draft is seen by its buyer only; a published call by everyone. POSTs carry a valid CSRF token and an
empty form: publishing the factory's draft is refused with a message (its lot cap exceeds its lines at the
catalogue ceilings) and back to the call (302); reissuing an open call is a 409; empty questions and answers 400.
"""
LOGIN = "302 to sign-in"  # as tests/test_authorization_matrix.py
ROLES = ("anonymous", "resident", "org_member", "official", "admin", "treasurer", "committee", "community_worker",
         "grid_worker", "evaluator")


def _expect(others, **codes) -> dict:
    return {role: codes.get(role, others) for role in ROLES}


BUYER_ONLY = _expect(404, anonymous=LOGIN, official=200)

ROUTES: dict = {
    "procurement.calls": ("GET", "/procurement/", _expect(200)),
    "procurement.call_detail": ("GET", "/procurement/calls/{calls_draft}", _expect(404, official=200)),
    "procurement.call_new": ("GET", "/procurement/departments/{department}/calls/new", BUYER_ONLY),
    "procurement.call_edit": ("GET", "/procurement/calls/{calls_draft}/edit", BUYER_ONLY),
    "procurement.call_publish": ("POST", "/procurement/calls/{calls_draft}/publish",
                                 _expect(404, anonymous=LOGIN, official=302)),
    "procurement.call_amend": ("GET", "/procurement/calls/{calls_published}/amend", BUYER_ONLY),
    "procurement.call_cancel": ("GET", "/procurement/calls/{calls_published}/cancel", BUYER_ONLY),
    "procurement.call_reissue": ("POST", "/procurement/calls/{calls_published}/reissue",
                                 _expect(404, anonymous=LOGIN, official=409)),
    "procurement.ask_question": ("POST", "/procurement/calls/{calls_published}/questions",
                                 _expect(400, anonymous=LOGIN)),
    "procurement.answer_question": ("POST", "/procurement/calls/{calls_published}/questions/{calls_question}/answer",
                                    _expect(404, anonymous=LOGIN, official=400)),
    "procurement.workbench": ("GET", "/procurement/workbench", _expect(403, anonymous=LOGIN, official=200)),
}


def world(tree, users, verified_org, department, values) -> dict:
    """A draft call and a published call of the district's department, and a question on the published one."""
    from portal.procurement.models import DRAFT, PUBLISHED
    from portal.procurement.questions import ask_question
    from tests.factories.procurement import make_call

    official = users["official"]
    draft = make_call(department, official, place=tree["community"], status=DRAFT, title="矩阵草稿")
    published = make_call(department, official, place=tree["community"], status=PUBLISHED, title="矩阵公开招标")
    question = ask_question(published, users["resident"], "矩阵测试的问题")
    return {"calls_draft": draft.id, "calls_published": published.id, "calls_question": question.id}
