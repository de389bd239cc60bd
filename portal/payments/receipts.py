"""What donors and treasurers read: a donor's gifts, monthly gifts, teams, yearly totals and statements."""
import csv
import io
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from portal.core.money import format_yuan
from portal.extensions import db
from portal.funds.models import Team, TeamMember
from portal.payments.models import (
    OFFLINE,
    PARTIALLY_REFUNDED,
    PENDING,
    PROVIDERS,
    REFUNDED,
    SUCCEEDED,
    Dispute,
    Donation,
    RecurringGift,
)
from portal.payments.service import SHANGHAI, status_label

# Gifts that count in a statement: what arrived, less what went back. (A disputed gift's money was
# pulled back by the card issuer, so it does not count while disputed.)
COUNTED = (SUCCEEDED, PARTIALLY_REFUNDED, REFUNDED)


def _with_targets(statement):
    return statement.options(joinedload(Donation.fund), joinedload(Donation.campaign), joinedload(Donation.team))


def donations_query(user):
    """A donor's gifts, newest first (for paginate())."""
    return (_with_targets(select(Donation)).where(Donation.donor_id == user.id)
            .order_by(Donation.created_at.desc(), Donation.id.desc()))


def counted_donations_of(user) -> list[Donation]:
    return list(db.session.scalars(select(Donation).where(Donation.donor_id == user.id,
                                                          Donation.status.in_(COUNTED))))


def recurring_gifts_of(user) -> list[RecurringGift]:
    return list(db.session.scalars(
        select(RecurringGift).options(joinedload(RecurringGift.fund), joinedload(RecurringGift.campaign))
        .where(RecurringGift.donor_id == user.id)
        .order_by(case((RecurringGift.status == "active", 0), (RecurringGift.status == PENDING, 1), else_=2),
                  RecurringGift.created_at.desc())))


def cycles_of(gift: RecurringGift) -> list[Donation]:
    return list(db.session.scalars(select(Donation).where(Donation.recurring_gift_id == gift.id)
                                   .order_by(Donation.created_at.desc(), Donation.id.desc())))


def teams_of(user) -> list[Team]:
    return list(db.session.scalars(select(Team).options(joinedload(Team.campaign))
                                   .join(TeamMember, TeamMember.team_id == Team.id)
                                   .where(TeamMember.user_id == user.id).order_by(TeamMember.joined_at.desc())))


def disputes_of(donation: Donation) -> list[Dispute]:
    return list(db.session.scalars(select(Dispute).where(Dispute.donation_id == donation.id).order_by(Dispute.id)))


def offline_gifts_of(fund, limit: int = 50) -> list[Donation]:
    """Pending offline gifts first (oldest first: they wait longest), then the latest decided ones."""
    base = _with_targets(select(Donation)).options(joinedload(Donation.recorded_by), joinedload(Donation.confirmed_by))
    pending = list(db.session.scalars(base.where(Donation.fund_id == fund.id, Donation.provider == OFFLINE,
                                                 Donation.status == PENDING).order_by(Donation.created_at)))
    decided = list(db.session.scalars(base.where(Donation.fund_id == fund.id, Donation.provider == OFFLINE,
                                                 Donation.status != PENDING)
                                      .order_by(Donation.created_at.desc()).limit(limit)))
    return pending + decided


# --- yearly statements -----------------------------------------------------------------------------

def gift_year(donation: Donation) -> int | None:
    return donation.succeeded_at.astimezone(SHANGHAI).year if donation.succeeded_at else None


def counted_minor(donation: Donation) -> int:
    return donation.amount_minor - donation.refunded_minor if donation.status in COUNTED else 0


@dataclass
class YearTotal:
    year: int
    total_minor: int
    count: int


def yearly_totals(donations: list[Donation]) -> list[YearTotal]:
    years: dict[int, YearTotal] = {}
    for donation in donations:
        if donation.status not in COUNTED or counted_minor(donation) <= 0:
            continue
        year = gift_year(donation)
        row = years.setdefault(year, YearTotal(year, 0, 0))
        row.total_minor += counted_minor(donation)
        row.count += 1
    return sorted(years.values(), key=lambda row: row.year, reverse=True)


def statement(user, year: int) -> tuple[list[Donation], int]:
    """The gifts that count for `year` (China time) and their total, oldest first."""
    rows = [donation for donation in db.session.scalars(
        _with_targets(select(Donation)).where(Donation.donor_id == user.id, Donation.status.in_(COUNTED))
        .order_by(Donation.succeeded_at, Donation.id))
        if gift_year(donation) == year and counted_minor(donation) > 0]
    return rows, sum(counted_minor(donation) for donation in rows)


def _cell(value) -> str:
    """Text a spreadsheet would run as a formula is kept as text."""
    value = str(value or "")
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def statement_csv(user, year: int) -> str:
    rows, total = statement(user, year)
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese text correctly only with the BOM
    writer = csv.writer(out)
    writer.writerow([_("Date"), _("Receipt number"), _("Fund"), _("Campaign"), _("Team"), _("Paid with"),
                     _("Status"), _("Amount (yuan)"), _("Refunded (yuan)"), _("Counted (yuan)")])
    for donation in rows:
        writer.writerow([donation.succeeded_at.astimezone(SHANGHAI).date().isoformat(), donation.receipt_number,
                         _cell(donation.fund.name), _cell(donation.campaign.title if donation.campaign else ""),
                         _cell(donation.team.name if donation.team else ""), str(PROVIDERS.get(donation.provider, "")),
                         status_label(donation.status), format_yuan(donation.amount_minor),
                         format_yuan(donation.refunded_minor), format_yuan(counted_minor(donation))])
    writer.writerow([_("Total"), "", "", "", "", "", "", "", "", format_yuan(total)])
    return out.getvalue()
