"""CSV and XLSX exports of the public tables: calls, awards, contracts, payments.

Built from the same public facts as the OCDS packages (portal/opendata/queries.py), so a sealed bid never
reaches a table either. Money is in yuan as exact Decimals (fen / 100). Every text cell that a spreadsheet
would run as a formula (starting with = + - @, a tab or a carriage return) is prefixed with a quote, in the
CSV and in the XLSX alike (openpyxl stores a string starting with "=" as a formula).
"""
import csv
import io
from decimal import Decimal

from portal.extensions import db
from portal.opendata import queries
from portal.opendata.ocds import TENDER_STATUS, ocid_of, when

TABLES = ("calls", "awards", "contracts", "payments")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = {
    "calls": ("ocid", "reference", "title", "department", "place", "mode", "category", "status", "tender_status",
              "currency", "budget_cap", "published_at", "questions_until", "bids_until", "opened_at",
              "number_of_tenderers", "awarded_at", "confirmed_at"),
    "awards": ("ocid", "call_reference", "award_id", "lot_number", "lot_title", "supplier", "supplier_uscc",
               "currency", "amount", "total_score", "status", "decided_at", "cancelled_at"),
    "contracts": ("ocid", "reference", "call_reference", "title", "department", "supplier", "supplier_uscc",
                  "status", "currency", "original_value", "value", "paid", "signed_at", "starts_on", "ends_on"),
    "payments": ("ocid", "contract_reference", "payment_id", "milestone_id", "payer", "payee", "payee_uscc",
                 "currency", "amount", "approved_at"),
}


def yuan(minor: int) -> Decimal:
    return Decimal(int(minor)).scaleb(-2)


def safe_text(text: str) -> str:
    """A text cell a spreadsheet shows as text, never runs."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _award_status(award, call) -> str:
    if award.cancelled_at is not None:
        return "cancelled"
    return "active" if call.status in ("confirmed", "contracted") else "pending"


def rows(table: str) -> list[tuple]:
    """The table's rows (values typed: str, int, float, Decimal or None), in a fixed number of queries."""
    datas = queries.call_data(list(db.session.scalars(queries.public_call_ids_query())))
    found = []
    for data in datas:
        call, ocid = data.call, ocid_of(data.call.id)
        if table == "calls":
            found.append((ocid, call.reference, call.title, call.department.name, call.place.name, call.mode,
                          call.category, call.status, TENDER_STATUS.get(call.status), call.currency,
                          yuan(call.budget_cap_minor), when(call.published_at), when(call.questions_until),
                          when(call.bids_until), when(call.opened_at), data.tenderers, when(call.awarded_at),
                          when(call.confirmed_at)))
        elif table == "awards":
            for award in data.awards:
                organisation = award.bid.organisation
                found.append((ocid, call.reference, f"award-{award.id}", award.lot.number, award.lot.title,
                              organisation.name, organisation.credit_code, call.currency, yuan(award.amount_minor),
                              award.total_score, _award_status(award, call), when(award.decided_at),
                              when(award.cancelled_at)))
        elif table == "contracts":
            for contract in data.contracts:
                found.append((ocid, contract.reference, call.reference, contract.title, call.department.name,
                              contract.organisation.name, contract.organisation.credit_code, contract.status,
                              contract.currency, yuan(contract.original_value_minor), yuan(contract.value_minor),
                              yuan(contract.paid_minor), when(contract.signed_at),
                              contract.starts_on.isoformat() if contract.starts_on else None,
                              contract.ends_on.isoformat() if contract.ends_on else None))
        elif table == "payments":
            for contract in data.contracts:
                for payment in data.payments.get(contract.id, []):
                    found.append((ocid, contract.reference, f"payment-{payment.id}",
                                  f"milestone-{payment.milestone_id}", call.department.name, contract.organisation.name,
                                  contract.organisation.credit_code, contract.currency,
                                  yuan(payment.amount_minor), when(payment.decided_at)))
    return found


def _cell(item):
    if item is None:
        return ""
    if isinstance(item, str):
        return safe_text(item)
    return item


def as_csv(table: str) -> str:
    """UTF-8 CSV with a byte-order mark, so a spreadsheet opens the Chinese text right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(COLUMNS[table])
    for row in rows(table):
        writer.writerow([_cell(item) for item in row])
    return out.getvalue()


def as_xlsx(table: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(table)
    sheet.append(list(COLUMNS[table]))
    for row in rows(table):
        sheet.append([None if item is None else _cell(item) for item in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
