"""Procurement and contract datasets: one SQL statement each, shaped into a pandas DataFrame.

They feed the red flags (analytics/redflags.py) and contractor performance (analytics/contractors.py). Bids are
read only through what the opening made public to the buyer: their status and `opened_price_minor`; the
sealed content (`bids.sealed_content`) has no handle here at all, so no statement can select it. Drafts are
left out everywhere. Every statement takes a SQLAlchemy Connection or Session.
"""
import pandas as pd
from sqlalchemy import BigInteger, Date, DateTime, Float, Integer, String, column, func, select, table

# --- lightweight handles (no models: analytics stays free of Flask and the app) ------------------------------
departments = table("departments", column("id", Integer), column("name", String))
organisations = table("organisations", column("id", Integer), column("name", String), column("status", String))
catalogue_items = table("catalogue_items", column("id", Integer), column("category", String))
calls = table("calls", column("id", Integer), column("reference", String), column("title", String),
              column("department_id", Integer), column("mode", String), column("category", String),
              column("status", String), column("published_at", DateTime), column("bids_until", DateTime),
              column("opened_at", DateTime))
bids = table("bids", column("id", Integer), column("call_id", Integer), column("lot_id", Integer),
             column("organisation_id", Integer), column("status", String),
             column("opened_price_minor", BigInteger))  # never sealed_content
low_price_reviews = table("low_price_reviews", column("bid_id", Integer), column("status", String))
awards = table("awards", column("id", Integer), column("call_id", Integer), column("lot_id", Integer),
               column("bid_id", Integer), column("total_score", Float), column("amount_minor", BigInteger),
               column("decided_at", DateTime), column("cancelled_at", DateTime))
contracts = table("contracts", column("id", Integer), column("reference", String), column("title", String),
                  column("call_id", Integer), column("department_id", Integer), column("organisation_id", Integer),
                  column("status", String), column("original_value_minor", BigInteger),
                  column("value_minor", BigInteger), column("paid_minor", BigInteger), column("signed_at", DateTime))
contract_lines = table("contract_lines", column("id", Integer), column("contract_id", Integer),
                       column("catalogue_item_id", Integer), column("unit_price_minor", BigInteger),
                       column("quantity", Integer))
milestones = table("milestones", column("id", Integer), column("contract_id", Integer), column("number", Integer),
                   column("due_on", Date))
amendments = table("contract_amendments", column("id", Integer), column("contract_id", Integer),
                   column("number", Integer), column("value_change_minor", BigInteger), column("status", String),
                   column("proposed_at", DateTime), column("approved_at", DateTime))
payments = table("contract_payments", column("id", Integer), column("contract_id", Integer),
                 column("milestone_id", Integer), column("amount_minor", BigInteger), column("status", String),
                 column("decided_at", DateTime))
reports = table("delivery_reports", column("id", Integer), column("contract_id", Integer),
                column("milestone_id", Integer), column("status", String), column("submitted_at", DateTime),
                column("verified_at", DateTime))
report_lines = table("report_lines", column("report_id", Integer), column("contract_line_id", Integer),
                     column("units", Integer))
samples = table("samples", column("id", Integer), column("contract_id", Integer))
sample_items = table("sample_items", column("sample_id", Integer), column("answer", String))
scope_requests = table("scope_requests", column("id", Integer), column("contract_id", Integer),
                       column("department_id", Integer), column("contract_line_id", Integer),
                       column("requested_on", Date))
evaluations = table("contract_evaluations", column("id", Integer), column("contract_id", Integer),
                    column("organisation_id", Integer), column("overall", Float), column("evaluator_role", String),
                    column("final_at", DateTime), column("rebuttal", String))

# the same codes as portal.procurement.models / portal.contracts.models (analytics cannot import them)
OPENED_BID_STATUSES = ("valid", "disqualified")
IN_FORCE, APPROVED, VERIFIED, CONFIRMED = "in_force", "approved", "verified", "confirmed"


def _frame(connection, statement, dates=(), whole=()) -> pd.DataFrame:
    result = connection.execute(statement)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    for name in dates:
        frame[name] = pd.to_datetime(frame[name], utc=True) if not frame.empty else pd.Series(
            dtype="datetime64[ns, UTC]")
    for name in whole:
        frame[name] = frame[name].fillna(0).astype("int64") if not frame.empty else pd.Series(dtype="int64")
    return frame


def call_frame(connection) -> pd.DataFrame:
    """Every call past its draft: id, reference, title, department_id, department, mode, category, status,
    published_at, bids_until, opened_at, tenderers (opened bids: valid or disqualified; 0 before the opening)."""
    tenderers = (select(bids.c.call_id, func.count(func.distinct(bids.c.organisation_id)).label("tenderers"))
                 .where(bids.c.status.in_(OPENED_BID_STATUSES)).group_by(bids.c.call_id).subquery("tenderers"))
    statement = (select(calls.c.id, calls.c.reference, calls.c.title, calls.c.department_id,
                        departments.c.name.label("department"), calls.c.mode, calls.c.category, calls.c.status,
                        calls.c.published_at, calls.c.bids_until, calls.c.opened_at,
                        func.coalesce(tenderers.c.tenderers, 0).label("tenderers"))
                 .select_from(calls.join(departments, departments.c.id == calls.c.department_id)
                              .outerjoin(tenderers, tenderers.c.call_id == calls.c.id))
                 .where(calls.c.status != "draft").order_by(calls.c.id))
    return _frame(connection, statement, dates=("published_at", "bids_until", "opened_at"), whole=("tenderers",))


def opened_bid_frame(connection) -> pd.DataFrame:
    """Opened bids only (valid or disqualified): id, call_id, lot_id, organisation_id, status, opened_price_minor."""
    statement = (select(bids.c.id, bids.c.call_id, bids.c.lot_id, bids.c.organisation_id, bids.c.status,
                        bids.c.opened_price_minor)
                 .where(bids.c.status.in_(OPENED_BID_STATUSES)).order_by(bids.c.id))
    return _frame(connection, statement)


def award_frame(connection) -> pd.DataFrame:
    """Awards in force (not cancelled): id, call_id, reference, lot_id, bid_id, organisation_id, organisation,
    amount_minor, total_score, decided_at, department_id, department, mode, category, and low_price_status (the
    abnormally-low-price review of the winning bid, flagged at the opening; None when it was not flagged)."""
    statement = (select(awards.c.id, awards.c.call_id, calls.c.reference, awards.c.lot_id, awards.c.bid_id,
                        bids.c.organisation_id, organisations.c.name.label("organisation"), awards.c.amount_minor,
                        awards.c.total_score, awards.c.decided_at, calls.c.department_id,
                        departments.c.name.label("department"), calls.c.mode, calls.c.category,
                        low_price_reviews.c.status.label("low_price_status"))
                 .select_from(awards.join(calls, calls.c.id == awards.c.call_id)
                              .join(bids, bids.c.id == awards.c.bid_id)
                              .join(organisations, organisations.c.id == bids.c.organisation_id)
                              .join(departments, departments.c.id == calls.c.department_id)
                              .outerjoin(low_price_reviews, low_price_reviews.c.bid_id == awards.c.bid_id))
                 .where(awards.c.cancelled_at.is_(None)).order_by(awards.c.decided_at, awards.c.id))
    return _frame(connection, statement, dates=("decided_at",), whole=("amount_minor",))


def contract_frame(connection) -> pd.DataFrame:
    """Every contract: id, reference, title, call_id, department_id, department, organisation_id, organisation,
    organisation_status, category (the call's, else the catalogue category of its lines), status,
    original_value_minor, value_minor, paid_minor, signed_at, contracted_units (sum of its lines' quantities)."""
    line_category = (select(contract_lines.c.contract_id, func.min(catalogue_items.c.category).label("category"))
                     .join(catalogue_items, catalogue_items.c.id == contract_lines.c.catalogue_item_id)
                     .group_by(contract_lines.c.contract_id).subquery("line_category"))
    units = (select(contract_lines.c.contract_id, func.sum(contract_lines.c.quantity).label("contracted_units"))
             .group_by(contract_lines.c.contract_id).subquery("units"))
    statement = (select(contracts.c.id, contracts.c.reference, contracts.c.title, contracts.c.call_id,
                        contracts.c.department_id, departments.c.name.label("department"),
                        contracts.c.organisation_id, organisations.c.name.label("organisation"),
                        organisations.c.status.label("organisation_status"),
                        func.coalesce(calls.c.category, line_category.c.category, "other").label("category"),
                        contracts.c.status, contracts.c.original_value_minor, contracts.c.value_minor,
                        contracts.c.paid_minor, contracts.c.signed_at,
                        func.coalesce(units.c.contracted_units, 0).label("contracted_units"))
                 .select_from(contracts.join(departments, departments.c.id == contracts.c.department_id)
                              .join(organisations, organisations.c.id == contracts.c.organisation_id)
                              .outerjoin(calls, calls.c.id == contracts.c.call_id)
                              .outerjoin(line_category, line_category.c.contract_id == contracts.c.id)
                              .outerjoin(units, units.c.contract_id == contracts.c.id))
                 .order_by(contracts.c.id))
    return _frame(connection, statement, dates=("signed_at",),
                  whole=("original_value_minor", "value_minor", "paid_minor", "contracted_units"))


def amendment_frame(connection) -> pd.DataFrame:
    """Amendments: id, contract_id, number, value_change_minor, status, effective_at (approval, else proposal)."""
    statement = (select(amendments.c.id, amendments.c.contract_id, amendments.c.number,
                        amendments.c.value_change_minor, amendments.c.status,
                        func.coalesce(amendments.c.approved_at, amendments.c.proposed_at).label("effective_at"))
                 .order_by(amendments.c.contract_id, amendments.c.number))
    return _frame(connection, statement, dates=("effective_at",), whole=("value_change_minor",))


def payment_frame(connection) -> pd.DataFrame:
    """Approved (paid) contract payments: id, contract_id, milestone_id, amount_minor, decided_at."""
    statement = (select(payments.c.id, payments.c.contract_id, payments.c.milestone_id, payments.c.amount_minor,
                        payments.c.decided_at)
                 .where(payments.c.status == APPROVED).order_by(payments.c.decided_at, payments.c.id))
    return _frame(connection, statement, dates=("decided_at",), whole=("amount_minor",))


def delivery_frame(connection) -> pd.DataFrame:
    """One row per delivery report: id, contract_id, milestone_id, status, submitted_at, verified_at, units (the
    units it reports) and value_minor (those units x their lines' unit prices)."""
    statement = (select(reports.c.id, reports.c.contract_id, reports.c.milestone_id, reports.c.status,
                        reports.c.submitted_at, reports.c.verified_at,
                        func.coalesce(func.sum(report_lines.c.units), 0).label("units"),
                        func.coalesce(func.sum(report_lines.c.units * contract_lines.c.unit_price_minor), 0)
                        .label("value_minor"))
                 .select_from(reports.outerjoin(report_lines, report_lines.c.report_id == reports.c.id)
                              .outerjoin(contract_lines, contract_lines.c.id == report_lines.c.contract_line_id))
                 .group_by(reports.c.id, reports.c.contract_id, reports.c.milestone_id, reports.c.status,
                           reports.c.submitted_at, reports.c.verified_at)
                 .order_by(reports.c.id))
    return _frame(connection, statement, dates=("submitted_at", "verified_at"), whole=("units", "value_minor"))


def milestone_frame(connection) -> pd.DataFrame:
    """Milestones: id, contract_id, number, due_on (a date), first_report_at (the first report submitted for it,
    whatever became of it; None without one)."""
    first = (select(reports.c.milestone_id, func.min(reports.c.submitted_at).label("first_report_at"))
             .group_by(reports.c.milestone_id).subquery("first_report"))
    statement = (select(milestones.c.id, milestones.c.contract_id, milestones.c.number, milestones.c.due_on,
                        first.c.first_report_at)
                 .select_from(milestones.outerjoin(first, first.c.milestone_id == milestones.c.id))
                 .order_by(milestones.c.contract_id, milestones.c.number))
    frame = _frame(connection, statement, dates=("first_report_at",))
    frame["due_on"] = pd.to_datetime(frame["due_on"]).dt.date if not frame.empty else pd.Series(dtype="object")
    return frame


def sample_answer_frame(connection) -> pd.DataFrame:
    """Residents' answers to delivery samples, per contract: contract_id, answered, confirmed."""
    statement = (select(samples.c.contract_id,
                        func.count(sample_items.c.answer).label("answered"),
                        func.sum(func.coalesce((sample_items.c.answer == CONFIRMED).cast(Integer), 0))
                        .label("confirmed"))
                 .select_from(samples.join(sample_items, sample_items.c.sample_id == samples.c.id))
                 .group_by(samples.c.contract_id).order_by(samples.c.contract_id))
    return _frame(connection, statement, whole=("answered", "confirmed"))


def scope_request_frame(connection) -> pd.DataFrame:
    """The scope ledger: id, contract_id, department_id, department, in_scope (cites a contract line),
    requested_on (a date)."""
    statement = (select(scope_requests.c.id, scope_requests.c.contract_id, scope_requests.c.department_id,
                        departments.c.name.label("department"),
                        scope_requests.c.contract_line_id.is_not(None).label("in_scope"),
                        scope_requests.c.requested_on)
                 .select_from(scope_requests.join(departments, departments.c.id == scope_requests.c.department_id))
                 .order_by(scope_requests.c.id))
    frame = _frame(connection, statement)
    if not frame.empty:
        frame["in_scope"] = frame["in_scope"].astype(bool)
        frame["requested_on"] = pd.to_datetime(frame["requested_on"]).dt.date
    return frame


def final_evaluation_frame(connection) -> pd.DataFrame:
    """Final evaluations (past their rebuttal window): id, contract_id, organisation_id, overall (the mean of
    the five rated areas, 1-5), evaluator_role, final_at, rebutted."""
    statement = (select(evaluations.c.id, evaluations.c.contract_id, evaluations.c.organisation_id,
                        evaluations.c.overall, evaluations.c.evaluator_role, evaluations.c.final_at,
                        evaluations.c.rebuttal.is_not(None).label("rebutted"))
                 .where(evaluations.c.final_at.is_not(None))
                 .order_by(evaluations.c.final_at, evaluations.c.id))
    frame = _frame(connection, statement, dates=("final_at",))
    if not frame.empty:
        frame["overall"] = frame["overall"].astype("float64")
        frame["rebutted"] = frame["rebutted"].astype(bool)
    return frame

