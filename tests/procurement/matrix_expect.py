"""The matrix's answers, for the procurement row modules (they cannot import tests/test_authorization_matrix.py,
which imports them): the same role names, the same sign-in answer and the same `expect` helper."""
ROLES = ("anonymous", "resident", "org_member", "official", "admin", "treasurer", "committee", "community_worker",
         "grid_worker", "evaluator")
LOGIN = "302 to sign-in"


def expect(others=None, **codes):
    """The expected answer per role: the roles named, and `others` for every role not named."""
    unknown = set(codes) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    answers = {role: codes.get(role, others) for role in ROLES}
    assert None not in answers.values(), f"no answer for {[r for r, a in answers.items() if a is None]}"
    return answers


PUBLIC = expect(others=200)
