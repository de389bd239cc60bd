"""Donor counts and the members' leaderboard are caches the ledger moves with each gift, refund and
dispute, and `portal reconcile` proves them against the donations."""
from sqlalchemy import select, text

from portal.extensions import db
from portal.funds import ledger, queries
from portal.funds.models import DonorTally
from portal.funds.reconcile import donor_differences
from portal.payments.models import ANONYMOUS, DISPUTED, SUCCEEDED, Dispute
from tests.factories.accounts import UserFactory
from tests.factories.funds import make_campaign, make_gift, make_refund, make_team


def _counts(world, team=None):
    for row in (world.fund, world.campaign, team):
        if row is not None:
            db.session.refresh(row)
    return (world.fund.donor_count, world.campaign.donor_count) + ((team.donor_count,) if team else ())


def test_a_donors_first_gift_counts_them_once_and_a_second_gift_does_not(world):
    make_gift(world.fund, 1_000, campaign=world.campaign, donor=world.resident)
    assert _counts(world) == (1, 1)
    make_gift(world.fund, 2_000, campaign=world.campaign, donor=world.resident)
    assert _counts(world) == (1, 1)
    make_gift(world.fund, 500, campaign=world.campaign, donor=world.other_resident)
    assert _counts(world) == (2, 2)
    assert donor_differences() == []


def test_a_gift_to_the_fund_alone_counts_for_the_fund_not_the_campaign(world):
    make_gift(world.fund, 1_000, donor=world.resident)
    assert _counts(world) == (1, 0)


def test_gifts_without_an_account_are_counted_by_the_name_on_them(world):
    make_gift(world.fund, 1_000, campaign=world.campaign, donor_name="现金捐赠人")
    make_gift(world.fund, 1_000, campaign=world.campaign, donor_name="现金捐赠人")
    make_gift(world.fund, 1_000, campaign=world.campaign, donor_name="另一位")
    assert _counts(world) == (2, 2)
    assert donor_differences() == []


def test_a_fully_refunded_donor_stops_counting_and_a_partial_refund_does_not(world):
    team = make_team(world.campaign, world.resident)
    whole = make_gift(world.fund, 3_000, campaign=world.campaign, team=team, donor=world.resident)
    part = make_gift(world.fund, 3_000, campaign=world.campaign, team=team, donor=world.other_resident)
    assert _counts(world, team) == (2, 2, 2)
    make_refund(part, 1_000)
    assert _counts(world, team) == (2, 2, 2)
    make_refund(whole, 1_000)
    make_refund(whole, 2_000)  # the rest: nothing of this donor's gifts is left
    assert _counts(world, team) == (1, 1, 1)
    assert donor_differences() == []


def test_a_disputed_gift_stops_counting_and_counts_again_when_the_dispute_is_won(world):
    gift = make_gift(world.fund, 3_000, campaign=world.campaign, donor=world.resident)
    dispute = Dispute(donation_id=gift.id, provider_dispute_id="dp_tally", amount_minor=3_000, currency="CNY")
    db.session.add(dispute)
    db.session.flush()
    ledger.post_dispute(gift, dispute)
    gift.status = DISPUTED
    assert _counts(world) == (0, 0)
    assert donor_differences() == []
    dispute.status = "won"
    ledger.post_dispute_won(gift, dispute)
    gift.status = SUCCEEDED
    assert _counts(world) == (1, 1)
    assert donor_differences() == []


def test_the_members_leaderboard_reads_the_tallies_net_of_refunds(world):
    captain, member = UserFactory(display_name="队长"), UserFactory(display_name="队员")
    team = make_team(world.campaign, captain, name="红马甲", members=(member,))
    gift = make_gift(world.fund, 5_000, campaign=world.campaign, team=team, donor=captain)
    make_gift(world.fund, 2_000, campaign=world.campaign, team=team, donor=member)
    make_gift(world.fund, 9_000, campaign=world.campaign, team=team, donor=member, display_mode=ANONYMOUS)
    make_refund(gift, 4_000)
    rows = queries.member_leaderboard(world.campaign)
    assert [(row.name, row.amount_minor, row.gifts) for row in rows] == [("队员", 2_000, 1), ("队长", 1_000, 1)]
    assert queries.team_member_totals(team) == {member.id: 2_000, captain.id: 1_000}


def test_an_erased_donor_leaves_the_members_leaderboard(world):
    from portal.payments.service import pseudonymise_donor

    team = make_team(world.campaign, world.resident, name="红马甲")
    make_gift(world.fund, 5_000, campaign=world.campaign, team=team, donor=world.resident)
    assert len(queries.member_leaderboard(world.campaign)) == 1
    pseudonymise_donor(world.resident)
    assert queries.member_leaderboard(world.campaign) == []
    assert _counts(world, team) == (1, 1, 1)  # still a donor, now anonymous
    assert donor_differences() == []


def test_tallies_are_kept_apart_per_campaign(world):
    other = make_campaign(world.fund, world.worker, title="第二个众筹")
    make_gift(world.fund, 1_000, campaign=world.campaign, donor=world.resident)
    make_gift(world.fund, 1_000, campaign=other, donor=world.resident)
    db.session.refresh(other)
    assert (_counts(world), other.donor_count) == ((1, 1), 1)
    scopes = db.session.execute(select(DonorTally.scope, DonorTally.gifts).where(
        DonorTally.donor_id == world.resident.id).order_by(DonorTally.scope, DonorTally.scope_id)).all()
    assert scopes == [("campaign", 1), ("campaign", 1), ("fund", 2)]


def test_reconcile_names_a_tampered_donor_count_and_a_tampered_tally(runner, world):
    team = make_team(world.campaign, world.resident, name="红马甲")
    make_gift(world.fund, 1_000, campaign=world.campaign, team=team, donor=world.resident)
    make_gift(world.fund, 1_000, campaign=world.campaign, donor=world.other_resident)
    assert donor_differences() == []
    db.session.execute(text("UPDATE campaigns SET donor_count = 7 WHERE id = :id"), {"id": world.campaign.id})
    db.session.execute(text("UPDATE donor_tallies SET named_net_minor = 1 WHERE scope = 'team' AND scope_id = :id"),
                       {"id": team.id})
    result = runner.invoke(args=["reconcile", "--no-provider"])
    assert result.exit_code == 1
    assert f"campaign {world.campaign.id} (为独居老人送热饭): donor count cached 7, donations have 2 donors" \
        in result.output
    assert f"team {team.id}: donor tally of u:{world.resident.id} cached 1 gifts (1 named, 0.01)" in result.output
