"""The scope ledger: the department logs each request against a line or none, the contractor logs the ones
citing none, and the out-of-scope share per department is public."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.contracts import scope
from portal.contracts.models import BY_CONTRACTOR, BY_DEPARTMENT, ScopeRequest
from portal.core.errors import ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db
from tests.contracts.contracts_world import SignedContract, english_messages


@pytest.fixture(autouse=True)
def _english():
    yield from english_messages()


@pytest.fixture
def world():
    return SignedContract()


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(ScopeRequest))


def _log(world, user, line=None, text="请协助社区开展人口普查入户登记"):
    return scope.log_request(world.contract, user, line.id if line else None, utcnow().date(), text)


def test_the_share_is_out_of_scope_over_all_requests_in_basis_points():
    assert scope.out_of_scope_share_bp(1, 3) == 3333
    assert scope.out_of_scope_share_bp(2, 2) == 10000
    assert scope.out_of_scope_share_bp(0, 0) == 0


def test_the_department_logs_in_scope_and_out_of_scope_requests(world):
    in_scope = _log(world, world.official, world.contract.lines[0])
    out = _log(world, world.official)
    assert (in_scope.logged_by_side, in_scope.contract_line_id) == (BY_DEPARTMENT, world.contract.lines[0].id)
    assert out.contract_line_id is None


def test_the_contractor_logs_a_request_citing_no_line(world):
    request = _log(world, world.admin)
    assert request.logged_by_side == BY_CONTRACTOR and request.department_id == world.department.id


def test_the_contractor_cannot_log_a_request_in_scope(world):
    with pytest.raises(ValidationFailed):
        _log(world, world.admin, world.contract.lines[0])
    assert _count() == 0


def test_a_request_dated_in_the_future_is_refused_and_nothing_stored(world):
    with pytest.raises(ValidationFailed, match="future"):
        scope.log_request(world.contract, world.official, None, utcnow().date() + timedelta(days=1), "临时加派任务")
    assert _count() == 0


def test_the_out_of_scope_share_per_department_counts_both_sides(world):
    _log(world, world.official, world.contract.lines[0])
    _log(world, world.official)
    _log(world, world.admin)
    row = next(r for r in scope.shares_by_department() if r.department_id == world.department.id)
    assert (row.requests, row.out_of_scope, row.share_bp) == (3, 2, 6666)


def test_the_public_scope_page_lists_the_department_and_its_share(client, world):
    _log(world, world.official, world.contract.lines[0])
    _log(world, world.official)
    page = client.get("/contracts/scope", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert world.department.name in page and "50.0%" in page


def test_the_contract_page_shows_the_departments_share(client, world):
    _log(world, world.admin)
    page = client.get(f"/contracts/{world.contract.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "1 of 1 requests" in page and "100.0%" in page


def test_the_contractor_logs_through_the_form(client, login_as, world):
    login_as(world.admin)
    response = client.post_form(f"/contracts/{world.contract.id}/scope/new",
                                {"requested_on": utcnow().date().isoformat(), "line": "",
                                 "description": "要求派社工参加街道迎检"})
    assert response.status_code == 302 and _count() == 1


def test_the_form_without_a_description_says_so_and_stores_nothing(client, login_as, world):
    login_as(world.official)
    response = client.post_form(f"/contracts/{world.contract.id}/scope/new",
                                {"requested_on": utcnow().date().isoformat(), "line": "", "description": ""})
    assert response.status_code == 400 and _count() == 0
