"""The person's gifts in their personal-data download; on erasure the gifts stay in the ledger, pseudonymised."""
from sqlalchemy import select

from portal.accounts.personal_data import PersonalDataPart, register, rows
from portal.payments.models import Donation, RecurringGift
from portal.payments.service import pseudonymise_donor


def export(user) -> dict:
    return {
        "donations": rows(select(Donation).where(Donation.donor_id == user.id).order_by(Donation.id),
                          "id", "fund_id", "campaign_id", "team_id", "amount_minor", "refunded_minor", "currency",
                          "status", "donor_name", "display_mode", "message", "receipt_number", "created_at"),
        "monthly_gifts": rows(select(RecurringGift).where(RecurringGift.donor_id == user.id),
                              "id", "fund_id", "campaign_id", "amount_minor", "status", "created_at"),
    }


register(PersonalDataPart("payments", export, erase=pseudonymise_donor))  # refuses while a monthly gift runs
