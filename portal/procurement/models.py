"""Purchase of services (政府购买服务): buyers and their catalogues, qualified organisations, calls in four modes,
sealed bids, opening, evaluation, awards with publicity and objections.

Money is integer minor units (fen) beside the call's currency. Bid content (approach, indicators, team,
cost lines, price) is sealed: `sealed_content` holds it encrypted (portal/procurement/sealing.py) and no
plaintext copy exists until the call is opened, when the price is copied into `opened_price_minor` for the
opening record and ranking. Every step writes the audit log.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db

# --- buyers, catalogue, qualified organisations ------------------------------------------------------
HOUR, VISIT, PERSON_MONTH, SESSION = "hour", "visit", "person_month", "session"
SERVICE_UNITS = {HOUR: _l("Hour"), VISIT: _l("Visit"), PERSON_MONTH: _l("Person-month"), SESSION: _l("Session")}


class Department(db.Model):
    """A buying department (e.g. a district civil-affairs bureau, 区民政局) on a place of the tree."""
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("place_id", "name", name="uq_departments_place_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at = mapped_column(UTCDateTime(), default=utcnow)

    place = relationship("Place")


class CatalogueItem(db.Model):
    """One line of a buyer's purchase catalogue (购买服务目录) for a year."""
    __tablename__ = "catalogue_items"
    __table_args__ = (UniqueConstraint("department_id", "year", "code", name="uq_catalogue_items_code"),
                      CheckConstraint("unit_price_ceiling_minor > 0", name="ceiling_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    year: Mapped[int]
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(32), index=True)  # the orgs' service areas (SERVICE_AREAS)
    unit: Mapped[str] = mapped_column(String(16))
    unit_price_ceiling_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    quality_standard: Mapped[str] = mapped_column(Text, default="")
    created_at = mapped_column(UTCDateTime(), default=utcnow)

    department = relationship("Department")


class Qualification(db.Model):
    """An entry of the qualified-organisation list (承接主体目录): this verified organisation may bid for calls
    of this category bought on this place (and the places under it), on the criteria the official recorded."""
    __tablename__ = "qualifications"
    __table_args__ = (UniqueConstraint("organisation_id", "place_id", "category", name="uq_qualifications"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    years_registered: Mapped[int] = mapped_column(default=0)
    past_delivery: Mapped[str] = mapped_column(Text, default="")  # what the organisation has delivered before
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)

    organisation = relationship("Organisation")
    place = relationship("Place")
    recorded_by = relationship("User")


class MinimumWage(db.Model):
    """The local hourly minimum wage, a setting per place: the nearest place up the tree with one applies.
    A bid whose staff cost is below it times the hours is flagged abnormally low."""
    __tablename__ = "minimum_wages"

    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), primary_key=True)
    hourly_minor: Mapped[int] = mapped_column(BigInteger)
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at = mapped_column(UTCDateTime(), default=utcnow)


# --- calls ---------------------------------------------------------------------------------------------
OPEN_TENDER, DIRECT_GRANT, APPLICATION_CALL, CONTEST = "open_tender", "direct_grant", "application_call", "contest"
CALL_MODES = {OPEN_TENDER: _l("Open tender (公开招标/竞争性磋商)"), DIRECT_GRANT: _l("Direct grant (直接资助)"),
              APPLICATION_CALL: _l("Project application call (项目申请)"),
              CONTEST: _l("Venture-philanthropy contest (公益创投)")}

# DESIGN.md section 5 names a "bidding" state after "published (questions)"; here questions and bids are
# taken in the one published state (questions until `questions_until`, bids until `bids_until`), and the
# opening at the deadline moves it to closed. Awarded is the publicity period; confirmed is an award that
# survived it (the next issue turns it into a contract).
DRAFT, PUBLISHED, CLOSED, EVALUATION, AWARDED, CONFIRMED, CONTRACTED, CANCELLED, UNSUCCESSFUL = (
    "draft", "published", "closed", "evaluation", "awarded", "confirmed", "contracted", "cancelled", "unsuccessful")
CALL_STATUSES = {DRAFT: _l("Draft"), PUBLISHED: _l("Open for bids"), CLOSED: _l("Bids opened"),
                 EVALUATION: _l("Under evaluation"), AWARDED: _l("Awarded (publicity)"),
                 CONFIRMED: _l("Award confirmed"), CONTRACTED: _l("Contracted"), CANCELLED: _l("Cancelled"),
                 UNSUCCESSFUL: _l("Unsuccessful")}
PUBLIC_STATUSES = tuple(s for s in CALL_STATUSES if s != DRAFT)


class Call(db.Model):
    """A call for services: a tender, a direct grant, an application call or a contest, on one lifecycle."""
    __tablename__ = "calls"
    __table_args__ = (CheckConstraint("budget_cap_minor > 0", name="cap_positive"),
                      CheckConstraint("price_floor_minor >= 0 AND price_floor_minor < budget_cap_minor",
                                      name="floor_below_cap"),
                      CheckConstraint("min_bids >= 1", name="min_bids_positive"),
                      Index("ix_calls_status_bids_until", "status", "bids_until"))

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. XL-2026-003
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)  # where the service is delivered
    mode: Mapped[str] = mapped_column(String(20), index=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    eligibility: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=DRAFT, index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    budget_cap_minor: Mapped[int] = mapped_column(BigInteger)  # the whole call; each lot has its own cap
    # price scoring: linear from full marks at or below the floor down to none at the cap (not lowest-wins)
    price_floor_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    min_bids: Mapped[int] = mapped_column(default=1)
    questions_until = mapped_column(UTCDateTime())
    bids_until = mapped_column(UTCDateTime())
    publicity_days: Mapped[int] = mapped_column(default=5)
    # a direct grant names the one organisation invited to propose
    invited_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    # contest mode: the public roadshow (路演) and its voting window
    roadshow_starts_at = mapped_column(UTCDateTime())
    roadshow_ends_at = mapped_column(UTCDateTime())
    roadshow_place: Mapped[str] = mapped_column(String(160), default="")
    # a call answering no resident need and no consultation says why, publicly
    no_need_reason: Mapped[str] = mapped_column(Text, default="")
    consultation: Mapped[str] = mapped_column(Text, default="")  # the consultation it answers, if any
    reissue_of_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    revision: Mapped[int] = mapped_column(default=0)  # published revisions so far
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    published_at = mapped_column(UTCDateTime())
    opened_at = mapped_column(UTCDateTime())
    evaluation_started_at = mapped_column(UTCDateTime())
    awarded_at = mapped_column(UTCDateTime())
    publicity_ends_at = mapped_column(UTCDateTime())
    confirmed_at = mapped_column(UTCDateTime())
    closed_reason: Mapped[str | None] = mapped_column(Text)  # why cancelled or unsuccessful

    department = relationship("Department")
    place = relationship("Place")
    invited_organisation = relationship("Organisation")
    created_by = relationship("User")
    lots: Mapped[list["Lot"]] = relationship(back_populates="call", order_by="Lot.number")
    criteria: Mapped[list["AwardCriterion"]] = relationship(back_populates="call", order_by="AwardCriterion.position")


class Lot(db.Model):
    """A part of a call bid for and awarded on its own (most calls have one)."""
    __tablename__ = "lots"
    __table_args__ = (UniqueConstraint("call_id", "number", name="uq_lots_number"),
                      CheckConstraint("budget_cap_minor > 0", name="lot_cap_positive"),
                      CheckConstraint("max_awards >= 1", name="max_awards_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(160))
    budget_cap_minor: Mapped[int] = mapped_column(BigInteger)
    max_awards: Mapped[int] = mapped_column(default=1)  # application calls and contests may fund several
    unsuccessful: Mapped[bool] = mapped_column(default=False)  # fewer bids than the minimum at opening

    call: Mapped[Call] = relationship(back_populates="lots")
    lines: Mapped[list["LotLine"]] = relationship(back_populates="lot", order_by="LotLine.id")


class LotLine(db.Model):
    """A catalogue item bought in a lot, with the quantity of its unit."""
    __tablename__ = "lot_lines"
    __table_args__ = (UniqueConstraint("lot_id", "catalogue_item_id", name="uq_lot_lines_item"),
                      CheckConstraint("quantity > 0", name="quantity_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    catalogue_item_id: Mapped[int] = mapped_column(ForeignKey("catalogue_items.id"), index=True)
    quantity: Mapped[int]

    lot: Mapped[Lot] = relationship(back_populates="lines")
    item = relationship("CatalogueItem")


PRICE, QUALITY, PAST_PERFORMANCE, ROADSHOW = "price", "quality", "past_performance", "roadshow"
CRITERION_KINDS = {PRICE: _l("Price"), QUALITY: _l("Quality"), PAST_PERFORMANCE: _l("Past performance"),
                   ROADSHOW: _l("Roadshow vote")}


class AwardCriterion(db.Model):
    """A published award criterion with its weight in percent (a call's weights sum to 100). Quality
    sub-criteria carry the rubric evaluators score 0-5 against."""
    __tablename__ = "award_criteria"
    __table_args__ = (CheckConstraint("weight > 0 AND weight <= 100", name="weight_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    weight: Mapped[int]
    rubric: Mapped[str] = mapped_column(Text, default="")

    call: Mapped[Call] = relationship(back_populates="criteria")


class CallNeed(db.Model):
    """A resident need the call answers (the need's own link lives in needs; this is the call's side)."""
    __tablename__ = "call_needs"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), primary_key=True, index=True)

    need = relationship("Need")


class CallRevision(db.Model):
    """Every change to a published call, kept and shown: what changed, why, and whether the deadline moved."""
    __tablename__ = "call_revisions"
    __table_args__ = (UniqueConstraint("call_id", "number", name="uq_call_revisions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    number: Mapped[int]
    summary: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict] = mapped_column(db.JSON, default=dict)  # field -> [before, after]
    deadline_extended: Mapped[bool] = mapped_column(default=False)
    made_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    made_at = mapped_column(UTCDateTime(), default=utcnow)


class CallQuestion(db.Model):
    """A public question (答疑) and its answer; the asker is not shown to others."""
    __tablename__ = "call_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    question: Mapped[str] = mapped_column(Text)
    asked_at = mapped_column(UTCDateTime(), default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at = mapped_column(UTCDateTime())


# --- bids ----------------------------------------------------------------------------------------------
SUBMITTED, WITHDRAWN, VALID, DISQUALIFIED = "submitted", "withdrawn", "valid", "disqualified"
BID_STATUSES = {SUBMITTED: _l("Submitted (sealed)"), WITHDRAWN: _l("Withdrawn"), VALID: _l("Opened"),
                DISQUALIFIED: _l("Disqualified")}


class Bid(db.Model):
    """One organisation's sealed bid for one lot. Replacing it before the deadline re-seals it under a new
    receipt; withdrawing keeps the row (and its receipts) but takes it out of the opening."""
    __tablename__ = "bids"
    __table_args__ = (UniqueConstraint("lot_id", "organisation_id", name="uq_bids_lot_organisation"),
                      Index("ix_bids_call_status", "call_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=SUBMITTED)
    version: Mapped[int] = mapped_column(default=1)
    sealed_content: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted canonical JSON, see sealing.py
    receipt_sha256: Mapped[str] = mapped_column(String(64))  # of the canonical plaintext
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at = mapped_column(UTCDateTime())
    # copied out of the sealed content at the opening, for the opening record and the ranking
    opened_price_minor: Mapped[int | None] = mapped_column(BigInteger)

    call = relationship("Call")
    lot = relationship("Lot")
    organisation = relationship("Organisation")
    files: Mapped[list["BidFile"]] = relationship(back_populates="bid", order_by="BidFile.id")


class BidFile(db.Model):
    """A file attached to a bid, stored encrypted like the bid (its SHA-256 is part of the receipt)."""
    __tablename__ = "bid_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), index=True)
    bid_version: Mapped[int]
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(128))

    bid: Mapped[Bid] = relationship(back_populates="files")


class BidReceipt(db.Model):
    """Every receipt handed out (one per submission or replacement, and the withdrawal), so a bidder can
    check the opening record against each of its own."""
    __tablename__ = "bid_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), index=True)
    version: Mapped[int]
    action: Mapped[str] = mapped_column(String(16))  # submitted | replaced | withdrawn
    receipt_sha256: Mapped[str] = mapped_column(String(64))
    issued_at = mapped_column(UTCDateTime(), default=utcnow)


# --- abnormally low bids -------------------------------------------------------------------------------
ASKED, EXPLAINED, ACCEPTED, REJECTED = "asked", "explained", "accepted", "rejected"
LOW_PRICE_STATUSES = {ASKED: _l("Explanation asked"), EXPLAINED: _l("Explanation given"),
                      ACCEPTED: _l("Explanation accepted"), REJECTED: _l("Bid rejected as abnormally low")}


class LowPriceReview(db.Model):
    """A bid flagged abnormally low at the opening (Prozorro's rule, or staff cost under the minimum wage):
    the bidder explains by a set time; an official accepts or rejects it with a written reason."""
    __tablename__ = "low_price_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), unique=True)
    reasons: Mapped[list] = mapped_column(db.JSON, default=list)  # [{"rule": ..., "detail": ...}]
    status: Mapped[str] = mapped_column(String(16), default=ASKED)
    explain_by = mapped_column(UTCDateTime())
    explanation: Mapped[str | None] = mapped_column(Text)
    explained_at = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at = mapped_column(UTCDateTime())

    bid = relationship("Bid")


# --- evaluation ----------------------------------------------------------------------------------------
class PanelMember(db.Model):
    """An evaluator named to a call's panel. `submitted_at` is set when their scores are final; until every
    member has submitted, no member sees the others' scores."""
    __tablename__ = "panel_members"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    named_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    named_at = mapped_column(UTCDateTime(), default=utcnow)
    declared_at = mapped_column(UTCDateTime())  # conflicts declared for every bidder
    submitted_at = mapped_column(UTCDateTime())

    user = relationship("User", foreign_keys=[user_id])


class ConflictDeclaration(db.Model):
    """An evaluator's declaration for one bidding organisation, made before any bid is shown to them."""
    __tablename__ = "conflict_declarations"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    conflicted: Mapped[bool]
    note: Mapped[str] = mapped_column(Text, default="")
    declared_at = mapped_column(UTCDateTime(), default=utcnow)


class Score(db.Model):
    """An evaluator's score (0-5, with a required comment) of one bid on one quality sub-criterion."""
    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("bid_id", "criterion_id", "evaluator_id", name="uq_scores"),
                      CheckConstraint("points >= 0 AND points <= 5", name="points_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("award_criteria.id"))
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    points: Mapped[int]
    comment: Mapped[str] = mapped_column(Text)
    scored_at = mapped_column(UTCDateTime(), default=utcnow)


class RoadshowVote(db.Model):
    """A resident's one vote in a contest's roadshow, cast in the event's window."""
    __tablename__ = "roadshow_votes"
    __table_args__ = (UniqueConstraint("call_id", "user_id", name="uq_roadshow_votes_one_per_account"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    voted_at = mapped_column(UTCDateTime(), default=utcnow)


# --- award, publicity, objections ---------------------------------------------------------------------
class Award(db.Model):
    """A bid chosen for a lot, with the reasons; public once decided. `cancelled_at` when an upheld objection
    or a cancellation undid it (the row stays)."""
    __tablename__ = "awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), index=True)
    total_score: Mapped[float]  # out of 100, as ranked
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reasons: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at = mapped_column(UTCDateTime())

    bid = relationship("Bid")
    lot = relationship("Lot")


OBJECTION_OPEN, UPHELD, DISMISSED = "open", "upheld", "dismissed"
OBJECTION_STATUSES = {OBJECTION_OPEN: _l("Awaiting an answer"), UPHELD: _l("Upheld"), DISMISSED: _l("Dismissed")}


class Objection(db.Model):
    """A bidder's objection (质疑) during the publicity period; while one is open the award is frozen."""
    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    grounds: Mapped[str] = mapped_column(Text)
    filed_at = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=OBJECTION_OPEN, index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at = mapped_column(UTCDateTime())

    organisation = relationship("Organisation")
