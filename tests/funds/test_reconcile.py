"""`portal reconcile`: cached totals against the ledger's sums, the ledger against the gifts."""
from sqlalchemy import text

from portal.extensions import db
from portal.funds import disbursements
from tests.factories.funds import make_disbursement, make_gift, make_pool, make_refund, make_team


def _busy_books(world):
    team = make_team(world.campaign, world.resident, name="红马甲")
    pool = make_pool(world.campaign, cap_minor=3_000)
    gift = make_gift(world.fund, 4_000, campaign=world.campaign, team=team, donor=world.resident)
    make_gift(world.fund, 2_500, campaign=world.campaign, donor=world.other_resident)
    make_gift(world.fund, 1_000, donor_name="现金捐赠人")
    make_refund(gift, 1_500)
    disbursement = make_disbursement(world.fund, world.worker, 2_000)
    disbursements.approve_disbursement(disbursement, world.committee)
    disbursements.pay_disbursement(disbursement, world.treasurer, "TR-1")
    return team, pool, gift


def test_clean_books_exit_zero(runner, world):
    _busy_books(world)
    result = runner.invoke(args=["reconcile", "--no-provider"])
    assert result.exit_code == 0, result.output
    assert "0 differences" in result.output
    with_provider = runner.invoke(args=["reconcile"])  # payments' provider comparison finds nothing either
    assert with_provider.exit_code == 0, with_provider.output


def _flagged_gift(world):
    from portal.payments.models import Donation
    from portal.payments.service import FLAGGED

    flagged = Donation(fund_id=world.fund.id, donor_name="x", amount_minor=100, provider="sandbox", status=FLAGGED)
    db.session.add(flagged)
    db.session.flush()
    return flagged


def test_gifts_awaiting_review_are_listed_with_their_own_exit_code_not_as_differences(runner, world):
    _busy_books(world)
    flagged = _flagged_gift(world)
    result = runner.invoke(args=["reconcile"])
    assert result.exit_code == 3, result.output
    assert f"donation {flagged.id} (sandbox): the provider reported another amount" in result.output
    assert "1 item(s) awaiting review" in result.output
    assert "0 differences" in result.output


def test_a_difference_exits_one_even_with_items_awaiting_review(runner, world):
    _busy_books(world)
    flagged = _flagged_gift(world)
    db.session.execute(text("UPDATE funds SET balance_minor = balance_minor + 1 WHERE id = :id"), {"id": world.fund.id})
    result = runner.invoke(args=["reconcile"])
    assert result.exit_code == 1, result.output
    assert f"fund {world.fund.id} (铁路坝社区公益金): balance cached" in result.output
    assert f"donation {flagged.id} (sandbox)" in result.output


def test_reconcile_separates_differences_from_review_items(world):
    from portal.funds.reconcile import reconcile, review_items

    _busy_books(world)
    flagged = _flagged_gift(world)
    assert reconcile() == []
    assert [line for line in review_items() if f"donation {flagged.id} " in line]


def test_a_tampered_fund_cache_is_named_and_exits_one(runner, world):
    _busy_books(world)
    db.session.execute(text("UPDATE funds SET balance_minor = balance_minor + 1 WHERE id = :id"), {"id": world.fund.id})
    result = runner.invoke(args=["reconcile", "--no-provider"])
    assert result.exit_code == 1
    assert f"fund {world.fund.id} (铁路坝社区公益金): balance cached" in result.output


def test_tampered_campaign_team_and_pool_caches_are_each_named(runner, world):
    team, pool, _gift = _busy_books(world)
    db.session.execute(text("UPDATE campaigns SET raised_minor = 0 WHERE id = :id"), {"id": world.campaign.id})
    db.session.execute(text("UPDATE teams SET raised_minor = 99 WHERE id = :id"), {"id": team.id})
    db.session.execute(text("UPDATE matching_pools SET used_minor = 1 WHERE id = :id"), {"id": pool.id})
    result = runner.invoke(args=["reconcile", "--no-provider"])
    assert result.exit_code == 1
    assert f"campaign {world.campaign.id} (" in result.output
    assert f"team {team.id} (红马甲): raised cached 0.99" in result.output
    assert f"matching pool {pool.id} (" in result.output


def test_a_donation_that_disagrees_with_the_ledger_is_named(runner, world):
    _team, _pool, gift = _busy_books(world)
    db.session.execute(text("UPDATE donations SET refunded_minor = 0, status = 'succeeded' WHERE id = :id"),
                       {"id": gift.id})
    result = runner.invoke(args=["reconcile", "--no-provider"])
    assert result.exit_code == 1
    assert f"donation {gift.id}: refunded 0 on the donation, 15 in refund entries" in result.output


def test_a_succeeded_donation_without_its_gift_entry_is_named(runner, world):
    from portal.payments.models import SUCCEEDED, Donation

    orphan = Donation(fund_id=world.fund.id, donor_name="x", amount_minor=100, provider="sandbox", status=SUCCEEDED)
    db.session.add(orphan)
    db.session.flush()
    result = runner.invoke(args=["reconcile", "--no-provider"])
    assert result.exit_code == 1
    assert f"donation {orphan.id} (succeeded): 0 gift entries in the ledger, expected 1" in result.output


def test_an_unbalanced_entry_is_named(runner, world):
    gift = make_gift(world.fund, 1_000, donor=world.resident)
    entry_id = db.session.execute(text("SELECT id FROM ledger_entries WHERE donation_id = :id"),
                                  {"id": gift.id}).scalar()
    # rows are append-only (PostgreSQL refuses UPDATE by trigger), so the damage is an extra posting
    db.session.execute(text("INSERT INTO postings (entry_id, account, amount_minor, currency) "
                            "VALUES (:id, 'external:donors', 1, 'CNY')"), {"id": entry_id})
    result = runner.invoke(args=["reconcile", "--no-provider"])
    assert result.exit_code == 1
    assert f"ledger entry {entry_id}: postings do not sum to zero" in result.output
