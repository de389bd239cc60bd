"""The double-entry ledger: the only code that writes LedgerEntry and Posting rows.

Every function posts one balanced entry (postings sum to zero) and moves the cached totals on Campaign,
Fund, Team and MatchingPool (in that order, the lock order written in portal/core/retry.py) with single
UPDATE ... SET x = x + :delta statements, so concurrent gifts never lose an update. Gifts, refunds and
disputes also move the donor tallies (one upserted row per donor and fund, campaign or team) and the donor
counts behind them, in the same transaction, after the cached totals. Callers (services, webhook handlers)
run inside the request's transaction.

Every gift to one campaign updates the same campaign and fund rows, and holds their row locks until it
commits; so a unit of work on the hot path (a webhook, a gift that succeeds) runs inside
`hot_rows_last()`: its entries go first, its queued plain writes (portal/core/pipeline.py) at the end, then
the cached totals and tallies it moved, together, just before the commit, level by level in the lock
order. Concurrent gifts then queue on those rows for a few statements instead of the whole unit.
"""
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

from sqlalchemy import BigInteger, bindparam, cast, func, insert, select, text, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from portal.core import page_cache, pipeline
from portal.core.errors import DomainError
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds.models import (
    DONORS_ACCOUNT,
    ENTRY_CONTRACT_PAYMENT,
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
    contract_budget_account,
    contract_paid_account,
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


def _post(kind: str, fund_id: int | None, currency: str, legs: list[tuple[str, int]], *, campaign_id=None,
          team_id=None, donation_id=None, disbursement_id=None, matching_pool_id=None, refund_id=None,
          dispute_id=None, reverses_entry_id=None, description: str = "", actor=None) -> LedgerEntry:
    if sum(amount for _account, amount in legs) != 0:
        raise UnbalancedEntry(f"postings of a {kind} entry do not sum to zero: {legs}")
    if any(amount == 0 for _account, amount in legs):
        raise UnbalancedEntry("a posting of zero")
    if db.session.new:
        db.session.flush()  # rows the entry may refer to (a refund, a dispute) exist first
    values = dict(kind=kind, fund_id=fund_id, currency=currency, campaign_id=campaign_id, team_id=team_id,
                  donation_id=donation_id, disbursement_id=disbursement_id, matching_pool_id=matching_pool_id,
                  refund_id=refund_id, dispute_id=dispute_id, reverses_entry_id=reverses_entry_id,
                  description=description[:300], created_at=utcnow(), created_by_id=getattr(actor, "id", None))
    # Core statements, built once: the entry and its postings are two INSERTs on every gift, and the ORM's
    # unit of work around them cost more CPU than the statements themselves (BENCHMARKS.md)
    if db.session.get_bind().dialect.name == "postgresql":
        # the entry and its postings in one statement (and one round trip)
        parameters = dict(values)
        for index, (account, amount) in enumerate(legs):
            parameters[f"account_{index}"], parameters[f"amount_{index}"] = account, amount
        [(entry_id, *_rest), *_more] = pipeline.fetch(_entry_with_postings(len(legs)), parameters)
    else:
        entry_id = db.session.execute(_ENTRY_INSERT, values).scalar_one()
        db.session.execute(_POSTINGS_INSERT, [{"entry_id": entry_id, "account": account, "amount_minor": amount,
                                               "currency": currency} for account, amount in legs])
    cash_delta = sum(amount for account, amount in legs if account == fund_cash_account(fund_id))
    _move_caches(kind, fund_id, campaign_id, team_id, cash_delta)
    page_cache.mark_stale(db.session)  # this process's cached public pages go when the entry is committed
    entry = LedgerEntry(id=entry_id, **values)
    make_transient_to_detached(entry)  # the row as inserted, in the session without reading it back
    db.session.add(entry)
    return entry


_ENTRY_INSERT = insert(LedgerEntry.__table__).returning(LedgerEntry.__table__.c.id)
_POSTINGS_INSERT = insert(Posting.__table__)
_ENTRY_COLUMNS = ("kind", "fund_id", "currency", "campaign_id", "team_id", "donation_id", "disbursement_id",
                  "matching_pool_id", "refund_id", "dispute_id", "reverses_entry_id", "description", "created_at",
                  "created_by_id")


@lru_cache(maxsize=4)
def _entry_with_postings(legs: int):
    """PostgreSQL: INSERT the entry and, from its new id, its `legs` postings, in one statement (a
    data-modifying WITH, which SQLite does not have); returns the entry's id."""
    rows = ", ".join(f"(:account_{index}, CAST(:amount_{index} AS BIGINT))" for index in range(legs))
    return text(
        f"WITH entry AS (INSERT INTO ledger_entries ({', '.join(_ENTRY_COLUMNS)}) "
        f"VALUES ({', '.join(':' + column for column in _ENTRY_COLUMNS)}) RETURNING id) "
        "INSERT INTO postings (entry_id, account, amount_minor, currency) "
        f"SELECT entry.id, legs.account, legs.amount_minor, :currency FROM entry, (VALUES {rows}) "
        "AS legs (account, amount_minor) RETURNING entry_id"
    ).bindparams(bindparam("created_at", type_=LedgerEntry.__table__.c.created_at.type))


# --- cached totals, written at once or at the end of a hot_rows_last() block --------------------------

# The levels of the lock order (portal/core/retry.py) that hold cached totals; rows of one level in
# ascending id.
HOT_LEVELS = (Campaign, Fund, Team, MatchingPool)
_PENDING = "ledger.hot_rows_last"


@dataclass
class _Pending:
    """What a hot_rows_last() block has moved so far and not yet written."""

    transaction: object
    totals: dict = field(default_factory=dict)  # (model, id) -> {column: delta}
    tallies: list = field(default_factory=list)  # arguments of _tallies_statement, in the order they moved
    writing: bool = False


def _pending() -> _Pending | None:
    """The open block's queue, if this statement runs at the block's own level: inside a savepoint opened
    within the block, totals are written at once, so a rolled-back savepoint takes them back with it."""
    session = db.session()  # the scoped session looked up once (each `db.session.x` looks it up again)
    pending = session.info.get(_PENDING)
    if pending is None or pending.writing or _current_transaction(session) is not pending.transaction:
        return None
    return pending


def _current_transaction(session=None):
    session = session or db.session()
    return session.get_nested_transaction() or session.get_transaction()


@contextmanager
def hot_rows_last(commit: bool = False):
    """Within the block, the cached totals (campaign, fund, team, pools) and donor tallies that ledger
    entries move are collected, then written together when the block ends, just before the caller's
    commit: one UPDATE per row, campaigns, funds, teams, then pools, each level in ascending id (the lock
    order of portal/core/retry.py), then the donor tallies and the donor counts they move. The block's
    inserts and reads happen before any hot row is locked. Nothing inside the block may read those cached
    columns (the ledger's own sums read postings). Blocks nest: the outermost one writes.

    commit=True is for a unit of work that is its own boundary (a webhook delivery): the transaction is
    committed with those statements, in the same round trip on PostgreSQL, so no Python runs (and no
    thread waits for the GIL) while the hot rows are locked.

    A gift into a campaign with an open matching pool writes its totals when it is matched (the pool's
    remaining cap is read under the pool's row lock, which comes after the campaign's).
    """
    if db.session.info.get(_PENDING) is not None:
        yield
        return
    session = db.session()
    if not session.in_transaction():
        session.begin()  # the transaction the queue belongs to
    pending = _Pending(_current_transaction())
    db.session.info[_PENDING] = pending
    pipeline.open_queue()  # plain writes of the block (audit records, a donation's status) go with the hot rows
    try:
        yield
        _write_pending(pending, commit=commit)
    finally:
        db.session.info.pop(_PENDING, None)
        pipeline.close_queue()


def _write_pending(pending: _Pending, tallies: bool = True, commit: bool = False) -> None:
    """Write what the block moved so far: its inserts first (flush), then the hot rows in lock order and
    the donor tallies, with the block's queued writes before them, in one round trip on PostgreSQL
    (portal.core.pipeline.run); and commit if asked."""
    db.session.flush()
    pending.writing = True
    try:
        moves = sorted(pending.totals.items(), key=lambda item: (HOT_LEVELS.index(item[0][0]), item[0][1]))
        pending.totals = {}
        queued = []
        if tallies:
            queued, pending.tallies = pending.tallies, []
        statements = [_totals_statement(model, object_id, deltas) for (model, object_id), deltas in moves]
        postgresql = db.session.get_bind().dialect.name == "postgresql"
        for arguments in queued:
            if postgresql and arguments[3]:
                statements.append(_tallies_and_counts_statement(*arguments))
            else:
                statements.append(_tallies_statement(*arguments))
                statements.extend(_donor_count_statements(*arguments))
        pipeline.run([*pipeline.take(), *statements], commit=commit)
        for (model, object_id), deltas in moves:
            _expire_totals(model, object_id, deltas)
        models = {SCOPE_FUND: Fund, SCOPE_CAMPAIGN: Campaign, SCOPE_TEAM: Team}
        for scopes, *_rest in queued:
            for scope, scope_id in scopes:
                _expire_totals(models[scope], scope_id, {"donor_count": 0})
    finally:
        pending.writing = False
    if commit:
        db.session.commit()  # on PostgreSQL the COMMIT went with the statements; this ends the session's side


def _donor_count_statements(scopes, key: str, donor_id, gifts: int, named_gifts: int, named_net: int) -> list:
    """The donor counts the tallies just moved, decided in SQL (no round trip back to Python while the
    rows are locked): the scope's count moves by `gifts` when the donor's tally there now holds exactly the
    gifts just added (a first gift), or none after gifts were taken away (the last one left)."""
    if not gifts:
        return []
    tables = {SCOPE_FUND: Fund.__tablename__, SCOPE_CAMPAIGN: Campaign.__tablename__, SCOPE_TEAM: Team.__tablename__}
    return [(_donor_count_sql(tables[scope]), {"gifts": gifts, "after": max(gifts, 0), "scope": scope,
                                               "scope_id": scope_id, "donor_key": key})
            for scope, scope_id in scopes]


def _tallies_and_counts_statement(scopes, key: str, donor_id, gifts: int, named_gifts: int, named_net: int):
    """PostgreSQL: the tally upsert and the donor counts it moves (_donor_count_statements) in one statement,
    each count decided from the upsert's RETURNING. The scopes' rows are locked already (their totals moved
    before, in this transaction), so the order in which the WITH's UPDATEs run does not matter."""
    statement, parameters = _tallies_statement(scopes, key, donor_id, gifts, named_gifts, named_net)
    return _tally_upsert_with_counts(tuple(scope for scope, _scope_id in scopes)), {**parameters,
                                                                                    "after": max(gifts, 0)}


@lru_cache(maxsize=16)
def _tally_upsert_with_counts(scope_kinds: tuple[str, ...]):
    tables = {SCOPE_FUND: Fund.__tablename__, SCOPE_CAMPAIGN: Campaign.__tablename__, SCOPE_TEAM: Team.__tablename__}
    counts = "".join(
        f", count_{index} AS (UPDATE {tables[kind]} SET donor_count = donor_count + :gifts "
        f"WHERE id = :scope_id_{index} AND EXISTS (SELECT 1 FROM tally WHERE tally.scope = :scope_{index} "
        f"AND tally.scope_id = :scope_id_{index} AND tally.gifts = :after) RETURNING id)"
        for index, kind in enumerate(scope_kinds))
    return text(f"WITH tally AS ({_tally_upsert(len(scope_kinds)).text}){counts} SELECT count(*) FROM tally")


@lru_cache(maxsize=8)
def _donor_count_sql(table: str):
    return text(f"UPDATE {table} SET donor_count = donor_count + :gifts WHERE id = :scope_id AND "
                "(SELECT gifts FROM donor_tallies WHERE scope = :scope AND scope_id = :scope_id "
                "AND donor_key = :donor_key) = :after")


def _bump(model, object_id: int, **deltas: int) -> None:
    """Add to cached totals of one row (column name -> delta): now, or at the end of the open block."""
    deltas = {column: delta for column, delta in deltas.items() if delta}
    if not deltas:
        return
    pending = _pending()
    if pending is None:
        _update_totals(model, object_id, deltas)
        return
    row = pending.totals.setdefault((model, object_id), {})
    for column, delta in deltas.items():
        row[column] = row.get(column, 0) + delta


def _update_totals(model, object_id: int, deltas: dict[str, int]) -> None:
    statement, parameters = _totals_statement(model, object_id, deltas)
    db.session.execute(statement, parameters)
    _expire_totals(model, object_id, deltas)


def _totals_statement(model, object_id: int, deltas: dict[str, int]):
    """UPDATE one row's cached totals in SQL (x = x + delta), with its parameters."""
    return _totals_sql(model, tuple(sorted(deltas))), {"row_id": object_id, **deltas}


@lru_cache(maxsize=64)
def _totals_sql(model, columns: tuple[str, ...]):
    """Built once per shape, as text: it runs while the hot rows are locked, and a Core statement is
    rebuilt and its cache key computed on every gift."""
    sets = ", ".join(f"{column} = {column} + :{column}" for column in columns)
    return text(f"UPDATE {model.__tablename__} SET {sets} WHERE id = :row_id")


def _expire_totals(model, object_id: int, deltas: dict[str, int]) -> None:
    """An object of that row already in the session is expired by primary key, so it reloads the new value
    when read; SQLAlchemy's default instead scans every object in the session on each UPDATE, which made
    long batch jobs (the demo) crawl."""
    instance = db.session.identity_map.get(identity_key(model, object_id))
    if instance is not None:
        db.session.expire(instance, list(deltas))


def _move_caches(kind: str, fund_id: int, campaign_id, team_id, cash_delta: int) -> None:
    if kind == ENTRY_CONTRACT_PAYMENT:
        return  # no fund; the contracts service moves Contract.paid_minor itself
    if kind == ENTRY_DISBURSEMENT:
        _bump(Fund, fund_id, balance_minor=cash_delta, disbursed_minor=-cash_delta)
        return
    # campaign before fund before team: the lock order of every money path (portal/core/retry.py)
    if campaign_id:
        _bump(Campaign, campaign_id, raised_minor=cash_delta)
    _bump(Fund, fund_id, balance_minor=cash_delta, raised_minor=cash_delta)
    if team_id:
        _bump(Team, team_id, raised_minor=cash_delta)


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


def _tallies_statement(scopes: list[tuple[str, int]], key: str, donor_id: int | None, gifts: int,
                       named_gifts: int, named_net: int):
    """Add to the donor's tallies on each (scope, id), created on the donor's first gift there, in one
    statement; it returns (scope, id, the donor's counted gifts there after it)."""
    parameters = {"donor_key": key, "donor_id": donor_id, "gifts": gifts, "named_gifts": named_gifts,
                  "named_net_minor": named_net}
    for index, (scope, scope_id) in enumerate(scopes):
        parameters[f"scope_{index}"], parameters[f"scope_id_{index}"] = scope, scope_id
    return _tally_upsert(len(scopes)), parameters


@lru_cache(maxsize=8)
def _tally_upsert(rows: int):
    """The upsert of `rows` tallies of one donor (the same SQL on PostgreSQL and SQLite), as text: it runs
    inside the hot rows' locks, and SQLAlchemy does not cache a compiled multi-row upsert, so building
    and compiling it on each gift cost more CPU than running it (BENCHMARKS.md)."""
    values = ", ".join(f"(:scope_{index}, :scope_id_{index}, :donor_key, :donor_id, :gifts, :named_gifts, "
                       ":named_net_minor)" for index in range(rows))
    return text(
        "INSERT INTO donor_tallies (scope, scope_id, donor_key, donor_id, gifts, named_gifts, named_net_minor) "
        f"VALUES {values} ON CONFLICT (scope, scope_id, donor_key) DO UPDATE SET "
        "gifts = donor_tallies.gifts + excluded.gifts, named_gifts = donor_tallies.named_gifts + excluded.named_gifts, "
        "named_net_minor = donor_tallies.named_net_minor + excluded.named_net_minor "
        "RETURNING scope, scope_id, gifts")


def move_donor_tallies(donation, before: Standing, after: Standing) -> None:
    """A donation's standing changed: move its donor's tallies on its fund, campaign and team, and the
    donor counts when it was the donor's first counted gift there, or the last one to stop counting.

    Runs after the entry's cached totals (and any matching) moved, so it takes no row lock the entry did
    not already hold (the fund, campaign and team rows) before the donor's tally rows. In a
    hot_rows_last() block it is written at the block's end, after those totals.
    """
    if before == after:
        return
    gifts = int(after.counted) - int(before.counted)
    named_gifts = int(after.named) - int(before.named)
    named_net = (after.net_minor if after.named else 0) - (before.net_minor if before.named else 0)
    scopes = [(scope, scope_id) for scope, scope_id in ((SCOPE_CAMPAIGN, donation.campaign_id),
                                                        (SCOPE_FUND, donation.fund_id),
                                                        (SCOPE_TEAM, donation.team_id)) if scope_id is not None]
    arguments = (scopes, donor_key(donation.donor_id, donation.donor_name), donation.donor_id, gifts, named_gifts,
                 named_net)
    pending = _pending()
    if pending is not None:
        pending.tallies.append(arguments)
    else:
        _write_tallies(*arguments)


def _write_tallies(*arguments) -> None:
    statement, parameters = _tallies_statement(*arguments)
    _move_donor_counts(arguments, db.session.execute(statement, parameters).all())


def _move_donor_counts(arguments: tuple, rows: list[tuple]) -> None:
    """The donor's first counted gift in a scope raises its donor count, the last one leaving lowers it."""
    scopes, gifts = arguments[0], arguments[3]
    counts = {(scope, scope_id): count for scope, scope_id, count in rows}
    models = {SCOPE_FUND: Fund, SCOPE_CAMPAIGN: Campaign, SCOPE_TEAM: Team}
    for scope, scope_id in scopes:  # campaign, fund, team: rows the entry's totals already locked
        if (gifts > 0 and counts[(scope, scope_id)] == gifts) or (gifts < 0 and counts[(scope, scope_id)] == 0):
            _bump(models[scope], scope_id, donor_count=gifts)


def forget_named_tallies(donor_id: int) -> None:
    """An erased account's gifts are shown as anonymous from now on: off the members' leaderboard."""
    db.session.execute(update(DonorTally).where(DonorTally.donor_id == donor_id)
                       .values(named_gifts=0, named_net_minor=0), execution_options={"synchronize_session": False})


# --- gifts ---------------------------------------------------------------------------------------

def post_gift(donation, actor=None, pool_open: bool | None = None) -> LedgerEntry:
    """Money received for a succeeded donation: donors -> fund cash, then any matching it earns (`pool_open`:
    see apply_matching)."""
    entry = _post(ENTRY_GIFT, donation.fund_id, donation.currency,
                  [(DONORS_ACCOUNT, -donation.amount_minor),
                   (fund_cash_account(donation.fund_id), donation.amount_minor)],
                  campaign_id=donation.campaign_id, team_id=donation.team_id, donation_id=donation.id,
                  description=f"gift #{donation.id}", actor=actor)
    if donation.campaign_id:
        apply_matching(donation, actor=actor, pool_open=pool_open)
    move_donor_tallies(donation, NOT_COUNTED, standing(donation, counted=True))
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


def apply_matching(donation, actor=None, pool_open: bool | None = None) -> list[LedgerEntry]:
    """Match a gift from every pool of its campaign that is open at the gift's time, within the caps.

    Pools are locked (SELECT ... FOR UPDATE on PostgreSQL) so concurrent gifts cannot overspend a cap. In a
    hot_rows_last() block, a campaign without an open pool is asked first without a lock, so the common
    gift takes no pool statement while it holds the hot rows; with one, the block's totals so far are
    written first (the campaign, fund and team come before the pools in the lock order). `pool_open` is
    that first answer when the caller read it already, at the gift's time (funds.service.campaign_gift_check).
    """
    at = donation.succeeded_at or donation.created_at
    is_open = (MatchingPool.campaign_id == donation.campaign_id, MatchingPool.starts_at <= at,
               MatchingPool.ends_at >= at)
    pending = _pending()
    if pending is not None:
        if pool_open is None:
            [(pool_open,)] = pipeline.fetch(_OPEN_POOL, {"campaign_id": donation.campaign_id, "at": at})
        if not pool_open:
            return []
        _write_pending(pending, tallies=False)
    pools = db.session.scalars(
        select(MatchingPool).where(*is_open)
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
        _bump(MatchingPool, pool.id, used_minor=amount)
    return entries


_POOLS = MatchingPool.__table__


def open_pool_exists(campaign_id, at):
    """The SQL question "has this campaign a matching pool open at `at`?" (a column for a statement)."""
    return (select(_POOLS.c.id).where(_POOLS.c.campaign_id == campaign_id, _POOLS.c.starts_at <= at,
                                      _POOLS.c.ends_at >= at).exists())


_OPEN_POOL = select(open_pool_exists(bindparam("campaign_id"), bindparam("at")))  # built once: every gift asks


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
        _bump(MatchingPool, pool_id, used_minor=-amount)


def post_refund(donation, refund, actor=None) -> LedgerEntry:
    """A refund (full or partial) of a gift, and the same share of its match back to the sponsor.

    Posted before the caller adds the refund to donation.refunded_minor (payments' settle_refund).
    """
    entry = _post(ENTRY_REFUND, donation.fund_id, donation.currency,
                  [(fund_cash_account(donation.fund_id), -refund.amount_minor),
                   (DONORS_ACCOUNT, refund.amount_minor)],
                  campaign_id=donation.campaign_id, team_id=donation.team_id, donation_id=donation.id,
                  refund_id=refund.id, description=f"refund of gift #{donation.id}", actor=actor)
    _reverse_matching(donation, Fraction(refund.amount_minor, donation.amount_minor), ENTRY_REFUND, actor=actor,
                      refund_id=refund.id)
    before = standing(donation)
    if before.counted:  # a disputed gift stays uncounted; a fully refunded one stops counting
        net = before.net_minor - refund.amount_minor
        move_donor_tallies(donation, before, standing(donation, counted=net > 0, net_minor=net))
    return entry


def post_dispute(donation, dispute, actor=None) -> LedgerEntry:
    """The donor's bank pulled the money back (chargeback): a reversal entry."""
    entry = _post(ENTRY_DISPUTE, donation.fund_id, donation.currency,
                  [(fund_cash_account(donation.fund_id), -dispute.amount_minor),
                   (DONORS_ACCOUNT, dispute.amount_minor)],
                  campaign_id=donation.campaign_id, team_id=donation.team_id, donation_id=donation.id,
                  dispute_id=dispute.id, description=f"dispute on gift #{donation.id}", actor=actor)
    _reverse_matching(donation, Fraction(dispute.amount_minor, donation.amount_minor), ENTRY_DISPUTE, actor=actor,
                      dispute_id=dispute.id)
    move_donor_tallies(donation, standing(donation), NOT_COUNTED)  # disputed gifts do not count
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


def post_contract_payment(contract_id: int, amount_minor: int, currency: str, description: str,
                          actor=None) -> LedgerEntry:
    """A payment under a government contract (portal/contracts), from the contract's budget to the organisation.
    The contracts service locks the contract row and keeps paid within verified value before it calls this."""
    return _post(ENTRY_CONTRACT_PAYMENT, None, currency,
                 [(contract_budget_account(contract_id), -amount_minor),
                  (contract_paid_account(contract_id), amount_minor)], description=description, actor=actor)


def contract_paid(contract_id: int) -> int:
    return db.session.scalar(select(sum_minor(Posting.amount_minor))
                             .where(Posting.account == contract_paid_account(contract_id)))


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
