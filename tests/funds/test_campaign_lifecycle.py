"""Campaign lifecycle: draft -> live -> succeeded | ended | failed -> closed, and who may give when."""
from datetime import timedelta

import pytest

from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.time import utcnow
from portal.funds import service
from portal.funds.models import (
    ALL_OR_NOTHING,
    CLOSED,
    DRAFT,
    ENDED,
    FAILED,
    KEEP_IT_ALL,
    LIVE,
    SUCCEEDED,
)
from tests.factories.funds import make_campaign, make_gift, make_team


def _dates(days_from_now_start=-1, days_from_now_end=30):
    now = utcnow()
    return now + timedelta(days=days_from_now_start), now + timedelta(days=days_from_now_end)


def test_a_new_campaign_is_a_draft(world):
    starts, ends = _dates()
    campaign = service.create_campaign(world.fund, world.worker, title="  修楼道灯  ", goal_minor=500_000,
                                       starts_at=starts, ends_at=ends)
    assert campaign.status == DRAFT and campaign.title == "修楼道灯" and campaign.currency == "CNY"


def test_a_campaign_must_end_after_it_starts(world):
    starts, _ends = _dates()
    with pytest.raises(ValidationFailed) as caught:
        service.create_campaign(world.fund, world.worker, title="x", goal_minor=100, starts_at=starts,
                                ends_at=starts - timedelta(days=1))
    assert caught.value.field == "ends_at"


@pytest.mark.parametrize("goal", [0, -5, 10**13, 1.5])
def test_a_goal_must_be_a_sensible_amount(world, goal):
    starts, ends = _dates()
    with pytest.raises(ValidationFailed) as caught:
        service.create_campaign(world.fund, world.worker, title="x", goal_minor=goal, starts_at=starts, ends_at=ends)
    assert caught.value.field == "goal"


@pytest.mark.parametrize("start,target", [
    (DRAFT, LIVE), (LIVE, SUCCEEDED), (LIVE, ENDED), (LIVE, FAILED), (SUCCEEDED, CLOSED), (ENDED, CLOSED),
    (FAILED, CLOSED)])
def test_the_transition_table_allows_the_designed_steps(start, target):
    assert target in service.CAMPAIGN_TRANSITIONS[start]


@pytest.mark.parametrize("start,target", [
    (DRAFT, SUCCEEDED), (DRAFT, CLOSED), (LIVE, DRAFT), (LIVE, CLOSED), (CLOSED, LIVE), (SUCCEEDED, LIVE),
    (FAILED, LIVE), (ENDED, SUCCEEDED)])
def test_the_transition_table_refuses_other_steps(start, target):
    assert target not in service.CAMPAIGN_TRANSITIONS.get(start, set())


def test_publishing_makes_a_draft_live(world):
    campaign = make_campaign(world.fund, world.worker, status=DRAFT)
    service.publish_campaign(campaign, world.treasurer)
    assert campaign.status == LIVE and campaign.published_at is not None


def test_publishing_twice_is_an_illegal_transition(world):
    with pytest.raises(IllegalTransition):
        service.publish_campaign(world.campaign, world.treasurer)


def test_a_draft_whose_end_has_passed_cannot_be_published(world):
    campaign = make_campaign(world.fund, world.worker, status=DRAFT, ends_at=utcnow() - timedelta(hours=1),
                             starts_at=utcnow() - timedelta(days=3))
    with pytest.raises(ValidationFailed) as caught:
        service.publish_campaign(campaign, world.treasurer)
    assert caught.value.field == "ends_at" and campaign.status == DRAFT


def test_closing_a_live_campaign_is_refused(world):
    with pytest.raises(IllegalTransition):
        service.close_campaign(world.campaign, world.treasurer)


@pytest.mark.parametrize("status", [DRAFT, SUCCEEDED, ENDED, FAILED, CLOSED])
def test_a_campaign_that_is_not_live_refuses_gifts(world, status):
    campaign = make_campaign(world.fund, world.worker, status=status)
    with pytest.raises(DomainError) as caught:
        service.ensure_campaign_accepts_gifts(campaign)
    assert caught.value.code == "campaign_not_live"


def test_a_live_campaign_before_its_first_day_refuses_gifts(world):
    campaign = make_campaign(world.fund, world.worker, starts_at=utcnow() + timedelta(days=2))
    with pytest.raises(DomainError) as caught:
        service.ensure_campaign_accepts_gifts(campaign)
    assert caught.value.code == "campaign_not_started"


def test_a_live_campaign_after_its_last_day_refuses_gifts(world):
    campaign = make_campaign(world.fund, world.worker, starts_at=utcnow() - timedelta(days=9),
                             ends_at=utcnow() - timedelta(minutes=1))
    with pytest.raises(DomainError) as caught:
        service.ensure_campaign_accepts_gifts(campaign)
    assert caught.value.code == "campaign_over"


def test_a_team_of_another_campaign_is_refused(world):
    other = make_campaign(world.fund, world.worker)
    team = make_team(other, world.resident)
    service.ensure_campaign_accepts_gifts(other, team)
    with pytest.raises(DomainError) as caught:
        service.ensure_campaign_accepts_gifts(world.campaign, team)
    assert caught.value.code == "team_mismatch"


def test_a_gift_to_a_live_campaign_in_its_window_is_accepted(world):
    service.ensure_campaign_accepts_gifts(world.campaign, make_team(world.campaign, world.resident))


def test_reaching_the_goal_succeeds(world):
    campaign = make_campaign(world.fund, world.worker, goal_minor=10_000, funding_model=ALL_OR_NOTHING)
    make_gift(world.fund, 10_000, campaign=campaign, donor=world.resident)
    service.finish_campaign(campaign, world.treasurer)
    assert campaign.status == SUCCEEDED and campaign.finished_at is not None


def test_missing_the_goal_of_keep_it_all_ends_and_keeps_the_money(world):
    campaign = make_campaign(world.fund, world.worker, goal_minor=10_000, funding_model=KEEP_IT_ALL)
    make_gift(world.fund, 4_000, campaign=campaign, donor=world.resident)
    service.finish_campaign(campaign, world.treasurer)
    assert campaign.status == ENDED
    assert world.fund.balance_minor == 4_000


def test_finishing_twice_is_an_illegal_transition(world):
    service.finish_campaign(world.campaign, world.treasurer)
    with pytest.raises(IllegalTransition):
        service.finish_campaign(world.campaign, world.treasurer)


def test_a_live_campaign_cannot_change_its_goal(world):
    with pytest.raises(ValidationFailed) as caught:
        service.update_campaign(world.campaign, world.worker, goal_minor=world.campaign.goal_minor + 100)
    assert caught.value.field == "goal"


def test_a_draft_can_change_everything(world):
    campaign = make_campaign(world.fund, world.worker, status=DRAFT)
    service.update_campaign(campaign, world.worker, goal_minor=123_400, funding_model=ALL_OR_NOTHING)
    assert campaign.goal_minor == 123_400 and campaign.funding_model == ALL_OR_NOTHING


def test_local_days_become_utc_moments():
    from datetime import date

    assert service.day_start(date(2018, 4, 1)).isoformat() == "2018-03-31T16:00:00+00:00"
    assert service.day_end(date(2018, 9, 30)).isoformat() == "2018-09-30T15:59:59+00:00"
    assert service.local_day(service.day_end(date(2018, 9, 30))) == date(2018, 9, 30)
