"""Contracts paid by verified delivery (issue 12): a contract from an award or a direct grant, its deliverable
lines and payment milestones, delivery reports verified by a community worker or official, residents sampled
to confirm the service happened, the scope ledger against internalisation (内部化), payments posted on the one
double-entry ledger, amendments, the final evaluation with a rebuttal window.

Money is integer minor units (fen). Shares are basis points (10000 = 100%) and quality factors are per mille
(1000 = 1.0), so every payable amount is whole-number arithmetic (portal/contracts/payable.py).
"""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db

# --- contracts -----------------------------------------------------------------------------------------
ACTIVE, COMPLETED, CLOSED, TERMINATED = "active", "completed", "closed", "terminated"
CONTRACT_STATUSES = {ACTIVE: _l("Active"), COMPLETED: _l("Delivered (final evaluation)"), CLOSED: _l("Closed"),
                     TERMINATED: _l("Terminated")}

# The published quality-factor table: a milestone's acceptance rating (1-5) -> the share of verified value paid
# (per mille). Stored on each contract when it is signed, so a later change of the default never reaches it.
DEFAULT_QUALITY_FACTORS = {"5": 1000, "4": 1000, "3": 900, "2": 700, "1": 0}
SECOND_OFFICIAL_SHARE_BP = 1500  # an amendment moving the value by more than 15% needs a second official


class Contract(db.Model):
    __tablename__ = "contracts"
    __table_args__ = (CheckConstraint("original_value_minor > 0", name="original_value_positive"),
                      CheckConstraint("paid_minor >= 0", name="paid_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    award_id: Mapped[int | None] = mapped_column(ForeignKey("awards.id"), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    # the results framework: the bid's indicators live on a service project of the organisation
    project_id: Mapped[int | None] = mapped_column(ForeignKey("service_projects.id"))
    title: Mapped[str] = mapped_column(String(160))
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE, index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    original_value_minor: Mapped[int] = mapped_column(BigInteger)
    value_minor: Mapped[int] = mapped_column(BigInteger)  # after amendments in force
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # cache of ledger postings; reconcile proves it
    quality_factors: Mapped[dict] = mapped_column(db.JSON, default=lambda: dict(DEFAULT_QUALITY_FACTORS))
    starts_on = mapped_column(Date)
    ends_on = mapped_column(Date)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at = mapped_column(UTCDateTime(), default=utcnow)
    completed_at = mapped_column(UTCDateTime())
    closed_at = mapped_column(UTCDateTime())
    termination_reason: Mapped[str | None] = mapped_column(Text)

    department = relationship("Department")
    organisation = relationship("Organisation")
    place = relationship("Place")
    call = relationship("Call")
    lines: Mapped[list["ContractLine"]] = relationship(back_populates="contract", order_by="ContractLine.id")
    milestones: Mapped[list["Milestone"]] = relationship(back_populates="contract", order_by="Milestone.number")


class ContractLine(db.Model):
    """A deliverable: a catalogue item bought at a unit price, a quantity and a quality standard."""
    __tablename__ = "contract_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="line_quantity_positive"),
                      CheckConstraint("unit_price_minor > 0", name="unit_price_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    catalogue_item_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_items.id"))
    name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(16))
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int]
    quality_standard: Mapped[str] = mapped_column(Text, default="")

    contract: Mapped[Contract] = relationship(back_populates="lines")


PENDING, ACCEPTED, PAID = "pending", "accepted", "paid"
MILESTONE_STATUSES = {PENDING: _l("Pending"), ACCEPTED: _l("Accepted"), PAID: _l("Paid")}


class Milestone(db.Model):
    """A payment milestone: the delivery verified in its period is paid at its acceptance rating's factor."""
    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("contract_id", "number", name="uq_milestones_number"),
                      CheckConstraint("share_bp > 0 AND share_bp <= 10000", name="share_range"),
                      CheckConstraint("acceptance_rating IS NULL OR (acceptance_rating >= 1 AND "
                                      "acceptance_rating <= 5)", name="rating_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(160))
    due_on = mapped_column(Date)
    share_bp: Mapped[int]  # the share of the contract value this milestone can pay at most
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    acceptance_rating: Mapped[int | None]
    acceptance_note: Mapped[str | None] = mapped_column(Text)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at = mapped_column(UTCDateTime())

    contract: Mapped[Contract] = relationship(back_populates="milestones")


# --- amendments ----------------------------------------------------------------------------------------
PROPOSED, IN_FORCE, REFUSED = "proposed", "in_force", "refused"
AMENDMENT_STATUSES = {PROPOSED: _l("Awaiting a second official"), IN_FORCE: _l("In force"), REFUSED: _l("Refused")}


class ContractAmendment(db.Model):
    """A recorded change with its rationale; the running total against the original value is public."""
    __tablename__ = "contract_amendments"
    __table_args__ = (UniqueConstraint("contract_id", "number", name="uq_contract_amendments_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    number: Mapped[int]
    rationale: Mapped[str] = mapped_column(Text)
    value_change_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    changes: Mapped[dict] = mapped_column(db.JSON, default=dict)  # what changed: field -> [before, after]
    status: Mapped[str] = mapped_column(String(16), default=IN_FORCE)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at = mapped_column(UTCDateTime(), default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at = mapped_column(UTCDateTime())


# --- delivery reports ----------------------------------------------------------------------------------
SUBMITTED, VERIFIED, RETURNED = "submitted", "verified", "returned"
REPORT_STATUSES = {SUBMITTED: _l("Awaiting verification"), VERIFIED: lazy_pgettext("delivery report", "Verified"),
                   RETURNED: _l("Returned")}


class DeliveryReport(db.Model):
    """The contractor's report of units delivered in a period, for a milestone; only a verified report counts."""
    __tablename__ = "delivery_reports"
    __table_args__ = (Index("ix_delivery_reports_contract_status", "contract_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id"), index=True)
    period_start = mapped_column(Date)
    period_end = mapped_column(Date)
    narrative: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=SUBMITTED)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at = mapped_column(UTCDateTime(), default=utcnow)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at = mapped_column(UTCDateTime())
    return_reason: Mapped[str | None] = mapped_column(Text)

    lines: Mapped[list["ReportLine"]] = relationship(back_populates="report", order_by="ReportLine.id")
    contract = relationship("Contract")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    verified_by = relationship("User", foreign_keys=[verified_by_id])
    evidence: Mapped[list["DeliveryEvidence"]] = relationship(order_by="DeliveryEvidence.id")
    records: Mapped[list["ServiceRecord"]] = relationship(order_by="ServiceRecord.id")
    sample = relationship("Sample", uselist=False, viewonly=True)


class ReportLine(db.Model):
    """Units of one contract line reported delivered, and (after sampling) the units residents confirmed."""
    __tablename__ = "report_lines"
    __table_args__ = (UniqueConstraint("report_id", "contract_line_id", name="uq_report_lines"),
                      CheckConstraint("units >= 0", name="units_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("delivery_reports.id"), index=True)
    contract_line_id: Mapped[int] = mapped_column(ForeignKey("contract_lines.id"))
    units: Mapped[int]

    report: Mapped[DeliveryReport] = relationship(back_populates="lines")
    line = relationship("ContractLine")


class DeliveryEvidence(db.Model):
    __tablename__ = "delivery_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("delivery_reports.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(128))

    report = relationship("DeliveryReport", viewonly=True)


BENEFICIARY, SESSION_RECORD = "beneficiary", "session"
SERVICE_RECORD_KINDS = {BENEFICIARY: _l("Person served"), SESSION_RECORD: _l("Session held")}


class ServiceRecord(db.Model):
    """A person served or a session held, as the report records it: what residents are sampled from. The
    contact is the minimum needed to ask (PIPL): a phone number or a grid for a grid worker's visit."""
    __tablename__ = "service_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("delivery_reports.id"), index=True)
    contract_line_id: Mapped[int] = mapped_column(ForeignKey("contract_lines.id"))
    kind: Mapped[str] = mapped_column(String(16), default=BENEFICIARY)
    label: Mapped[str] = mapped_column(String(120))  # e.g. 王阿姨 (3栋) or 4月12日 健康讲座
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))  # the grid, for a visit
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    served_on = mapped_column(Date)
    units: Mapped[int] = mapped_column(default=1)

    place = relationship("Place")
    line = relationship("ContractLine")


# --- resident sampling ---------------------------------------------------------------------------------
class Sample(db.Model):
    """A random draw of a report's service records, reproducible from its stored seed."""
    __tablename__ = "samples"
    __table_args__ = (UniqueConstraint("report_id", name="uq_samples_report"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("delivery_reports.id"))
    seed: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    drawn_at = mapped_column(UTCDateTime(), default=utcnow)

    report = relationship("DeliveryReport", viewonly=True)
    items: Mapped[list["SampleItem"]] = relationship(back_populates="sample", order_by="SampleItem.id")


CONFIRMED, DENIED = "confirmed", "denied"
SAMPLE_ANSWERS = {CONFIRMED: _l("The service happened"), DENIED: _l("The service did not happen")}


class SampleItem(db.Model):
    """One sampled record and the resident's answer (through a link, or told to a grid worker on a visit)."""
    __tablename__ = "sample_items"
    __table_args__ = (UniqueConstraint("sample_id", "service_record_id", name="uq_sample_items"),
                      CheckConstraint("quality IS NULL OR (quality >= 1 AND quality <= 5)", name="quality_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), index=True)
    service_record_id: Mapped[int] = mapped_column(ForeignKey("service_records.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the resident's link, stored hashed
    answer: Mapped[str | None] = mapped_column(String(16))
    quality: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_via: Mapped[str | None] = mapped_column(String(16))  # link | visit
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the grid worker on a visit
    answered_at = mapped_column(UTCDateTime())

    record = relationship("ServiceRecord")
    sample: Mapped[Sample] = relationship(back_populates="items")


# --- the scope ledger (against internalisation) --------------------------------------------------------
BY_DEPARTMENT, BY_CONTRACTOR = "department", "contractor"


class ScopeRequest(db.Model):
    """A request a department made of a contractor. Logged against a contract line (in scope) or citing none
    (out of scope: the contractor may log these too). The out-of-scope share per department is public."""
    __tablename__ = "scope_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    contract_line_id: Mapped[int | None] = mapped_column(ForeignKey("contract_lines.id"))
    requested_on = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    logged_by_side: Mapped[str] = mapped_column(String(16))
    logged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    logged_at = mapped_column(UTCDateTime(), default=utcnow)


# --- payments ------------------------------------------------------------------------------------------
REQUESTED, APPROVED, REJECTED = "requested", "approved", "rejected"
PAYMENT_STATUSES = {REQUESTED: _l("Requested"), APPROVED: _l("Paid"), REJECTED: _l("Rejected")}


class ContractPayment(db.Model):
    """A milestone payment: requested by one official, approved (and posted to the ledger) by another."""
    __tablename__ = "contract_payments"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="payment_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    basis: Mapped[dict] = mapped_column(db.JSON, default=dict)  # units x prices x factor, as computed
    status: Mapped[str] = mapped_column(String(16), default=REQUESTED)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))


# --- final evaluation ----------------------------------------------------------------------------------
RATED_AREAS = ("quality", "schedule", "cost_control", "management", "resident_satisfaction")
AREA_LABELS = {"quality": _l("Quality"), "schedule": _l("Schedule"), "cost_control": _l("Cost control"),
               "management": _l("Management"), "resident_satisfaction": _l("Resident satisfaction")}
OFFICIAL_EVALUATOR, THIRD_PARTY = "official", "third_party"


class ContractEvaluation(db.Model):
    """A final rating of five areas (1-5, each with a narrative), by the official or a third-party evaluator.
    The organisation may rebut until `rebuttal_until`; then it is final and enters the performance record."""
    __tablename__ = "contract_evaluations"
    __table_args__ = (UniqueConstraint("contract_id", "evaluator_id", name="uq_contract_evaluations"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    evaluator_role: Mapped[str] = mapped_column(String(16))
    ratings: Mapped[dict] = mapped_column(db.JSON)  # area -> {"rating": 1-5, "narrative": "..."}
    overall: Mapped[float]  # mean of the five ratings, 1-5
    submitted_at = mapped_column(UTCDateTime(), default=utcnow)
    rebuttal_until = mapped_column(UTCDateTime())
    rebuttal: Mapped[str | None] = mapped_column(Text)
    rebutted_at = mapped_column(UTCDateTime())
    final_at = mapped_column(UTCDateTime())
