"""Signing a contract from a confirmed award: prices, milestones, the results framework, one contract per award,
the call moving to contracted, the audit log."""
import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.contracts import service
from portal.contracts.models import DEFAULT_QUALITY_FACTORS, Contract, ContractLine, Milestone
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.extensions import db
from portal.procurement.bids import read_bid_content
from portal.procurement.models import AWARDED, CONFIRMED, CONTRACTED, DIRECT_GRANT
from portal.projects.models import IN_PROGRESS, Indicator, ServiceProject
from tests.contracts.contracts_world import ContractWorld, english_messages


@pytest.fixture(autouse=True)
def _english():
    yield from english_messages()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- the pricing rule, hand-checked ---------------------------------------------------------------------
def test_apportion_gives_the_left_over_fen_to_the_largest_fractions_first():
    assert service.apportion(1000, [1, 1, 1]) == [334, 333, 333]
    assert service.apportion(10, [1, 2]) == [3, 7]  # 3.33 and 6.67: the fen left goes to 6.67


def test_a_line_that_does_not_divide_evenly_is_written_as_two_lines_one_fen_apart():
    assert service.price_lines(10_001, [(2, 100)]) == [[(1, 5001), (1, 5000)]]


def test_an_even_price_gives_each_line_its_share_of_quantity_times_ceiling():
    # weights 2000 x 80.00 = 160,000.00 and 100 x 200.00 = 20,000.00 of 180,000.00 yuan
    assert service.price_lines(18_000_000, [(2000, 8000), (100, 20_000)]) == [[(2000, 8000)], [(100, 20_000)]]


def test_a_price_below_one_fen_per_unit_is_refused():
    with pytest.raises(DomainError):
        service.price_lines(1000, [(2000, 8000)])


def test_the_payment_share_is_typed_in_percent_and_stored_in_basis_points():
    assert service.parse_share("33.34", "m") == 3334
    assert service.parse_share("30%", "m") == 3000
    with pytest.raises(ValidationFailed):
        service.parse_share("33.333", "m")


# --- signing ------------------------------------------------------------------------------------------------
def test_the_contract_lines_sum_exactly_to_the_awarded_price():
    world = ContractWorld(prices=(20_000_003, 25_000_000), second_line=True)
    contract = world.sign()
    assert sum(line.unit_price_minor * line.quantity for line in contract.lines) == 20_000_003
    assert contract.original_value_minor == contract.value_minor == 20_000_003


def test_the_contract_takes_its_parties_place_lines_and_factor_table_from_the_award():
    world = ContractWorld(second_line=True)
    contract = world.sign()
    assert (contract.department_id, contract.organisation_id, contract.place_id) == (
        world.department.id, world.orgs["a"].id, world.call.place_id)
    assert [(line.quantity, line.unit_price_minor) for line in contract.lines] == [(2000, 8000), (100, 20_000)]
    assert contract.quality_factors == DEFAULT_QUALITY_FACTORS
    assert contract.award_id == world.award.id


def test_milestone_shares_are_stored_in_basis_points():
    world = ContractWorld()
    contract = world.sign(shares=("33.33", "33.33", "33.34"))
    assert [m.share_bp for m in contract.milestones] == [3333, 3333, 3334]


def test_shares_that_do_not_sum_to_100_percent_are_refused_and_nothing_is_stored():
    world = ContractWorld()
    projects = _count(ServiceProject)
    with pytest.raises(ValidationFailed, match="exactly 100"):
        world.sign(shares=("30", "30", "30"))
    assert _count(Contract) == 0 and _count(Milestone) == 0 and _count(ContractLine) == 0
    assert _count(ServiceProject) == projects and world.call.status == CONFIRMED


def test_a_second_contract_for_one_award_is_refused():
    world = ContractWorld(winners="ab")
    world.sign()
    with pytest.raises(DomainError, match="already has its contract"):
        world.sign()
    assert _count(Contract) == 1


def test_an_award_of_a_call_not_yet_confirmed_gets_no_contract():
    world = ContractWorld()
    world.call.status = AWARDED
    with pytest.raises(IllegalTransition):
        world.sign()
    assert _count(Contract) == 0


def test_the_call_is_contracted_when_its_only_award_has_its_contract():
    world = ContractWorld()
    world.sign()
    assert world.call.status == CONTRACTED


def test_the_call_stays_confirmed_until_every_award_has_its_contract():
    world = ContractWorld(winners="ab")
    world.sign(world.awards[world.bids["a"].id])
    assert world.call.status == CONFIRMED
    world.sign(world.awards[world.bids["b"].id])
    assert world.call.status == CONTRACTED


def test_the_bids_indicators_become_a_service_project_in_progress():
    world = ContractWorld()
    contract = world.sign()
    project = db.session.get(ServiceProject, contract.project_id)
    assert project.organisation_id == world.orgs["a"].id and project.status == IN_PROGRESS
    proposed = read_bid_content(world.bids["a"])["indicators"]
    indicators = db.session.scalars(select(Indicator).where(Indicator.project_id == project.id)).all()
    assert [(i.name, i.unit, int(i.target)) for i in indicators] == [
        (p["name"], p["unit"], int(p["target"])) for p in proposed]


def test_signing_is_in_the_audit_log():
    world = ContractWorld()
    contract = world.sign()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contract.signed"))
    assert event.object_id == str(contract.id) or event.object_id == contract.id
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "call.contracted")) == 1


def test_a_direct_grants_award_is_signed_the_same_way():
    world = ContractWorld(prices=(18_000_000,), mode=DIRECT_GRANT)
    contract = world.sign()
    assert contract.organisation_id == world.orgs["a"].id and world.call.status == CONTRACTED
