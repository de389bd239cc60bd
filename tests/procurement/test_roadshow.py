"""The contest roadshow: a public page with a QR code to the vote page, one vote per account, only in the
event's window; names and titles shown, never prices."""
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.extensions import db
from portal.procurement import roadshow
from portal.procurement.models import RoadshowVote
from tests.factories.accounts import UserFactory
from tests.factories.evaluation import World, contest_fields


@pytest.fixture(autouse=True)
def _english():
    """Services outside a request speak Chinese (the default); these tests read the English messages."""
    with force_locale("en"):
        yield


def _votes() -> int:
    return db.session.scalar(select(func.count()).select_from(RoadshowVote))


def test_a_resident_votes_once():
    world = World(**contest_fields())
    resident = UserFactory()
    roadshow.vote(world.call, resident, world.bids["a"].id)
    assert _votes() == 1


def test_a_second_vote_from_the_same_account_is_refused():
    world = World(**contest_fields())
    resident = UserFactory()
    roadshow.vote(world.call, resident, world.bids["a"].id)
    with pytest.raises(DomainError, match="already voted"):
        roadshow.vote(world.call, resident, world.bids["b"].id)
    assert _votes() == 1


def test_a_vote_before_the_window_is_refused_409():
    world = World(**contest_fields(opens_in_hours=2))
    with pytest.raises(IllegalTransition, match="opens") as refused:
        roadshow.vote(world.call, UserFactory(), world.bids["a"].id)
    assert refused.value.status_code == 409 and _votes() == 0


def test_a_vote_after_the_window_is_refused(clock):
    world = World(**contest_fields())
    clock.move(hours=3)
    with pytest.raises(IllegalTransition, match="closed"):
        roadshow.vote(world.call, UserFactory(), world.bids["a"].id)
    assert _votes() == 0


def test_a_vote_for_a_bid_of_another_call_is_refused():
    world, other = World(**contest_fields()), World(**contest_fields())
    with pytest.raises(ValidationFailed):
        roadshow.vote(world.call, UserFactory(), other.bids["a"].id)
    assert _votes() == 0


def test_a_bidder_cannot_vote_for_its_own_project():
    world = World(**contest_fields())
    with pytest.raises(DomainError, match="own organisation"):
        roadshow.vote(world.call, world.admins["a"], world.bids["a"].id)
    assert _votes() == 0


def test_the_roadshow_page_has_a_qr_code_names_and_no_prices(client):
    world = World(**contest_fields())
    body = client.get(f"/procurement/calls/{world.call.id}/roadshow").get_data(as_text=True)
    assert "<svg" in body and "qr-code" in body
    assert world.orgs["a"].name in body
    assert "200,000" not in body and "¥" not in body


def test_a_call_that_is_not_a_contest_has_no_roadshow(client):
    world = World()
    assert client.get(f"/procurement/calls/{world.call.id}/roadshow").status_code == 404


def test_voting_on_the_phone_page(client, login_as):
    world = World(**contest_fields())
    resident = UserFactory()
    login_as(resident)
    path = f"/procurement/calls/{world.call.id}/roadshow/vote"
    assert client.post_form(path, {"bid": str(world.bids["b"].id)}).status_code == 302
    assert _votes() == 1


def test_a_second_vote_on_the_page_gets_a_clear_message(client, login_as):
    world = World(**contest_fields())
    resident = UserFactory(locale="en")
    db.session.add(RoadshowVote(call_id=world.call.id, bid_id=world.bids["a"].id, user_id=resident.id))
    db.session.flush()
    login_as(resident)
    path = f"/procurement/calls/{world.call.id}/roadshow/vote"
    token = client.csrf_token(f"/procurement/calls/{world.call.id}/roadshow/vote")
    response = client.post(path, data={"csrf_token": token, "bid": str(world.bids["b"].id)})
    assert response.status_code == 409
    assert "already voted" in response.get_data(as_text=True)
    assert _votes() == 1
