"""The double-entry ledger: the only code that writes LedgerEntry and Posting rows.

Every function posts one balanced entry (postings sum to zero) and moves the cached totals on Campaign,
Fund, Team and MatchingPool (in that order, the lock order written in portal/core/retry.py) with single
UPDATE ... SET x = x + :delta statements, so concurrent gifts never lose an update. Gifts, refunds and
disputes also move the donor tallies (one upserted row per donor and fund, campaign or team) and the donor
counts behind them, in the same transaction. Callers (services, webhook handlers) run inside the
request's transaction.
"""
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import BigInteger, cast, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.util import identity_key

from portal.core.errors import DomainError
from portal.extensions import db
from portal.funds.models import (
    DONORS_ACCOUNT,
    ENTRY_DISBURSEMENT,
    ENTRY_DISPUTE,
    ENTRY_DISPUTE_WON,
    ENTRY_GIFT,
    ENTRY_MATCH,
    ENTRY_REFUND,
    PAYEES_ACCOUNT,
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
    fund_cash_account,
    matching_pool_account,
)

# Kinds of entry that count toward "raised" (everything except money going out to projects).
RAISING_KINDS = (ENTRY_GIFT, ENTRY_MATCH, ENTRY_REFUND, ENTRY_DISPUTE, ENTRY_DISPUTE_WON)


def sum_minor(expression):
    """SUM of a minor-units column as a whole number, 0 when there are no rows.

    PostgreSQL's SUM of a bigint is a numeric (Python Decimal); cast back so sums stay ints (JSON audit
    records, Fraction arithmetic) on SQLite and PostgreSQL alike.
    """
    return cast(func.coalesce(func.sum(expression), 0), BigInteger)


class UnbalancedEntry(RuntimeError):
    pass


def _post(kind: str, fund_id: int, currency: str, legs: list[tuple[str, int]], *, campaign_id=None,
          team_id=None, donation_id=None, disbursement_id=None, matching_pool_id=None, refund_id=None,
          dispute_id=None, reverses_entry_id=None, description: str = "", actor=None) -> LedgerEntry:
    if sum(amount for _account, amount in legs) != 0:
        raise UnbalancedEntry(f"postings of a {kind} entry do not sum to zero: {legs}")
    if any(amount == 0 for _account, amount in legs):
        raise UnbalancedEntry("a posting of zero")
    entry = LedgerEntry(kind=kind, fund_id=fund_id, currency=currency, campaign_id=campaign_id, team_id=team_id,
                        donation_id=donation_id, disbursement_id=disbursement_id,
                        matching_pool_id=matching_pool_id, refund_id=refund_id, dispute_id=dispute_id,
                        reverses_entry_id=reverses_entry_id, description=description[:300],
                        created_by_id=getattr(actor, "id", None))
    db.session.add(entry)
    db.session.flush()
    db.session.add_all(Posting(entry_id=entry.id, account=account, amount_minor=amount, currency=currency)
                       for account, amount in legs)
    cash_delta = sum(amount for account, amount in legs if account == fund_cash_account(fund_id))
    _move_caches(kind, fund_id, campaign_id, team_id, cash_delta)
    db.session.flush()
    return entry


def _bump(model, object_id: int, **values) -> None:
    """UPDATE one cached total in SQL (x = x + delta). An object of that row already in the session is
    expired by primary key, so it reloads the new value when read; SQLAlchemy's default instead scans
    every object in the session on each UPDATE, which made long batch jobs (the demo) crawl."""
    db.session.execute(update(model).where(model.id == object_id).values(**values),
                       execution_options={"synchronize_session": False})
    instance = db.session.identity_map.get(identity_key(model, object_id))
    if instance is not None:
        db.session.expire(instance, list(values))


def _move_caches(kind: str, fund_id: int, campaign_id, team_id, cash_delta: int) -> None:
    if kind == ENTRY_DISBURSEMENT:
        _bump(Fund, fund_id, balance_minor=Fund.balance_minor + cash_delta,
              disbursed_minor=Fund.disbursed_minor - cash_delta)
        return
    # campaign before fund before team: the lock order of every money path (portal/core/retry.py)
    if campaign_id:
        _bump(Campaign, campaign_id, raised_minor=Campaign.raised_minor + cash_delta)
    _bump(Fund, fund_id, balance_minor=Fund.balance_minor + cash_delta, raised_minor=Fund.raised_minor + cash_delta)
    if team_id:
        _bump(Team, team_id, raised_minor=Team.raised_minor + cash_delta)


# --- donor tallies (who gave, how many distinct donors, the members' leaderboard) ---------------------

@dataclass(frozen=True)
class Standing:
    """What one donation adds to its donor's tallies: counted at all, counted by name, its net money."""

    counted: bool = False
    named: bool = False
    net_minor: int = 0


NOT_COUNTED = Standing()


def standing(donation, counted: bool | None = None, net_minor: int | None = None) -> Standing:
    """The donation's standing, from its status and refunds unless the caller says what they become."""
    from portal.payments import models as gifts

    if counted is None:
        counted = donation.status in (gifts.SUCCEEDED, gifts.PARTIALLY_REFUNDED)
    if not counted:
        return NOT_COUNTED
    named = donation.donor_id is not None and donation.display_mode == gifts.NAMED
    return Standing(True, named, donation.amount_minor - donation.refunded_minor if net_minor is None else net_minor)


def _upsert_tallies(scopes: list[tuple[str, int]], donation, gifts: int, named_gifts: int,
                    named_net: int) -> dict[tuple[str, int], int]:
    """Add to the donor's tallies on each (scope, id), created on the donor's first gift there, in one
    statement (one round trip on the webhook path); (scope, id) -> the donor's counted gifts after it."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    key = donor_key(donation.donor_id, donation.donor_name)
    statement = insert(DonorTally).values([
        {"scope": scope, "scope_id": scope_id, "donor_key": key, "donor_id": donation.donor_id, "gifts": gifts,
         "named_gifts": named_gifts, "named_net_minor": named_net} for scope, scope_id in scopes])
    statement = statement.on_conflict_do_update(
        index_elements=[DonorTally.scope, DonorTally.scope_id, DonorTally.donor_key],
        set_={"gifts": DonorTally.gifts + statement.excluded.gifts,
              "named_gifts": DonorTally.named_gifts + statement.excluded.named_gifts,
              "named_net_minor": DonorTally.named_net_minor + statement.excluded.named_net_minor})
    rows = db.session.execute(statement.returning(DonorTally.scope, DonorTally.scope_id, DonorTally.gifts))
    return {(scope, scope_id): count for scope, scope_id, count in rows}


def move_donor_tallies(donation, before: Standing, after: Standing) -> None:
    """A donation's standing changed: move its donor's tallies on its fund, campaign and team, and the
    donor counts when it was the donor's first counted gift there, or the last one to stop counting.

    Runs after the entry's cached totals moved, so it takes no row lock the entry did not already hold
    (the fund, campaign and team rows) before the donor's tally rows.
    """
    if before == after:
        return
    gifts = int(after.counted) - int(before.counted)
    named_gifts = int(after.named) - int(before.named)
    named_net = (after.net_minor if after.named else 0) - (before.net_minor if before.named else 0)
    models = {SCOPE_FUND: Fund, SCOPE_CAMPAIGN: Campaign, SCOPE_TEAM: Team}
    scopes = [(scope, scope_id) for scope, scope_id in ((SCOPE_FUND, donation.fund_id),
                                                        (SCOPE_CAMPAIGN, donation.campaign_id),
                                                        (SCOPE_TEAM, donation.team_id)) if scope_id is not None]
    counts = _upsert_tallies(scopes, donation, gifts, named_gifts, named_net)
    for scope, scope_id in scopes:  # fund, campaign, team: the order the cached totals were moved in
        if (gifts > 0 and counts[(scope, scope_id)] == gifts) or (gifts < 0 and counts[(scope, scope_id)] == 0):
            model = models[scope]
            _bump(model, scope_id, donor_count=model.donor_count + gifts)


def forget_named_tallies(donor_id: int) -> None:
    """An erased account's gifts are shown as anonymous from now on: off the members' leaderboard."""
    db.session.execute(update(DonorTally).where(DonorTally.donor_id == donor_id)
                       .values(named_gifts=0, named_net_minor=0), execution_options={"synchronize_session": False})


# --- gifts ---------------------------------------------------------------------------------------

def post_gift(donation, actor=None) -> LedgerEntry:
    """Money received for a succeeded donation: donors -> fund cash, then any matching it earns."""
    entry = _post(ENTRY_GIFT, donation.fund_id, donation.currency,
                  [(DONORS_ACCOUNT, -donation.amount_minor),
                   (fund_cash_account(donation.fund_id), donation.amount_minor)],
                  campaign_id=donation.campaign_id, team_id=donation.team_id, donation_id=donation.id,
                  description=f"gift #{donation.id}", actor=actor)
    move_donor_tallies(donation, NOT_COUNTED, standing(donation, counted=True))
    if donation.campaign_id:
        apply_matching(donation, actor=actor)
    return entry


def _pool_remaining_for(pool: MatchingPool, donation) -> int:
    remaining = pool.cap_minor - pool.used_minor
    if pool.per_donor_cap_minor is not None and donation.donor_id is not None:
        from portal.payments.models import Donation

        matched_for_donor = db.session.scalar(
            select(sum_minor(Posting.amount_minor)).join(LedgerEntry)
            .join(Donation, Donation.id == LedgerEntry.donation_id)
            .where(LedgerEntry.matching_pool_id == pool.id, Donation.donor_id == donation.donor_id,
                   Posting.account == fund_cash_account(pool.campaign.fund_id)))
        remaining = min(remaining, pool.per_donor_cap_minor - matched_for_donor)
    return max(0, remaining)


def apply_matching(donation, actor=None) -> list[LedgerEntry]:
    """Match a gift from every pool of its campaign that is open at the gift's time, within the caps.

    Pools are locked (SELECT ... FOR UPDATE on PostgreSQL) so concurrent gifts cannot overspend a cap.
    """
    at = donation.succeeded_at or donation.created_at
    pools = db.session.scalars(
        select(MatchingPool).where(MatchingPool.campaign_id == donation.campaign_id,
                                   MatchingPool.starts_at <= at, MatchingPool.ends_at >= at)
        .order_by(MatchingPool.id).with_for_update()
        # the locked row's used_minor, not a copy an earlier query left in the session
        .execution_options(populate_existing=True)).all()
    entries = []
    for pool in pools:
        wanted = int(Fraction(donation.amount_minor) * pool.ratio_numerator / pool.ratio_denominator)
        amount = min(wanted, _pool_remaining_for(pool, donation))
        if amount <= 0:
            continue
        entries.append(_post(
            ENTRY_MATCH, donation.fund_id, donation.currency,
            [(matching_pool_account(pool.id), -amount), (fund_cash_account(donation.fund_id), amount)],
            campaign_id=donation.campaign_id, team_id=donation.team_id, donation_id=donation.id,
            matching_pool_id=pool.id, description=f"match of gift #{donation.id} by {pool.sponsor_name}"[:300],
            actor=actor))
        _bump(MatchingPool, pool.id, used_minor=MatchingPool.used_minor + amount)
    return entries


# --- money going back ------------------------------------------------------------------------------

def _matched_for(donation_id: int) -> list[tuple[int, int]]:
    """(pool id, net amount still matched) for a donation."""
    rows = db.session.execute(
        select(LedgerEntry.matching_pool_id, sum_minor(Posting.amount_minor)).join(Posting)
        .where(LedgerEntry.donation_id == donation_id, LedgerEntry.matching_pool_id.is_not(None),
               Posting.account.like("fund:%:cash"))
        .group_by(LedgerEntry.matching_pool_id)).all()
    return [(pool_id, amount) for pool_id, amount in rows if amount]


def _reverse_matching(donation, share: Fraction, kind: str, actor=None, **links) -> None:
    """A refunded or disputed share of a gift gives back the same share of its match to the pool."""
    for pool_id, matched in _matched_for(donation.id):
        amount = min(matched, int(share * matched))
        if amount <= 0:
            continue
        _post(kind, donation.fund_id, donation.currency,
              [(fund_cash_account(donation.fund_id), -amount), (matching_pool_account(pool_id), amount)],
              campaign_id=donation.campaign_id, team_id=donation.team_id, donation_id=donation.id,
              matching_pool_id=pool_id, description=f"match returned for gift #{donation.id}", actor=actor, **links)
        _bump(MatchingPool, pool_id, used_minor=MatchingPool.used_minor - amount)


def post_refund(donation, refund, actor=None) -> LedgerEntry:
    """A refund (full or partial) of a gift, and the same share of its match back to the sponsor.

    Posted before the caller adds the refund to donation.refunded_minor (payments' settle_refund).
    """
    entry = _post(ENTRY_REFUND, donation.fund_id, donation.currency,
                  [(fund_cash_account(donation.fund_id), -refund.amount_minor),
                   (DONORS_ACCOUNT, refund.amount_minor)],
                  campaign_id=donation.campaign_id, team_id=donation.team_id, donation_id=donation.id,
                  refund_id=refund.id, description=f"refund of gift #{donation.id}", actor=actor)
    before = standing(donation)
    if before.counted:  # a disputed gift stays uncounted; a fully refunded one stops counting
        net = before.net_minor - refund.amount_minor
        move_donor_tallies(donation, before, standing(donation, counted=net > 0, net_minor=net))
    _reverse_matching(donation, Fraction(refund.amount_minor, donation.amount_minor), ENTRY_REFUND, actor=actor,
                      refund_id=refund.id)
    return entry


def post_dispute(donation, dispute, actor=None) -> LedgerEntry:
    """The donor's bank pulled the money back (chargeback): a reversal entry."""
    entry = _post(ENTRY_DISPUTE, donation.fund_id, donation.currency,
                  [(fund_cash_account(donation.fund_id), -dispute.amount_minor),
                   (DONORS_ACCOUNT, dispute.amount_minor)],
                  campaign_id=donation.campaign_id, team_id=donation.team_id, donation_id=donation.id,
                  dispute_id=dispute.id, description=f"dispute on gift #{donation.id}", actor=actor)
    move_donor_tallies(donation, standing(donation), NOT_COUNTED)  # disputed gifts do not count
    _reverse_matching(donation, Fraction(dispute.amount_minor, donation.amount_minor), ENTRY_DISPUTE, actor=actor,
                      dispute_id=dispute.id)
    return entry


def post_dispute_won(donation, dispute, actor=None) -> LedgerEntry:
    """A dispute closed in our favour: the money comes back (the match is not re-applied).

    Posted after the dispute is marked won and before the caller sets the donation's status again: it
    counts once no other dispute on it is open, if anything of it is left unrefunded.
    """
    from portal.payments.models import Dispute

    entry = _post(ENTRY_DISPUTE_WON, donation.fund_id, donation.currency,
                  [(DONORS_ACCOUNT, -dispute.amount_minor),
                   (fund_cash_account(donation.fund_id), dispute.amount_minor)],
                  campaign_id=donation.campaign_id, team_id=donation.team_id, donation_id=donation.id,
                  dispute_id=dispute.id, description=f"dispute won on gift #{donation.id}", actor=actor)
    still_open = db.session.scalar(select(func.count()).select_from(Dispute).where(
        Dispute.donation_id == donation.id, Dispute.status == "open"))
    counted = not still_open and donation.refunded_minor < donation.amount_minor
    move_donor_tallies(donation, standing(donation), standing(donation, counted=counted))
    return entry


def post_disbursement(disbursement, actor=None) -> LedgerEntry:
    """Money paid out of the fund; refused above the available balance (the fund row is locked first)."""
    if disbursement.campaign_id:
        # the campaign comes before the fund in the lock order; a key-share lock is all the entry needs
        db.session.execute(select(Campaign.id).where(Campaign.id == disbursement.campaign_id)
                           .with_for_update(read=True, key_share=True))
    fund = db.session.scalar(select(Fund).where(Fund.id == disbursement.fund_id).with_for_update())
    db.session.refresh(fund)
    if disbursement.amount_minor > fund_balance(fund.id):
        raise DomainError("disbursement above the available balance", field="amount", code="insufficient_balance")
    return _post(ENTRY_DISBURSEMENT, fund.id, disbursement.currency,
                 [(fund_cash_account(fund.id), -disbursement.amount_minor),
                  (PAYEES_ACCOUNT, disbursement.amount_minor)],
                 campaign_id=disbursement.campaign_id, disbursement_id=disbursement.id,
                 description=disbursement.purpose, actor=actor)


# --- sums straight from the postings (what reconcile compares the caches with) -------------------------

def fund_balance(fund_id: int) -> int:
    return db.session.scalar(select(sum_minor(Posting.amount_minor))
                             .where(Posting.account == fund_cash_account(fund_id)))


def _cash_sum(*conditions) -> int:
    return db.session.scalar(
        select(sum_minor(Posting.amount_minor)).join(LedgerEntry)
        .where(Posting.account.like("fund:%:cash"), *conditions))


def fund_raised(fund_id: int) -> int:
    return _cash_sum(LedgerEntry.fund_id == fund_id, LedgerEntry.kind.in_(RAISING_KINDS))


def fund_disbursed(fund_id: int) -> int:
    return -_cash_sum(LedgerEntry.fund_id == fund_id, LedgerEntry.kind == ENTRY_DISBURSEMENT)


def campaign_raised(campaign_id: int) -> int:
    return _cash_sum(LedgerEntry.campaign_id == campaign_id, LedgerEntry.kind.in_(RAISING_KINDS))


def team_raised(team_id: int) -> int:
    return _cash_sum(LedgerEntry.team_id == team_id, LedgerEntry.kind.in_(RAISING_KINDS))


def pool_used(pool_id: int) -> int:
    return -db.session.scalar(select(sum_minor(Posting.amount_minor))
                              .where(Posting.account == matching_pool_account(pool_id)))


def unbalanced_entries() -> list[int]:
    """Ids of entries whose postings do not sum to zero (should always be empty)."""
    rows = db.session.execute(select(Posting.entry_id).group_by(Posting.entry_id)
                              .having(func.sum(Posting.amount_minor) != 0)).all()
    return [row[0] for row in rows]
