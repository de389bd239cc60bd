"""The only code that changes donations: giving online, success, refunds, monthly gifts (offline gifts are in
portal/payments/offline.py, the sandbox's buttons in sandbox_checkout.py, what funds' campaigns ask of
payments in campaigns.py).

Money is credited only by mark_donation_succeeded, which webhook handlers (portal.payments.webhooks),
the sandbox checkout and the confirmation of an offline gift call; never by a browser redirect.
Each function locks the row it changes (SELECT ... FOR UPDATE), in the one order written in
portal/core/retry.py, and flushes; the request, webhook or CLI command commits once at its boundary,
retrying the whole unit of work on a deadlock or serialization failure (portal.core.retry).
"""
import re
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from portal.audit import service as audit
from portal.core import pipeline
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.lifecycle import can_move, move_status
from portal.core.money import check_amount_minor, check_currency, format_yuan
from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db
from portal.funds import ledger
from portal.funds.models import LIVE, Campaign, Fund, Team
from portal.funds.service import campaign_gift_check
from portal.payments.models import (
    ACTIVE,
    ANONYMOUS,
    CANCELLED,
    DISPLAY_MODES,
    DISPUTED,
    DONATION_STATUSES,
    EXPIRED,
    FAILED,
    FLAGGED,
    INITIALS,
    MONTHLY,
    NAMED,
    OFFLINE,
    ONE_OFF,
    PARTIALLY_REFUNDED,
    PENDING,
    RECURRING_STATUSES,
    REFUND_STATUSES,
    REFUNDED,
    SUCCEEDED,
    Donation,
    RecurringGift,
    Refund,
)
from portal.payments.providers import get_provider
from portal.payments.providers.base import Checkout, ProviderError

SHANGHAI = ZoneInfo("Asia/Shanghai")

STATUS_LABELS = DONATION_STATUSES
# Statuses in which the money arrived (the gift has a receipt).
SETTLED = (SUCCEEDED, PARTIALLY_REFUNDED, REFUNDED, DISPUTED)
# A pending gift started again within this window is reused: a double-clicked "pay" makes one gift.
REUSE_WINDOW = timedelta(minutes=30)
MAX_MESSAGE = 200


class PaymentServiceUnavailable(DomainError):
    status_code = 503

    def __init__(self):
        super().__init__(_("The payment service could not be reached. Nothing was charged; please try again "
                           "in a moment."), code="provider_unavailable")


# --- donor names -----------------------------------------------------------------------------------

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def initials_of(name: str) -> str:
    """'张小明' -> '张**'; 'Li Na' -> 'L. N.'."""
    name = (name or "").strip()
    if not name:
        return ""
    if _HAN.match(name):
        return name[0] + "**"
    parts = [part for part in re.split(r"[\s\-_.]+", name) if part]
    return " ".join(f"{part[0].upper()}." for part in parts)


def public_donor_name(gift) -> str:
    """How a Donation, RecurringGift or InKindPledge is shown in public, as its donor chose."""
    mode = getattr(gift, "display_mode", NAMED)
    name = (getattr(gift, "donor_name", "") or "").strip()
    if mode == ANONYMOUS or not name:
        return _("Anonymous donor")
    if mode == INITIALS:
        return initials_of(name)
    return name


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


# --- lifecycles: current status -> the statuses it may move to (DESIGN.md section 5) ---------------------

DONATION_TRANSITIONS = {
    PENDING: {SUCCEEDED, FAILED, EXPIRED, FLAGGED},
    SUCCEEDED: {PARTIALLY_REFUNDED, REFUNDED, DISPUTED},
    PARTIALLY_REFUNDED: {PARTIALLY_REFUNDED, REFUNDED, DISPUTED},  # a second partial refund stays partial
    REFUNDED: {DISPUTED},  # a chargeback can follow a refund
    DISPUTED: {DISPUTED, SUCCEEDED, PARTIALLY_REFUNDED, REFUNDED},  # another dispute; or won, back to before
}
RECURRING_TRANSITIONS = {
    PENDING: {ACTIVE, FAILED, CANCELLED},
    ACTIVE: {CANCELLED, FAILED},
}
REFUND_TRANSITIONS = {PENDING: {SUCCEEDED, FAILED}}


def move_donation(donation: Donation, target: str) -> str:
    return move_status(donation, DONATION_TRANSITIONS, STATUS_LABELS, target, _l("A gift"))  # read on refusal only


def move_recurring_gift(gift: RecurringGift, target: str) -> str:
    return move_status(gift, RECURRING_TRANSITIONS, RECURRING_STATUSES, target, _("A monthly gift"))


def move_refund(refund: Refund, target: str) -> str:
    return move_status(refund, REFUND_TRANSITIONS, REFUND_STATUSES, target, _("A refund"))


def ensure_awaiting_payment(gift: Donation | RecurringGift) -> None:
    paid = SUCCEEDED if isinstance(gift, Donation) else ACTIVE
    table = DONATION_TRANSITIONS if isinstance(gift, Donation) else RECURRING_TRANSITIONS
    if not can_move(gift, table, paid):
        raise IllegalTransition(_("This gift is no longer waiting for payment."))


# --- small helpers ---------------------------------------------------------------------------------

_LOCKED_DONATIONS = "payments.locked_donations"


def _donations_locked() -> set[int]:
    """Ids of the donations the current transaction (at its current savepoint level) has locked: a row
    lock holds until the commit, so it is taken once. A savepoint keeps its own set, because rolling the
    savepoint back releases the locks taken inside it."""
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    held = db.session.info.get(_LOCKED_DONATIONS)
    if held is None or held[0] is not transaction:
        held = (transaction, set())
        db.session.info[_LOCKED_DONATIONS] = held
    return held[1]


def _locking(*conditions):
    return (select(Donation).where(*conditions).with_for_update()
            .execution_options(populate_existing=True))


def lock_donation(donation: Donation) -> Donation:
    """Reload the donation with a row lock (PostgreSQL); the same object, refreshed. A donation this
    transaction has locked already is returned as it is: nobody else can have changed it since."""
    if donation.id in _donations_locked():
        return donation
    locked = db.session.scalars(_locking(Donation.id == donation.id)).one()
    _donations_locked().add(locked.id)
    return locked


def lock_donation_of_session(provider_name: str, session_id: str) -> Donation | None:
    """The donation whose stored checkout session this is, locked: a webhook's lookup and lock in one.

    Read as plain columns (a statement built once, straight through the driver on PostgreSQL) and made the
    session's object without the ORM's loading, which cost more CPU than the statement; a donation this
    session holds already is refreshed from the row as the ORM would (it is locked by now)."""
    rows = pipeline.fetch(_LOCK_OF_SESSION, {"provider": provider_name, "session_id": session_id})
    if not rows:
        return None
    values = {column: value.astimezone(UTC) if column in _UTC_COLUMNS and value is not None else value
              for column, value in zip(_DONATION_COLUMNS, rows[0], strict=True)}
    if db.session.identity_map.get(identity_key(Donation, values["id"])) is not None:
        locked = db.session.scalars(_locking(Donation.id == values["id"])).one()
    else:
        locked = Donation(**values)
        make_transient_to_detached(locked)  # the row as read, in the session without loading it again
        db.session.add(locked)
    _donations_locked().add(locked.id)
    return locked


_DONATIONS = Donation.__table__
_DONATION_COLUMNS = tuple(column.key for column in _DONATIONS.c)
_UTC_COLUMNS = {column.key for column in _DONATIONS.c if isinstance(column.type, UTCDateTime)}
_LOCK_OF_SESSION = (select(*_DONATIONS.c).where(_DONATIONS.c.provider == bindparam("provider"),
                                                _DONATIONS.c.provider_session_id == bindparam("session_id"))
                    .limit(1).with_for_update())


def lock_recurring_gift(gift: RecurringGift) -> RecurringGift:
    return db.session.scalars(select(RecurringGift).where(RecurringGift.id == gift.id).with_for_update()
                              .execution_options(populate_existing=True)).one()


def receipt_number_for(donation: Donation) -> str:
    """Unique because the donation id is: R<year in China>-<id, 8 digits>."""
    year = (donation.succeeded_at or utcnow()).astimezone(SHANGHAI).year
    return f"R{year}-{donation.id:08d}"


def _local_campaign_check(campaign: Campaign, team: Team | None = None) -> None:
    """Used only while portal.funds.service.ensure_campaign_accepts_gifts does not exist yet."""
    now = utcnow()
    if campaign.status != LIVE:
        raise DomainError(_("This campaign is not accepting gifts."), code="campaign_not_live")
    if not (campaign.starts_at <= now <= campaign.ends_at):
        raise DomainError(_("This campaign is not accepting gifts at this time."), code="campaign_not_open")
    if team is not None and team.campaign_id != campaign.id:
        raise ValidationFailed(_("Choose a team of this campaign."), field="team")


def ensure_campaign_accepts_gifts(campaign: Campaign, team: Team | None = None) -> None:
    try:
        from portal.funds.service import ensure_campaign_accepts_gifts as funds_check
    except ImportError:
        funds_check = _local_campaign_check
    funds_check(campaign, team)


def clean_donor_name(donor_name: str, display_mode: str) -> tuple[str, str]:
    if display_mode not in DISPLAY_MODES:
        raise ValidationFailed(_("Choose how your name is shown."), field="display_mode")
    donor_name = (donor_name or "").strip()
    if not donor_name:
        raise ValidationFailed(_("Enter the donor's name (it is on the receipt even when the gift is shown "
                                 "as anonymous)."), field="donor_name")
    if len(donor_name) > 80:
        raise ValidationFailed(_("The name is too long (at most 80 characters)."), field="donor_name")
    return donor_name, display_mode


def gift_target(fund: Fund | None, campaign: Campaign | None, team: Team | None) -> Fund:
    if campaign is not None:
        if fund is not None and campaign.fund_id != fund.id:
            raise ValidationFailed(_("Choose a campaign of this fund."), field="campaign")
        fund = campaign.fund
    if fund is None:
        raise ValidationFailed(_("Choose a fund or a campaign to give to."), field="campaign")
    if team is not None and (campaign is None or team.campaign_id != campaign.id):
        raise ValidationFailed(_("Choose a team of this campaign."), field="team")
    if not fund.is_active:
        raise DomainError(_("This fund is not accepting gifts."), code="fund_inactive")
    return fund


# --- giving online ---------------------------------------------------------------------------------

def prepare_gift(donor, *, fund: Fund | None, campaign: Campaign | None, team: Team | None, amount_minor: int,
                 frequency: str, display_mode: str, donor_name: str, message: str, provider_name: str,
                 currency: str = "CNY") -> Donation | RecurringGift:
    """A pending Donation (one-off) or RecurringGift (monthly), created before any provider call.

    A pending gift of the same donor, target, amount and provider from the last half hour is reused,
    so a double-clicked "pay" (or a second tab) ends in one gift and one provider session. The donor's
    row is locked first (FOR NO KEY UPDATE) so two such requests cannot both miss the other's gift.
    """
    if donor is None or not getattr(donor, "is_authenticated", False):
        raise DomainError(_("Sign in to give, so the receipt belongs to you."), code="sign_in")
    provider = get_provider(provider_name)
    if not provider.online:
        raise ValidationFailed(_("Choose a way to pay online."), field="provider")
    amount_minor = check_amount_minor(amount_minor, field="amount")
    currency = check_currency(currency)
    if frequency not in (ONE_OFF, MONTHLY):
        raise ValidationFailed(_("Choose a one-off or a monthly gift."), field="frequency")
    if frequency == MONTHLY and not provider.supports_monthly:
        raise ValidationFailed(_("Monthly giving is not offered with this way to pay. Choose a one-off gift, or "
                                 "another way to pay for a monthly gift."), field="frequency")
    donor_name, display_mode = clean_donor_name(donor_name or donor.display_name, display_mode)
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise ValidationFailed(_("The message is too long (at most %(max)d characters).", max=MAX_MESSAGE),
                               field="message")
    fund = gift_target(fund, campaign, team)
    if campaign is not None:
        if campaign.currency != currency:
            raise ValidationFailed(_("Only Chinese yuan (CNY) is accepted."), field="currency")
        ensure_campaign_accepts_gifts(campaign, team)
    elif fund.currency != currency:
        raise ValidationFailed(_("Only Chinese yuan (CNY) is accepted."), field="currency")

    from portal.accounts.models import User

    # FOR NO KEY UPDATE, not FOR UPDATE: a payment in flight holds key-share locks on its donor's row
    # (foreign-key checks); FOR UPDATE would wait for them while they wait for the gift we reuse below,
    # the deadlock seen under a crowd. The lock order is in portal/core/retry.py.
    db.session.execute(select(User.id).where(User.id == donor.id).with_for_update(key_share=True))
    model = Donation if frequency == ONE_OFF else RecurringGift
    same = [model.donor_id == donor.id, model.fund_id == fund.id, model.amount_minor == amount_minor,
            model.provider == provider.name, model.status == PENDING, model.created_at >= utcnow() - REUSE_WINDOW,
            model.campaign_id.is_(None) if campaign is None else model.campaign_id == campaign.id,
            model.team_id.is_(None) if team is None else model.team_id == team.id]
    if model is Donation:
        same.append(Donation.recurring_gift_id.is_(None))
    # locked and read again: a gift another request is paying right now is no longer pending when that
    # request commits, and is then passed over (PostgreSQL re-checks the WHERE on the locked row)
    existing = db.session.scalar(select(model).where(*same).order_by(model.id.desc()).limit(1).with_for_update()
                                 .execution_options(populate_existing=True))
    if existing is not None:
        # not paid yet: the latest choices of how to appear in public win
        existing.donor_name, existing.display_mode = donor_name, display_mode
        if model is Donation:
            existing.message = message
        db.session.flush()
        return existing

    fields = dict(fund_id=fund.id, campaign_id=getattr(campaign, "id", None), team_id=getattr(team, "id", None),
                  donor_id=donor.id, donor_name=donor_name, display_mode=display_mode, amount_minor=amount_minor,
                  currency=currency, provider=provider.name, status=PENDING)
    if model is Donation:
        gift = Donation(**fields, message=message, frequency=ONE_OFF)
    else:
        gift = RecurringGift(**fields)
    db.session.add(gift)
    db.session.flush()
    audit.record("donation.started" if model is Donation else "recurring_gift.started",
                 "donation" if model is Donation else "recurring_gift", gift.id, actor=donor,
                 after={"amount_minor": amount_minor, "provider": provider.name, "fund_id": fund.id,
                        "campaign_id": gift.campaign_id, "team_id": gift.team_id})
    return gift


def start_checkout(gift: Donation | RecurringGift, success_url: str, cancel_url: str) -> str:
    """Open (or reopen) the provider's checkout for a pending gift; returns where to send the donor."""
    return open_checkout(gift, success_url, cancel_url).url


def open_checkout(gift: Donation | RecurringGift, success_url: str = "", cancel_url: str = "") -> Checkout:
    """The provider's checkout for a pending gift (a redirect, or a QR code for the portal's pay page); a
    repeated call reopens the same one (the providers' order ids are deterministic per gift)."""
    ensure_awaiting_payment(gift)
    provider = get_provider(gift.provider)
    try:
        checkout = provider.start_checkout(gift, success_url, cancel_url)
    except ProviderError as error:
        raise PaymentServiceUnavailable() from error
    if gift.provider_session_id != checkout.session_id:
        gift.provider_session_id = checkout.session_id
        db.session.flush()
    return checkout


# --- money arrives -----------------------------------------------------------------------------------

def mark_donation_succeeded(donation: Donation, actor=None, *, at=None) -> bool:
    """The money is in: status, receipt number, the ledger entry (and matching). False if already done.

    Every gift to a campaign moves the same campaign and fund rows, so they are written last
    (ledger.hot_rows_last): the donation's lock, the reads, the entry, postings and audit records come
    first, and the hot rows are held only from their UPDATE to the commit.
    """
    with ledger.hot_rows_last():
        donation = lock_donation(donation)
        if donation.status in SETTLED:
            return False
        at = at or utcnow()
        closed, pool_open = _campaign_closed(donation, at)
        move_donation(donation, SUCCEEDED)
        donation.succeeded_at = at
        donation.receipt_number = receipt_number_for(donation)
        # one UPDATE with the block's last statements (and a payment id set before), not the ORM's flush
        pipeline.save_columns(donation, Donation.__table__)
        ledger.post_gift(donation, actor=actor, pool_open=pool_open)
        audit.record("donation.succeeded", "donation", donation.id, actor=actor,
                     before={"status": PENDING},
                     after={"status": SUCCEEDED, "amount_minor": donation.amount_minor,
                            "provider": donation.provider, "receipt_number": donation.receipt_number})
        if closed is not None:
            # money that arrives after its campaign stopped taking gifts is recorded, never lost, and noted
            # (on a failed all-or-nothing campaign, `portal campaigns finish-due` gives it back)
            campaign_status, reason = closed
            audit.record("donation.arrived_after_close", "donation", donation.id, actor=actor,
                         after={"campaign_id": donation.campaign_id, "campaign_status": campaign_status,
                                "reason": reason})
    return True


def _campaign_closed(donation: Donation, at) -> tuple[tuple[str, str] | None, bool | None]:
    """((the campaign's status, why) when the donation's campaign no longer takes gifts at `at`, else None;
    whether a matching pool is open then): read (campaign, fund and pools in one statement of plain columns,
    without locks) before the gift moves any cached total."""
    if donation.campaign_id is None:
        return None, None
    with db.session.no_autoflush:  # the donation's changes go in one UPDATE with the block's last statements
        return campaign_gift_check(donation.campaign_id, at)


def flag_donation(donation: Donation, reason: dict) -> None:
    """The provider says something else was paid than what we asked: keep the money out, ask a person."""
    donation = lock_donation(donation)
    if not can_move(donation, DONATION_TRANSITIONS, FLAGGED):
        return
    move_donation(donation, FLAGGED)
    audit.record("donation.flagged", "donation", donation.id, before={"status": PENDING},
                 after={"status": FLAGGED, **reason})


def mark_donation_failed(donation: Donation, status: str = FAILED, reason: str = "") -> bool:
    """A checkout that failed or expired without payment. False when it was not pending any more."""
    donation = lock_donation(donation)
    if not can_move(donation, DONATION_TRANSITIONS, status):
        return False
    move_donation(donation, status)
    audit.record(f"donation.{status}", "donation", donation.id, before={"status": PENDING},
                 after={"status": status, "reason": reason[:200]})
    return True


# --- refunds ---------------------------------------------------------------------------------------

def refundable_minor(donation: Donation) -> int:
    """What can still be refunded: the gift less what is refunded or on its way back."""
    pending = db.session.scalar(select(func.coalesce(func.sum(Refund.amount_minor), 0))
                                .where(Refund.donation_id == donation.id, Refund.status == PENDING))
    return max(0, donation.amount_minor - donation.refunded_minor - pending)


def refund_donation(donation: Donation, amount_minor: int, reason: str, actor) -> Refund:
    """Refund all or part of a gift. Card gifts go through the provider; the ledger entry is posted when
    the provider confirms (at once when its answer says succeeded, else on the charge.refunded webhook)."""
    donation = lock_donation(donation)
    if donation.status == DISPUTED:
        raise IllegalTransition(_("This gift is disputed with the card issuer; it cannot be refunded until the "
                                  "dispute is closed."))
    if not can_move(donation, DONATION_TRANSITIONS, REFUNDED):
        raise IllegalTransition(_("Only a paid gift can be refunded (this one is: %(status)s).",
                                  status=status_label(donation.status)))
    amount_minor = check_amount_minor(amount_minor, field="amount")
    left = refundable_minor(donation)
    if amount_minor > left:
        if left == 0:
            message = _("Nothing is left to refund on this gift: it is already refunded in full (or the rest is "
                        "on its way back).")
        else:
            message = _("At most ¥%(left)s of this gift can still be refunded; ¥%(asked)s is more than that.",
                        left=format_yuan(left), asked=format_yuan(amount_minor))
        raise DomainError(message, field="amount", code="refund_exceeds_gift")
    reason = (reason or "").strip()[:300]
    provider = get_provider(donation.provider)
    refund = Refund(donation_id=donation.id, amount_minor=amount_minor, currency=donation.currency, reason=reason,
                    status=PENDING, requested_by_id=getattr(actor, "id", None))
    db.session.add(refund)
    db.session.flush()
    audit.record("donation.refund_requested", "donation", donation.id, actor=actor,
                 after={"refund_id": refund.id, "amount_minor": amount_minor, "reason": reason})
    try:
        result = provider.refund(donation, refund)
    except ProviderError as error:
        raise PaymentServiceUnavailable() from error
    refund.provider_refund_id = result.provider_refund_id
    if result.status == SUCCEEDED:
        settle_refund(donation, refund, actor)
    elif result.status == FAILED:
        move_refund(refund, FAILED)
        audit.record("donation.refund_failed", "donation", donation.id, actor=actor, after={"refund_id": refund.id})
    db.session.flush()
    return refund


def settle_refund(donation: Donation, refund: Refund, actor=None) -> None:
    """A refund the provider confirmed: the ledger reversal, the donation's refunded total and status."""
    if refund.status == SUCCEEDED:
        return
    move_refund(refund, SUCCEEDED)
    refund.succeeded_at = utcnow()
    db.session.flush()
    ledger.post_refund(donation, refund, actor=actor)
    before = donation.status
    donation.refunded_minor += refund.amount_minor
    if donation.status != DISPUTED:  # a disputed gift stays disputed until the dispute closes
        move_donation(donation, REFUNDED if donation.refunded_minor >= donation.amount_minor else PARTIALLY_REFUNDED)
    db.session.flush()
    audit.record("donation.refunded", "donation", donation.id, actor=actor, before={"status": before},
                 after={"status": donation.status, "refund_id": refund.id, "amount_minor": refund.amount_minor,
                        "refunded_minor": donation.refunded_minor})


# --- monthly gifts -----------------------------------------------------------------------------------

def activate_recurring_gift(gift: RecurringGift, subscription_id: str | None, customer_id: str | None) -> bool:
    gift = lock_recurring_gift(gift)
    if subscription_id and not gift.provider_subscription_id:
        gift.provider_subscription_id = subscription_id
    if customer_id and not gift.provider_customer_id:
        gift.provider_customer_id = customer_id
    if not can_move(gift, RECURRING_TRANSITIONS, ACTIVE):
        return False
    move_recurring_gift(gift, ACTIVE)
    audit.record("recurring_gift.activated", "recurring_gift", gift.id, before={"status": PENDING},
                 after={"status": ACTIVE, "subscription": gift.provider_subscription_id})
    return True


def end_recurring_gift(gift: RecurringGift, status: str, actor=None, reason: str = "") -> bool:
    """Cancelled (by the donor or the provider) or failed (the first payment never came)."""
    gift = lock_recurring_gift(gift)
    if not can_move(gift, RECURRING_TRANSITIONS, status):
        return False
    before = move_recurring_gift(gift, status)
    if status == CANCELLED:
        gift.cancelled_at = utcnow()
    audit.record(f"recurring_gift.{status}", "recurring_gift", gift.id, actor=actor, before={"status": before},
                 after={"status": status, "reason": reason[:200]})
    return True


def cancel_recurring_gift(gift: RecurringGift, actor) -> RecurringGift:
    """The donor stops a monthly gift: the provider's subscription is cancelled first."""
    gift = lock_recurring_gift(gift)
    if not can_move(gift, RECURRING_TRANSITIONS, CANCELLED):
        raise IllegalTransition(_("This monthly gift is already stopped."))
    provider = get_provider(gift.provider)
    try:
        provider.cancel_subscription(gift)
    except ProviderError as error:
        raise PaymentServiceUnavailable() from error
    end_recurring_gift(gift, CANCELLED, actor=actor, reason="cancelled by the donor")
    return gift


def cancel_recurring_gifts_for_campaign(campaign: Campaign, actor=None) -> int:
    """For the funds lifecycle: a finished campaign takes no more monthly gifts."""
    gifts = db.session.scalars(select(RecurringGift).where(RecurringGift.campaign_id == campaign.id,
                                                           RecurringGift.status.in_((PENDING, ACTIVE)))).all()
    for gift in gifts:
        cancel_recurring_gift(gift, actor)
    return len(gifts)


def record_cycle(gift: RecurringGift, invoice_id: str, amount_minor: int, currency: str,
                 payment_id: str | None, at=None) -> tuple[Donation, bool]:
    """One paid monthly invoice becomes its own Donation (unique per invoice). Returns (donation, credited)."""
    gift = lock_recurring_gift(gift)
    existing = db.session.scalar(select(Donation).where(Donation.provider == gift.provider,
                                                        Donation.provider_invoice_id == invoice_id))
    if existing is not None:
        return existing, False
    donation = Donation(fund_id=gift.fund_id, campaign_id=gift.campaign_id, team_id=gift.team_id,
                        donor_id=gift.donor_id, donor_name=gift.donor_name, display_mode=gift.display_mode,
                        amount_minor=gift.amount_minor, currency=gift.currency, provider=gift.provider,
                        frequency=MONTHLY, status=PENDING, recurring_gift_id=gift.id,
                        provider_invoice_id=invoice_id, provider_payment_id=payment_id)
    db.session.add(donation)
    db.session.flush()
    if amount_minor != gift.amount_minor or (currency or "").upper() != gift.currency:
        flag_donation(donation, {"expected_minor": gift.amount_minor, "paid_minor": amount_minor,
                                 "expected_currency": gift.currency, "paid_currency": currency})
        return donation, False
    return donation, mark_donation_succeeded(donation, at=at)


# --- expiry of abandoned checkouts -------------------------------------------------------------------

def expire_stale_pending(older_than: timedelta = timedelta(days=2)) -> int:
    """Sandbox or Stripe checkouts left pending for days (Stripe's sessions expire after 24 hours)."""
    cutoff = utcnow() - older_than
    stale = db.session.scalars(select(Donation).where(Donation.status == PENDING, Donation.provider != OFFLINE,
                                                      Donation.created_at < cutoff)).all()
    count = 0
    for donation in stale:
        count += mark_donation_failed(donation, EXPIRED, "checkout abandoned")
    return count


def pseudonymise_donor(user) -> int:
    """Account erasure: the gifts stay in the ledger, shown as anonymous, without the person's name.

    Refused while a monthly gift still runs, so nobody keeps being charged for an erased account.
    """
    running = db.session.scalar(select(func.count()).select_from(RecurringGift).where(
        RecurringGift.donor_id == user.id, RecurringGift.status.in_((PENDING, ACTIVE))))
    if running:
        raise DomainError(_("Cancel your monthly gifts (My giving) before erasing the account."))
    pseudonym = f"#{user.id}"
    changed = db.session.execute(update(Donation).where(Donation.donor_id == user.id).values(
        donor_name=pseudonym, display_mode=ANONYMOUS, message="")).rowcount
    db.session.execute(update(RecurringGift).where(RecurringGift.donor_id == user.id).values(
        donor_name=pseudonym, display_mode=ANONYMOUS))
    ledger.forget_named_tallies(user.id)  # anonymous now, so off the members' leaderboard
    return changed
