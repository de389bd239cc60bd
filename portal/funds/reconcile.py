"""Reconcile: prove that every cached total equals the ledger's sums, and the ledger matches the gifts.

A handful of GROUP BY queries cover every fund, campaign, team and matching pool at once, so the
command stays fast with a million gifts. Each difference is one human-readable line.
"""
from sqlalchemy import and_, case, func, literal, or_, select

from portal.core.money import format_yuan
from portal.extensions import db
from portal.funds import hooks, ledger
from portal.funds.ledger import sum_minor
from portal.funds.models import (
    ENTRY_DISBURSEMENT,
    ENTRY_GIFT,
    ENTRY_REFUND,
    SCOPE_CAMPAIGN,
    SCOPE_FUND,
    SCOPE_TEAM,
    Campaign,
    DonorTally,
    Fund,
    LedgerEntry,
    MatchingPool,
    Posting,
    Team,
    donor_key,
)
from portal.payments import models as gifts

# Gifts that passed through "succeeded": each has exactly one gift entry in the ledger.
EVER_SUCCEEDED = (gifts.SUCCEEDED, gifts.PARTIALLY_REFUNDED, gifts.REFUNDED, gifts.DISPUTED)
CASH_ACCOUNTS = "fund:%:cash"


def _account_id(account: str) -> int:
    return int(account.split(":")[1])


def _compare(label: str, cached: dict[int, tuple[str, int]], actual: dict[int, int], what: str) -> list[str]:
    lines = []
    for object_id, (name, cached_value) in sorted(cached.items()):
        real = actual.get(object_id, 0)
        if real != cached_value:
            lines.append(f"{label} {object_id} ({name}): {what} cached {format_yuan(cached_value)}, "
                         f"ledger {format_yuan(real)}")
    for object_id in sorted(set(actual) - set(cached)):
        if actual[object_id]:
            lines.append(f"{label} {object_id}: ledger has {what} {format_yuan(actual[object_id])} "
                         "but there is no such row")
    return lines


def cache_differences() -> list[str]:
    lines: list[str] = []
    cash = (select(LedgerEntry.fund_id.label("fund_id"), LedgerEntry.campaign_id.label("campaign_id"),
                   LedgerEntry.team_id.label("team_id"), LedgerEntry.kind.label("kind"),
                   Posting.amount_minor.label("amount"))
            .join(Posting, Posting.entry_id == LedgerEntry.id).where(Posting.account.like(CASH_ACCOUNTS))).subquery()
    raising = sum_minor(case((cash.c.kind.in_(ledger.RAISING_KINDS), cash.c.amount), else_=0))
    paid_out = sum_minor(case((cash.c.kind == ENTRY_DISBURSEMENT, -cash.c.amount), else_=0))

    balances = {_account_id(account): total for account, total in db.session.execute(
        select(Posting.account, sum_minor(Posting.amount_minor)).where(Posting.account.like(CASH_ACCOUNTS))
        .group_by(Posting.account))}
    raised, disbursed = {}, {}
    for fund_id, fund_raised, fund_paid in db.session.execute(
            select(cash.c.fund_id, raising, paid_out).group_by(cash.c.fund_id)):
        raised[fund_id], disbursed[fund_id] = fund_raised, fund_paid
    funds = db.session.execute(select(Fund.id, Fund.name, Fund.balance_minor, Fund.raised_minor,
                                      Fund.disbursed_minor)).all()
    lines += _compare("fund", {f.id: (f.name, f.balance_minor) for f in funds}, balances, "balance")
    lines += _compare("fund", {f.id: (f.name, f.raised_minor) for f in funds}, raised, "raised")
    lines += _compare("fund", {f.id: (f.name, f.disbursed_minor) for f in funds}, disbursed, "disbursed")

    campaign_raised = dict(db.session.execute(select(cash.c.campaign_id, raising)
                                              .where(cash.c.campaign_id.is_not(None)).group_by(cash.c.campaign_id)).all())
    campaigns = db.session.execute(select(Campaign.id, Campaign.title, Campaign.raised_minor)).all()
    lines += _compare("campaign", {c.id: (c.title, c.raised_minor) for c in campaigns}, campaign_raised, "raised")

    team_raised = dict(db.session.execute(select(cash.c.team_id, raising)
                                          .where(cash.c.team_id.is_not(None)).group_by(cash.c.team_id)).all())
    teams = db.session.execute(select(Team.id, Team.name, Team.raised_minor)).all()
    lines += _compare("team", {t.id: (t.name, t.raised_minor) for t in teams}, team_raised, "raised")

    pool_used = {_account_id(account): -total for account, total in db.session.execute(
        select(Posting.account, sum_minor(Posting.amount_minor)).where(Posting.account.like("pool:%:pledge"))
        .group_by(Posting.account))}
    pools = db.session.execute(select(MatchingPool.id, MatchingPool.sponsor_name, MatchingPool.used_minor)).all()
    lines += _compare("matching pool", {p.id: (p.sponsor_name, p.used_minor) for p in pools}, pool_used, "used")
    over_cap = db.session.execute(select(MatchingPool.id, MatchingPool.sponsor_name)
                                  .where(MatchingPool.used_minor > MatchingPool.cap_minor)).all()
    lines += [f"matching pool {pool_id} ({name}): used more than its cap" for pool_id, name in over_cap]
    return lines


def _tallies_from_donations() -> dict[tuple[str, int, str], tuple[int, int, int]]:
    """(scope, scope id, donor key) -> (counted gifts, named gifts, their net money), from the donations."""
    donation = gifts.Donation
    named = and_(donation.donor_id.is_not(None), donation.display_mode == gifts.NAMED)
    name = case((donation.donor_id.is_(None), donation.donor_name), else_=literal(""))
    tallies = {}
    for scope, column in ((SCOPE_FUND, donation.fund_id), (SCOPE_CAMPAIGN, donation.campaign_id),
                          (SCOPE_TEAM, donation.team_id)):
        rows = db.session.execute(
            select(column, donation.donor_id, name, func.count(),
                   func.coalesce(func.sum(case((named, 1), else_=0)), 0),
                   sum_minor(case((named, donation.amount_minor - donation.refunded_minor), else_=0)))
            .where(column.is_not(None), donation.status.in_((gifts.SUCCEEDED, gifts.PARTIALLY_REFUNDED)))
            .group_by(column, donation.donor_id, name))
        for scope_id, donor_id, donor_name, count, named_count, named_net in rows:
            tallies[(scope, scope_id, donor_key(donor_id, donor_name))] = (count, int(named_count), named_net)
    return tallies


def donor_differences() -> list[str]:
    """The donor tallies and the donor counts of funds, campaigns and teams, against the donations."""
    lines = []
    actual = _tallies_from_donations()
    cached = {(row.scope, row.scope_id, row.donor_key): (row.gifts, row.named_gifts, row.named_net_minor)
              for row in db.session.execute(select(DonorTally.scope, DonorTally.scope_id, DonorTally.donor_key,
                                                   DonorTally.gifts, DonorTally.named_gifts,
                                                   DonorTally.named_net_minor))}
    for key in sorted(set(actual) | set(cached)):
        want, have = actual.get(key, (0, 0, 0)), cached.get(key, (0, 0, 0))
        if want != have:
            scope, scope_id, donor = key
            lines.append(f"{scope} {scope_id}: donor tally of {donor} cached {have[0]} gifts "
                         f"({have[1]} named, {format_yuan(have[2])}), donations say {want[0]} "
                         f"({want[1]} named, {format_yuan(want[2])})")
    donors: dict[tuple[str, int], int] = {}
    for scope, scope_id, _donor in actual:
        donors[(scope, scope_id)] = donors.get((scope, scope_id), 0) + 1
    for scope, model, title in ((SCOPE_FUND, Fund, Fund.name), (SCOPE_CAMPAIGN, Campaign, Campaign.title),
                                (SCOPE_TEAM, Team, Team.name)):
        for object_id, name, count in db.session.execute(select(model.id, title, model.donor_count)
                                                         .order_by(model.id)):
            if count != donors.get((scope, object_id), 0):
                lines.append(f"{scope} {object_id} ({name}): donor count cached {count}, "
                             f"donations have {donors.get((scope, object_id), 0)} donors")
    return lines


def ledger_differences() -> list[str]:
    """Entries that do not balance, and gifts whose ledger entries disagree with the donation rows."""
    lines = [f"ledger entry {entry_id}: postings do not sum to zero" for entry_id in ledger.unbalanced_entries()]
    per_donation = (
        select(LedgerEntry.donation_id.label("donation_id"),
               func.count(func.distinct(case((LedgerEntry.kind == ENTRY_GIFT, LedgerEntry.id)))).label("gift_entries"),
               sum_minor(case((LedgerEntry.kind == ENTRY_GIFT, Posting.amount_minor), else_=0))
               .label("gift_amount"),
               sum_minor(case((and_(LedgerEntry.kind == ENTRY_REFUND,
                                                 LedgerEntry.matching_pool_id.is_(None)), -Posting.amount_minor),
                                           else_=0)).label("refunded"))
        .join(Posting, Posting.entry_id == LedgerEntry.id)
        .where(LedgerEntry.donation_id.is_not(None), Posting.account.like(CASH_ACCOUNTS))
        .group_by(LedgerEntry.donation_id)).subquery()
    gift_entries = func.coalesce(per_donation.c.gift_entries, 0)
    gift_amount = func.coalesce(per_donation.c.gift_amount, 0)
    refunded = func.coalesce(per_donation.c.refunded, 0)
    succeeded = gifts.Donation.status.in_(EVER_SUCCEEDED)
    expected_entries = case((succeeded, 1), else_=0)
    rows = db.session.execute(
        select(gifts.Donation.id, gifts.Donation.status, gifts.Donation.amount_minor, gifts.Donation.refunded_minor,
               gift_entries, gift_amount, refunded)
        .outerjoin(per_donation, per_donation.c.donation_id == gifts.Donation.id)
        .where(or_(gift_entries != expected_entries,
                   and_(succeeded, gift_amount != gifts.Donation.amount_minor),
                   refunded != gifts.Donation.refunded_minor))
        .order_by(gifts.Donation.id)).all()
    for donation_id, status, amount, refunded_minor, entries, entry_amount, refund_sum in rows:
        want = 1 if status in EVER_SUCCEEDED else 0
        if entries != want:
            lines.append(f"donation {donation_id} ({status}): {entries} gift entries in the ledger, expected {want}")
        elif want and entry_amount != amount:
            lines.append(f"donation {donation_id}: gift entry {format_yuan(entry_amount)}, "
                         f"donation {format_yuan(amount)}")
        if refund_sum != refunded_minor:
            lines.append(f"donation {donation_id}: refunded {format_yuan(refunded_minor)} on the donation, "
                         f"{format_yuan(refund_sum)} in refund entries")
    return lines


def provider_differences() -> list[str]:
    """The payment provider's own records against ours, from payments (portal/funds/hooks.py)."""
    return [line for lines in hooks.provider_differences() for line in lines]


def review_items() -> list[str]:
    """Gifts held for a person to look at (amount mismatch, a checkout that is not the gift's own): listed
    by `portal reconcile` apart from differences, because the books are right and nothing was credited."""
    return [line for lines in hooks.review_items() for line in lines]


def other_differences() -> list[str]:
    """The other domains posting on this ledger (contracts) prove their cached totals (portal/funds/hooks.py)."""
    return [line for lines in hooks.other_differences() for line in lines]


def reconcile(with_provider: bool = True) -> list[str]:
    """Every difference found, as lines for people; empty when the books agree."""
    lines = cache_differences() + donor_differences() + ledger_differences() + other_differences()
    if with_provider:
        lines += provider_differences()
    return lines
