"""Amendments: only with a rationale; the running total against the original value; above 15% in all, a second
official of the buyer (never the proposer) approves or refuses."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts import roles
from portal.contracts import amendments
from portal.contracts.models import IN_FORCE, PROPOSED, REFUSED, ContractAmendment
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.extensions import db
from tests.contracts.contracts_world import RATIONALE, SignedContract, english_messages
from tests.factories.accounts import UserFactory, grant
from tests.factories.places import make_tree


@pytest.fixture(autouse=True)
def _english():
    yield from english_messages()

@pytest.fixture
def world():
    return SignedContract()


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(ContractAmendment))


def test_an_amendment_without_a_rationale_is_refused_and_nothing_is_stored(world):
    with pytest.raises(ValidationFailed, match="rationale"):
        amendments.propose(world.contract, world.official, "  ", 100_000)
    assert _count() == 0 and world.contract.value_minor == 8_000_000


def test_an_amendment_that_changes_nothing_is_refused(world):
    with pytest.raises(ValidationFailed):
        amendments.propose(world.contract, world.official, RATIONALE, 0)
    assert _count() == 0


def test_a_change_within_15_percent_is_in_force_at_once(world):
    amendment = amendments.propose(world.contract, world.official, RATIONALE, 1_000_000)  # +12.5%
    assert amendment.status == IN_FORCE
    assert world.contract.value_minor == 9_000_000 and world.contract.original_value_minor == 8_000_000
    assert amendment.changes == {"value_minor": [8_000_000, 9_000_000]}


def test_a_change_above_15_percent_waits_for_a_second_official(world):
    amendment = amendments.propose(world.contract, world.official, RATIONALE, 1_300_000)  # +16.25%
    assert amendment.status == PROPOSED and world.contract.value_minor == 8_000_000


def test_the_cumulative_effect_counts_so_small_steps_cannot_walk_past_the_limit(world):
    amendments.propose(world.contract, world.official, RATIONALE, 800_000)  # +10%
    second = amendments.propose(world.contract, world.official, RATIONALE, 800_000)  # +20% in all
    assert second.status == PROPOSED and world.contract.value_minor == 8_800_000


def test_the_proposer_cannot_approve_their_own_amendment(world):
    amendment = amendments.propose(world.contract, world.official, RATIONALE, 2_000_000)
    with pytest.raises(DomainError, match="second official"):
        amendments.approve(amendment, world.official)
    assert amendment.status == PROPOSED and world.contract.value_minor == 8_000_000


def test_a_second_official_approves_and_the_value_moves(world):
    amendment = amendments.propose(world.contract, world.official, RATIONALE, 2_000_000)
    amendments.approve(amendment, world.second)
    assert amendment.status == IN_FORCE and amendment.approved_by_id == world.second.id
    assert world.contract.value_minor == 10_000_000


def test_a_second_official_refuses_and_the_contract_is_unchanged(world):
    amendment = amendments.propose(world.contract, world.official, RATIONALE, -2_000_000)
    amendments.refuse(amendment, world.second)
    assert amendment.status == REFUSED and world.contract.value_minor == 8_000_000


def test_the_running_total_counts_only_amendments_in_force(world):
    amendments.propose(world.contract, world.official, RATIONALE, 500_000)
    refused = amendments.propose(world.contract, world.official, RATIONALE, 3_000_000)
    amendments.refuse(refused, world.second)
    amendments.propose(world.contract, world.official, RATIONALE, -200_000)
    assert amendments.running_total(world.contract) == 300_000
    assert amendments.share_bp(300_000, world.contract.original_value_minor) == 375


def test_one_proposal_waits_at_a_time(world):
    amendments.propose(world.contract, world.official, RATIONALE, 2_000_000)
    with pytest.raises(DomainError, match="awaits a second official"):
        amendments.propose(world.contract, world.official, RATIONALE, 100)
    assert _count() == 1


def test_the_end_date_and_a_line_quantity_are_recorded_in_the_changes(world):
    line = world.contract.lines[0]
    new_end = world.contract.ends_on + timedelta(days=30)
    amendment = amendments.propose(world.contract, world.official, RATIONALE, 0, new_end, {line.id: 2200})
    assert amendment.changes == {"ends_on": [(new_end - timedelta(days=30)).isoformat(), new_end.isoformat()],
                                 f"line_{line.id}_quantity": [2000, 2200]}
    assert world.contract.ends_on == new_end and line.quantity == 2200


def test_the_value_cannot_fall_below_what_is_paid(world):
    world.contract.paid_minor = 7_500_000
    with pytest.raises(ValidationFailed, match="already paid"):
        amendments.propose(world.contract, world.official, RATIONALE, -1_000_000)
    assert _count() == 0


def test_the_value_change_is_typed_in_yuan_with_its_sign():
    assert amendments.parse_value_change("+5000") == 500_000
    assert amendments.parse_value_change("-1200.50") == -120_050
    assert amendments.parse_value_change("") == 0


# --- the pages -----------------------------------------------------------------------------------------------
def test_the_amendment_form_without_a_rationale_says_so_and_stores_nothing(client, login_as, world):
    world.official.locale = "en"
    login_as(world.official)
    path = f"/contracts/{world.contract.id}/amendments/new"
    response = client.post_form(path, {"rationale": "", "value_change": "+1000"})
    assert response.status_code == 400
    assert "Write the rationale" in response.get_data(as_text=True)
    assert _count() == 0


def test_the_amendment_form_records_an_amendment(client, login_as, world):
    login_as(world.official)
    response = client.post_form(f"/contracts/{world.contract.id}/amendments/new",
                                {"rationale": RATIONALE, "value_change": "+1000"})
    assert response.status_code == 302
    assert world.contract.value_minor == 8_100_000


def test_the_proposer_pressing_approve_is_told_no_and_nothing_changes(client, login_as, world):
    amendment = amendments.propose(world.contract, world.official, RATIONALE, 2_000_000)
    login_as(world.official)
    response = client.post_form(f"/contracts/{world.contract.id}/amendments/{amendment.id}/approve",
                                token_from=f"/contracts/{world.contract.id}")
    assert response.status_code == 302
    assert amendment.status == PROPOSED and world.contract.value_minor == 8_000_000


def test_the_second_official_sees_the_buttons_and_approves(client, login_as, world):
    amendment = amendments.propose(world.contract, world.official, RATIONALE, 2_000_000)
    login_as(world.second)
    page = client.get(f"/contracts/{world.contract.id}").get_data(as_text=True)
    assert f"/amendments/{amendment.id}/approve" in page
    response = client.post_form(f"/contracts/{world.contract.id}/amendments/{amendment.id}/approve",
                                token_from=f"/contracts/{world.contract.id}")
    assert response.status_code == 302
    assert amendment.status == IN_FORCE and world.contract.value_minor == 10_000_000


def test_an_official_of_another_district_cannot_decide(client, login_as, world):
    amendment = amendments.propose(world.contract, world.official, RATIONALE, 2_000_000)
    other_tree = make_tree()
    outsider = UserFactory()
    grant(outsider, roles.OFFICIAL, other_tree["district"])
    login_as(outsider)
    response = client.post_form(f"/contracts/{world.contract.id}/amendments/{amendment.id}/approve",
                                token_from=f"/contracts/{world.contract.id}")
    assert response.status_code == 404 and amendment.status == PROPOSED


def test_a_decided_amendment_cannot_be_decided_again(world):
    amendment = amendments.propose(world.contract, world.official, RATIONALE, 2_000_000)
    amendments.refuse(amendment, world.second)
    with pytest.raises(IllegalTransition):
        amendments.approve(amendment, world.second)
    assert amendment.status == REFUSED and world.contract.value_minor == 8_000_000
