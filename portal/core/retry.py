"""Retrying a unit of work that the database chose as a deadlock victim or refused for a serialization
conflict, and the one order in which every money path takes its row locks.

Lock order (every money path; a path may skip steps but never go back up the list):

1. the webhook event row (WebhookEvent, inserted first: a second delivery of the same event waits
   here, then finds the duplicate and does nothing);
2. the object being moved: a monthly gift (RecurringGift) before the Donation of its cycle; the
   Donation (payments.service.lock_donation, SELECT ... FOR UPDATE), its Refund and Dispute rows after
   it; several donations in ascending id; a Disbursement (funds.disbursements.pay_disbursement);
   a Contract (contracts.payments.approve_payment locks the contract, then the ContractPayment being
   approved; every approval of the contract's payments waits on the contract row, so the payable amount
   it computes inside the lock counts every payment approved before it, and the ledger posting carries
   no fund, campaign or team; the contract's cached paid_minor moves with UPDATE ... SET x = x + n);
3. the campaign (funds.service.finish_campaign locks the campaign's paid gifts first, then the campaign);
   several campaigns in ascending id;
4. the fund (several in ascending id);
5. the team (several in ascending id);
6. matching pools, in ascending id;
7. the donor tallies of the donation's donor (funds.ledger, INSERT ... ON CONFLICT DO UPDATE), after the
   rows above that the same entry moved;
8. users: never locked FOR UPDATE on a money path. Foreign-key checks (a donation's donor, an audit
   row's actor) take key-share locks on them, which conflict with nothing but FOR UPDATE. The one
   lock on a donor's row, in payments.service.prepare_gift (so two "give" clicks of one donor make one
   gift), is FOR NO KEY UPDATE: it does not conflict with those key-share locks, so a users row never
   closes a cycle with a payment in flight.

The cached totals are moved in this order by portal.funds.ledger (campaign, fund, team, pools, with
UPDATE ... SET x = x + n), then the donor tallies; further cached aggregates belong after the team, with
the same atomic UPDATE. Rows that every gift to a campaign updates (the campaign, its fund, a team) are
locked as late as possible: on the webhook path and in payments.service.mark_donation_succeeded the
ledger collects them (ledger.hot_rows_last) and writes them at the end of the unit of work, just before
its commit, level by level in this order, after its own inserts and reads. Nothing may be locked after
them but the rows of levels 6-7 (and rows already held). SQLite serialises writers, so there the order
costs nothing and no deadlock occurs.

Even in one order, PostgreSQL can still pick a victim (foreign-key checks on rows changed earlier in
the transaction, other domains' locks): `retrying` runs the unit of work again, a bounded number of
times with a short jittered backoff, rolling the session back in between, so a donor never sees an
error page for contention.
"""
import functools
import logging
import random
import time

from sqlalchemy.exc import DBAPIError

from portal.extensions import db

log = logging.getLogger(__name__)

# SQLSTATEs of PostgreSQL's transaction-rollback class that say "try again": serialization_failure,
# deadlock_detected.
RETRYABLE_SQLSTATES = {"40001", "40P01"}
ATTEMPTS = 5
BASE_DELAY_SECONDS = 0.02


def is_contention(error: BaseException) -> bool:
    """True for a deadlock or serialization failure (psycopg's DeadlockDetected / SerializationFailure
    wrapped by SQLAlchemy in OperationalError / DBAPIError)."""
    if not isinstance(error, DBAPIError):
        return False
    original = getattr(error, "orig", None)
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return state in RETRYABLE_SQLSTATES


def run_with_retry(work, *args, attempts: int = ATTEMPTS, base_delay: float = BASE_DELAY_SECONDS, **kwargs):
    """Call work(*args, **kwargs) and flush; on contention roll back, wait a little and call it again.

    The flush inside the loop makes writes still pending in the session meet their locks here, not at
    the commit of the request boundary. Anything else (a DomainError, an IntegrityError) passes through
    at once. After `attempts` contended tries the last error is raised.
    """
    for attempt in range(1, attempts + 1):
        try:
            result = work(*args, **kwargs)
            db.session.flush()
            return result
        except DBAPIError as error:
            if not is_contention(error) or attempt == attempts:
                raise
            db.session.rollback()
            delay = base_delay * (2 ** (attempt - 1)) * (0.5 + random.random())
            log.warning("retrying %s after %s (attempt %d of %d, %.0f ms)", getattr(work, "__name__", work),
                        type(getattr(error, "orig", error)).__name__, attempt, attempts, delay * 1000)
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def retrying(view=None, *, attempts: int = ATTEMPTS, base_delay: float = BASE_DELAY_SECONDS):
    """Decorator for a money-moving route or command: its whole unit of work is retried on contention."""
    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            return run_with_retry(function, *args, attempts=attempts, base_delay=base_delay, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
