"""Fund models and the append-only double-entry ledger.

Money is integer minor units (fen) beside a currency. Every movement is one LedgerEntry whose Postings
sum to zero; balances and "raised" figures are sums of postings. The *_minor totals on Fund, Campaign,
Team and MatchingPool are caches updated in the same transaction; `portal reconcile` proves them. So are
the donor counts and the DonorTally rows behind them and behind the team members' leaderboard.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db

# --- funds ---------------------------------------------------------------------------------------
COMMUNITY_WELFARE_FUND, COMMUNITY_FOUNDATION = "community_welfare_fund", "community_foundation"
FUND_KINDS = {COMMUNITY_WELFARE_FUND: _l("Community public-welfare fund (社区公益金)"),
              COMMUNITY_FOUNDATION: _l("Community foundation (社区基金会)")}


class Fund(db.Model):
    __tablename__ = "funds"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    # caches of ledger sums (see module docstring)
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    raised_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    disbursed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    donor_count: Mapped[int] = mapped_column(default=0, server_default="0")  # cache (DonorTally)

    place = relationship("Place")
    campaigns: Mapped[list["Campaign"]] = relationship(back_populates="fund", order_by="Campaign.id")


# --- campaigns -----------------------------------------------------------------------------------
DRAFT, LIVE, SUCCEEDED, ENDED, FAILED, CLOSED = "draft", "live", "succeeded", "ended", "failed", "closed"
CAMPAIGN_STATUSES = {DRAFT: _l("Draft"), LIVE: _l("Live"), SUCCEEDED: _l("Succeeded"), ENDED: _l("Ended"),
                     FAILED: _l("Failed (refunded)"), CLOSED: _l("Closed")}
KEEP_IT_ALL, ALL_OR_NOTHING = "keep_it_all", "all_or_nothing"
FUNDING_MODELS = {KEEP_IT_ALL: _l("Keep it all"), ALL_OR_NOTHING: _l("All or nothing")}
PURPOSE_GENERAL, PURPOSE_PROJECT, PURPOSE_NEED = "general", "project", "need"
PURPOSE_KINDS = {PURPOSE_GENERAL: _l("The fund's general purpose"), PURPOSE_PROJECT: _l("A service project"),
                 PURPOSE_NEED: _l("A resident need")}


class Campaign(db.Model):
    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint("goal_minor > 0", name="goal_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300), default="")
    story_md: Mapped[str] = mapped_column(Text, default="")
    goal_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    starts_at = mapped_column(UTCDateTime(), nullable=False)
    ends_at = mapped_column(UTCDateTime(), nullable=False)
    funding_model: Mapped[str] = mapped_column(String(16), default=KEEP_IT_ALL)
    purpose_kind: Mapped[str] = mapped_column(String(16), default=PURPOSE_GENERAL)
    # a service project or resident need id (those tables arrive with the projects issue)
    purpose_object_id: Mapped[int | None]
    purpose_text: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default=DRAFT, index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    published_at = mapped_column(UTCDateTime())
    finished_at = mapped_column(UTCDateTime())
    raised_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # cache
    donor_count: Mapped[int] = mapped_column(default=0, server_default="0")  # cache (DonorTally)

    fund: Mapped[Fund] = relationship(back_populates="campaigns")
    created_by = relationship("User")
    images: Mapped[list["CampaignImage"]] = relationship(back_populates="campaign", order_by="CampaignImage.position")
    updates: Mapped[list["CampaignUpdate"]] = relationship(order_by="CampaignUpdate.created_at.desc()")
    teams: Mapped[list["Team"]] = relationship(back_populates="campaign", order_by="Team.id")


class CampaignImage(db.Model):
    __tablename__ = "campaign_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    storage_key: Mapped[str] = mapped_column(String(128))
    caption: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(default=0)

    campaign: Mapped["Campaign"] = relationship(back_populates="images")


class CampaignUpdate(db.Model):
    __tablename__ = "campaign_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    body_md: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime(), default=utcnow)

    author = relationship("User")


# --- teams (众筹小分队) ----------------------------------------------------------------------------
class Team(db.Model):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("campaign_id", "name", name="uq_teams_campaign_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    story: Mapped[str] = mapped_column(Text, default="")
    goal_minor: Mapped[int] = mapped_column(BigInteger)
    captain_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    raised_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # cache
    donor_count: Mapped[int] = mapped_column(default=0, server_default="0")  # cache (DonorTally)

    campaign: Mapped[Campaign] = relationship(back_populates="teams")
    captain = relationship("User")
    members: Mapped[list["TeamMember"]] = relationship(back_populates="team", order_by="TeamMember.joined_at")


class TeamMember(db.Model):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    joined_at = mapped_column(UTCDateTime(), default=utcnow)

    team: Mapped[Team] = relationship(back_populates="members")
    user = relationship("User")


# --- donor tallies: what one donor gave to one fund, campaign or team ----------------------------------
SCOPE_FUND, SCOPE_CAMPAIGN, SCOPE_TEAM = "fund", "campaign", "team"


def donor_key(donor_id: int | None, donor_name: str) -> str:
    """One donor: an account, or for a gift without one (offline) the name typed on it."""
    return f"u:{donor_id}" if donor_id is not None else f"n:{donor_name}"


class DonorTally(db.Model):
    """Counted gifts of one donor to one fund, campaign or team, moved by the ledger with each gift,
    refund and dispute. A donor's first counted gift raises the scope's donor_count, the last one
    leaving lowers it; the named columns feed the team members' leaderboard. All caches: `portal
    reconcile` proves them against the donations, so no page counts distinct donors over the gifts.
    """

    __tablename__ = "donor_tallies"
    __table_args__ = (Index("ix_donor_tallies_donor", "donor_id", "scope", "scope_id"),)

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    scope_id: Mapped[int] = mapped_column(primary_key=True)
    donor_key: Mapped[str] = mapped_column(String(96), primary_key=True)
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    gifts: Mapped[int] = mapped_column(default=0)  # counted gifts (succeeded or partly refunded)
    named_gifts: Mapped[int] = mapped_column(default=0)  # of those, under the donor's account and name
    named_net_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # their money net of refunds


# --- matching pools (配捐) -------------------------------------------------------------------------
class MatchingPool(db.Model):
    """A sponsor matches gifts to a campaign at ratio_numerator:ratio_denominator up to caps, in a window."""

    __tablename__ = "matching_pools"
    __table_args__ = (CheckConstraint("cap_minor > 0", name="cap_positive"),
                      CheckConstraint("ratio_numerator > 0 AND ratio_denominator > 0", name="ratio_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    sponsor_name: Mapped[str] = mapped_column(String(120))
    sponsor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ratio_numerator: Mapped[int] = mapped_column(default=1)
    ratio_denominator: Mapped[int] = mapped_column(default=1)
    cap_minor: Mapped[int] = mapped_column(BigInteger)
    per_donor_cap_minor: Mapped[int | None] = mapped_column(BigInteger)
    starts_at = mapped_column(UTCDateTime(), nullable=False)
    ends_at = mapped_column(UTCDateTime(), nullable=False)
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    used_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # cache

    campaign: Mapped[Campaign] = relationship()


# --- disbursements ---------------------------------------------------------------------------------
REQUESTED, APPROVED, REJECTED, PAID = "requested", "approved", "rejected", "paid"
DISBURSEMENT_STATUSES = {REQUESTED: _l("Requested"), APPROVED: _l("Approved"), REJECTED: _l("Rejected"),
                         PAID: _l("Paid")}


class Disbursement(db.Model):
    __tablename__ = "disbursements"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    project_id: Mapped[int | None]  # service project (projects issue)
    purpose: Mapped[str] = mapped_column(String(300))
    payee: Mapped[str] = mapped_column(String(120))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(16), default=REQUESTED, index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_at = mapped_column(UTCDateTime())
    payment_reference: Mapped[str | None] = mapped_column(String(64))

    fund: Mapped[Fund] = relationship()
    campaign = relationship("Campaign")
    organisation = relationship("Organisation")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    paid_by = relationship("User", foreign_keys=[paid_by_id])


# --- in-kind pledges (goods, skills, time) ----------------------------------------------------------
PLEDGED, RECEIVED, SOLD, WITHDRAWN = "pledged", "received", "sold", "withdrawn"
IN_KIND_STATUSES = {PLEDGED: _l("Pledged"), RECEIVED: _l("Received"), SOLD: _l("Sold (became money)"),
                    WITHDRAWN: _l("Withdrawn")}
IN_KIND_CATEGORIES = {"goods": _l("Goods"), "skills": _l("Skills"), "time": _l("Time")}


class InKindPledge(db.Model):
    """Estimated value only: never counted as cash; a sold item becomes a money Donation."""

    __tablename__ = "in_kind_pledges"
    __table_args__ = (CheckConstraint("estimated_value_minor >= 0", name="value_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    donor_name: Mapped[str] = mapped_column(String(80))
    display_mode: Mapped[str] = mapped_column(String(16), default="named")
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(300))
    estimated_value_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(16), default=PLEDGED)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    received_at = mapped_column(UTCDateTime())
    sold_donation_id: Mapped[int | None] = mapped_column(ForeignKey("donations.id"))

    fund: Mapped[Fund] = relationship()
    campaign = relationship("Campaign")


# --- the ledger ----------------------------------------------------------------------------------
ENTRY_GIFT, ENTRY_MATCH, ENTRY_REFUND, ENTRY_DISPUTE, ENTRY_DISPUTE_WON, ENTRY_DISBURSEMENT = (
    "gift", "match", "refund", "dispute", "dispute_won", "disbursement")
ENTRY_KINDS = {ENTRY_GIFT: _l("Gift"), ENTRY_MATCH: _l("Matched gift"), ENTRY_REFUND: _l("Refund"),
               ENTRY_DISPUTE: _l("Disputed payment"), ENTRY_DISPUTE_WON: _l("Dispute won"),
               ENTRY_DISBURSEMENT: _l("Disbursement")}
# A government contract paid by verified delivery (portal/contracts): the one ledger carries it too, with no fund.
ENTRY_CONTRACT_PAYMENT = "contract_pay"
ENTRY_KINDS[ENTRY_CONTRACT_PAYMENT] = _l("Contract payment")


def fund_cash_account(fund_id: int) -> str:
    return f"fund:{fund_id}:cash"


DONORS_ACCOUNT = "external:donors"
PAYEES_ACCOUNT = "external:payees"


def contract_budget_account(contract_id: int) -> str:
    """The buyer's budget for a contract: contract payments are posted out of it."""
    return f"contract:{contract_id}:budget"


def contract_paid_account(contract_id: int) -> str:
    """What the contracted organisation has been paid under a contract."""
    return f"contract:{contract_id}:paid"


def matching_pool_account(pool_id: int) -> str:
    return f"pool:{pool_id}:pledge"


class LedgerEntry(db.Model):
    """One money movement. Never updated or deleted; corrections are new entries (reverses_entry_id)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_campaign_kind", "campaign_id", "kind"),
                      # the fund page's public ledger, newest first, one keyset page at a time
                      Index("ix_ledger_entries_fund_created", "fund_id", "created_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    fund_id: Mapped[int | None] = mapped_column(ForeignKey("funds.id"), index=True)  # None: a contract payment
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donations.id"), index=True)
    disbursement_id: Mapped[int | None] = mapped_column(ForeignKey("disbursements.id"), index=True)
    matching_pool_id: Mapped[int | None] = mapped_column(ForeignKey("matching_pools.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("disputes.id"))
    reverses_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    description: Mapped[str] = mapped_column(String(300), default="")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    created_at = mapped_column(UTCDateTime(), default=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    postings: Mapped[list["Posting"]] = relationship(back_populates="entry", order_by="Posting.id")
    donation = relationship("Donation", foreign_keys=[donation_id])
    disbursement = relationship("Disbursement")


class Posting(db.Model):
    __tablename__ = "postings"
    __table_args__ = (Index("ix_postings_account", "account"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(64))
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # signed: + into the account, - out of it
    currency: Mapped[str] = mapped_column(String(3), default="CNY")

    entry: Mapped[LedgerEntry] = relationship(back_populates="postings")


class LedgerRowImmutable(RuntimeError):
    pass


def _refuse_change(mapper, connection, target):
    raise LedgerRowImmutable("ledger rows are never updated or deleted; post a reversal instead")


for _model in (LedgerEntry, Posting):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)
