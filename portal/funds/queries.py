"""What the funds pages show, each in a fixed number of queries (aggregates in SQL, never per row)."""
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import and_, bindparam, case, exists, func, inspect, select, tuple_
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal.accounts import roles
from portal.accounts.models import RoleAssignment, User
from portal.extensions import db
from portal.funds.ledger import sum_minor
from portal.funds.models import (
    APPROVED,
    DRAFT,
    IN_KIND_STATUSES,
    LIVE,
    REQUESTED,
    SCOPE_TEAM,
    SOLD,
    WITHDRAWN,
    Campaign,
    CampaignImage,
    CampaignUpdate,
    Disbursement,
    DonorTally,
    Fund,
    InKindPledge,
    LedgerEntry,
    MatchingPool,
    Posting,
    Team,
    TeamMember,
    fund_cash_account,
)
from portal.funds.policy import can_request_for_any_organisation
from portal.payments import models as gifts
from portal.places.models import COMMUNITY, DISTRICT, STREET, Place
from portal.places.service import subtree_condition

# Gifts that count as given (money, or part of it, still in the fund, or disputed and since won back).
COUNTED_GIFTS = (gifts.SUCCEEDED, gifts.PARTIALLY_REFUNDED)
CAMPAIGN_SORTS = ("ending", "raised")


def public_donor_name(donation_or_pledge) -> str:
    """The name as the donor chose to show it (payments owns the rule; this only forwards)."""
    from portal.payments.service import public_donor_name as rule

    return rule(donation_or_pledge)


def place_choices() -> list[Place]:
    """Districts, streets and communities in tree order, for the place filters."""
    return list(db.session.scalars(select(Place).where(Place.kind.in_((DISTRICT, STREET, COMMUNITY)))
                                   .order_by(Place.path)))


# --- funds ---------------------------------------------------------------------------------------

def fund_list_query(place: Place | None = None, include_inactive: bool = False):
    statement = select(Fund).options(joinedload(Fund.place)).order_by(Fund.name)
    if place is not None:
        statement = statement.where(subtree_condition(Fund.place_id, place))
    if not include_inactive:
        statement = statement.where(Fund.is_active.is_(True))
    return statement


def funds_by_ids(fund_ids) -> list[Fund]:
    if not fund_ids:
        return []
    return list(db.session.scalars(select(Fund).where(Fund.id.in_(fund_ids)).order_by(Fund.name)))


def campaign_counts(fund_ids: list[int]) -> dict[int, dict[str, int]]:
    """fund id -> {status: number of campaigns}, in one query."""
    if not fund_ids:
        return {}
    counts: dict[int, dict[str, int]] = {}
    for fund_id, status, number in db.session.execute(
            select(Campaign.fund_id, Campaign.status, func.count()).where(Campaign.fund_id.in_(fund_ids))
            .group_by(Campaign.fund_id, Campaign.status)):
        counts.setdefault(fund_id, {})[status] = number
    return counts


@dataclass
class InKindTotals:
    """Goods, skills and time: counted and valued apart from cash, by status."""

    by_status: dict = field(default_factory=dict)  # status -> (count, estimated value)

    @property
    def open_count(self) -> int:
        return sum(count for status, (count, _value) in self.by_status.items() if status not in (WITHDRAWN, SOLD))

    @property
    def open_value(self) -> int:
        return sum(value for status, (_count, value) in self.by_status.items() if status not in (WITHDRAWN, SOLD))

    @property
    def any(self) -> bool:
        return bool(self.by_status)

    def rows(self):
        return [(status, *self.by_status[status]) for status in IN_KIND_STATUSES if status in self.by_status]


def in_kind_totals(*, fund_id: int | None = None, campaign_id: int | None = None) -> InKindTotals:
    value = sum_minor(InKindPledge.estimated_value_minor)
    statement = select(InKindPledge.status, func.count(), value).group_by(InKindPledge.status)
    if fund_id is not None:
        statement = statement.where(InKindPledge.fund_id == fund_id)
    if campaign_id is not None:
        statement = statement.where(InKindPledge.campaign_id == campaign_id)
    return InKindTotals({status: (count, value) for status, count, value in db.session.execute(statement)})


def fund_campaigns(fund: Fund, include_drafts: bool = False) -> list[Campaign]:
    statement = select(Campaign).where(Campaign.fund_id == fund.id).order_by(
        case((Campaign.status == LIVE, 0), else_=1), Campaign.ends_at.desc())
    if not include_drafts:
        statement = statement.where(Campaign.status != DRAFT)
    return list(db.session.scalars(statement))


# --- the public ledger -----------------------------------------------------------------------------

@dataclass(frozen=True)
class GiftName:
    """What the public ledger shows of a gift: the name as its donor chose to show it."""

    donor_name: str
    display_mode: str


@dataclass(frozen=True)
class Payout:
    purpose: str
    payee: str


@dataclass(frozen=True)
class LedgerRow:
    """One ledger entry as the public ledger shows it (read as plain columns, not as ORM objects)."""

    id: int
    kind: str
    created_at: object
    campaign_id: int | None
    matching_pool_id: int | None
    donation: GiftName | None
    disbursement: Payout | None


@dataclass
class LedgerLine:
    entry: LedgerRow
    amount_minor: int  # into (+) or out of (-) the fund's cash
    campaign: Campaign | None
    pool: MatchingPool | None


@dataclass
class LedgerPage:
    """One keyset page of a fund's ledger: `older` is the cursor of the next page, None at the oldest."""

    items: list
    before: int | None
    older: int | None


def ledger_page(fund: Fund, before: int | None = None, per_page: int = 50) -> LedgerPage:
    """One page of the fund's ledger, newest first, starting below the entry `before` (keyset pagination:
    no count(*) and no OFFSET, so the 1,000th page costs what the first does): 3 queries at most.

    The entries, their gift's public name, their payout and their cash posting come in one statement of
    plain columns: hydrating 50 entries and their gifts as ORM objects was most of this page's Python time.
    """
    statement = (select(LedgerEntry.id, LedgerEntry.kind, LedgerEntry.created_at, LedgerEntry.campaign_id,
                        LedgerEntry.matching_pool_id, LedgerEntry.donation_id, gifts.Donation.donor_name,
                        gifts.Donation.display_mode, LedgerEntry.disbursement_id, Disbursement.purpose,
                        Disbursement.payee, Posting.amount_minor)
                 .outerjoin(gifts.Donation, gifts.Donation.id == LedgerEntry.donation_id)
                 .outerjoin(Disbursement, Disbursement.id == LedgerEntry.disbursement_id)
                 .outerjoin(Posting, and_(Posting.entry_id == LedgerEntry.id,
                                          Posting.account == fund_cash_account(fund.id)))
                 .where(LedgerEntry.fund_id == fund.id)
                 .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc()).limit(per_page + 1))
    if before is not None:
        anchor = select(LedgerEntry.created_at).where(LedgerEntry.id == before).scalar_subquery()
        statement = statement.where(tuple_(LedgerEntry.created_at, LedgerEntry.id) < tuple_(anchor, before))
    rows = db.session.execute(statement).all()
    older = rows[per_page - 1].id if len(rows) > per_page else None
    rows = rows[:per_page]
    campaign_ids = {row.campaign_id for row in rows if row.campaign_id}
    campaigns = {c.id: c for c in db.session.scalars(select(Campaign).where(Campaign.id.in_(campaign_ids)))} \
        if campaign_ids else {}
    pool_ids = {row.matching_pool_id for row in rows if row.matching_pool_id}
    pools = {p.id: p for p in db.session.scalars(select(MatchingPool).where(MatchingPool.id.in_(pool_ids)))} \
        if pool_ids else {}
    lines = []
    for row in rows:
        entry = LedgerRow(row.id, row.kind, row.created_at, row.campaign_id, row.matching_pool_id,
                          GiftName(row.donor_name, row.display_mode) if row.donation_id else None,
                          Payout(row.purpose, row.payee) if row.disbursement_id else None)
        lines.append(LedgerLine(entry, row.amount_minor or 0, campaigns.get(row.campaign_id),
                                pools.get(row.matching_pool_id)))
    return LedgerPage(lines, before, older)


# --- campaigns -----------------------------------------------------------------------------------

def campaign_list_query(place: Place | None = None, sort: str = "ending"):
    """Live campaigns (of active funds), optionally within a place's subtree."""
    statement = (select(Campaign).join(Fund, Fund.id == Campaign.fund_id)
                 .options(joinedload(Campaign.fund).joinedload(Fund.place))
                 .where(Campaign.status == LIVE, Fund.is_active.is_(True)))
    if place is not None:
        statement = statement.where(subtree_condition(Fund.place_id, place))
    if sort == "raised":
        return statement.order_by(Campaign.raised_minor.desc(), Campaign.id)
    return statement.order_by(Campaign.ends_at, Campaign.id)


def team_counts(campaign_ids) -> dict[int, int]:
    if not campaign_ids:
        return {}
    return dict(db.session.execute(select(Team.campaign_id, func.count()).where(Team.campaign_id.in_(campaign_ids))
                                   .group_by(Team.campaign_id)).all())


def recent_gifts(*, campaign_id: int | None = None, team_id: int | None = None, limit: int = 20) -> list:
    """The latest counted gifts, for the donors list (public names are chosen by each donor).

    Rows of the five columns the list shows (donor_name, display_mode, amount_minor, succeeded_at,
    message), not Donation objects: loading 20 full gifts as ORM objects cost the campaign page more
    Python than the rest of its queries together (BENCHMARKS.md).
    """
    donation = gifts.Donation
    statement = (select(donation.donor_name, donation.display_mode, donation.amount_minor, donation.succeeded_at,
                        donation.message).where(donation.status.in_(COUNTED_GIFTS))
                 .order_by(donation.succeeded_at.desc(), donation.id.desc()).limit(limit))
    if campaign_id is not None:
        statement = statement.where(donation.campaign_id == campaign_id)
    if team_id is not None:
        statement = statement.where(donation.team_id == team_id)
    return list(db.session.execute(statement))


@dataclass(frozen=True)
class TeamRef:
    """A team as a link shows it: what the campaign page's Give button needs of the viewer's own team."""
    id: int
    name: str


def team_ref_of(campaign_id: int, user_id: int) -> TeamRef | None:
    row = db.session.execute(_team_ref_statement(), {"campaign_id": campaign_id, "user_id": user_id}).first()
    return TeamRef(*row) if row else None


@lru_cache(maxsize=1)
def _team_ref_statement():
    return select(Team.id, Team.name).join(TeamMember).where(Team.campaign_id == bindparam("campaign_id"),
                                                             TeamMember.user_id == bindparam("user_id"))


@dataclass
class TeamRow:
    team: Team
    members: int


def team_leaderboard(campaign: Campaign) -> list[TeamRow]:
    """Teams of a campaign by money raised (the ledger's cached team totals), with member counts."""
    members = (select(func.count()).select_from(TeamMember).where(TeamMember.team_id == Team.id)
               .correlate(Team).scalar_subquery())
    rows = db.session.execute(
        select(Team, members).options(joinedload(Team.captain)).where(Team.campaign_id == campaign.id)
        .order_by(Team.raised_minor.desc(), Team.id)).all()
    return [TeamRow(team, count) for team, count in rows]


@dataclass
class MemberRow:
    name: str
    team_name: str
    team_id: int
    amount_minor: int
    gifts: int


def member_leaderboard(campaign: Campaign, limit: int = 10) -> list[MemberRow]:
    """Team members by the money of their own gifts credited to their team (net of refunds).

    Only gifts given under the member's own account count (the portal does not guess who persuaded
    whom), and only those the donor chose to show with their name: a gift shown as initials or
    anonymous is never tied to a full name here. Read from the donor tallies the ledger keeps (one row
    per member and team), so the cost follows the number of members, not of gifts.
    """
    rows = db.session.execute(
        select(User.display_name, Team.name, Team.id, DonorTally.named_net_minor, DonorTally.named_gifts)
        .select_from(TeamMember)
        .join(Team, Team.id == TeamMember.team_id)
        .join(DonorTally, and_(DonorTally.donor_id == TeamMember.user_id, DonorTally.scope == SCOPE_TEAM,
                               DonorTally.scope_id == TeamMember.team_id))
        .join(User, User.id == TeamMember.user_id)
        .where(Team.campaign_id == campaign.id, DonorTally.named_gifts > 0)
        .order_by(DonorTally.named_net_minor.desc(), User.id).limit(limit)).all()
    return [MemberRow(name, team_name, team_id, amount, count) for name, team_name, team_id, amount, count in rows]


def matching_pools(campaign: Campaign) -> list[MatchingPool]:
    return list(db.session.scalars(select(MatchingPool).where(MatchingPool.campaign_id == campaign.id)
                                   .order_by(MatchingPool.id)))


def campaign_for_page(campaign_id: int) -> Campaign | None:
    """The campaign with its fund, place, author, pictures and updates.

    Whether it has pictures and updates comes with the campaign (two EXISTS), and each list is read only
    when there is one: most campaigns have neither, and selectinload's loader machinery cost a sixth of the
    campaign page's Python even when it found nothing (BENCHMARKS.md).
    """
    row = db.session.execute(_campaign_page_statement(), {"campaign_id": campaign_id}).first()
    if row is None:
        return None
    campaign, any_images, any_updates = row
    if "images" not in inspect(campaign).unloaded:
        return campaign  # already in this session with its lists (a page reloading what it just changed)
    images = list(db.session.scalars(select(CampaignImage).where(CampaignImage.campaign_id == campaign_id)
                                     .order_by(CampaignImage.position))) if any_images else []
    updates = list(db.session.scalars(select(CampaignUpdate).options(joinedload(CampaignUpdate.author))
                                      .where(CampaignUpdate.campaign_id == campaign_id)
                                      .order_by(CampaignUpdate.created_at.desc()))) if any_updates else []
    set_committed_value(campaign, "images", images)
    set_committed_value(campaign, "updates", updates)
    return campaign


@lru_cache(maxsize=1)
def _campaign_page_statement():
    """Built once (the busiest page's statement: building it cost a fifth of its Python)."""
    has_images = exists().where(CampaignImage.campaign_id == Campaign.id)
    has_updates = exists().where(CampaignUpdate.campaign_id == Campaign.id)
    return (select(Campaign, has_images, has_updates)
            .options(joinedload(Campaign.fund).joinedload(Fund.place), joinedload(Campaign.created_by))
            .where(Campaign.id == bindparam("campaign_id")))


def team_members(team: Team) -> list[TeamMember]:
    return list(db.session.scalars(select(TeamMember).options(joinedload(TeamMember.user))
                                   .where(TeamMember.team_id == team.id).order_by(TeamMember.joined_at)))


def team_member_totals(team: Team) -> dict[int, int]:
    """member id -> net money of that member's own named gifts credited to this team (see member_leaderboard)."""
    return dict(db.session.execute(
        select(DonorTally.donor_id, DonorTally.named_net_minor)
        .join(TeamMember, and_(TeamMember.team_id == DonorTally.scope_id, TeamMember.user_id == DonorTally.donor_id))
        .where(DonorTally.scope == SCOPE_TEAM, DonorTally.scope_id == team.id, DonorTally.named_gifts > 0)).all())


# --- management --------------------------------------------------------------------------------------

def fund_role_holders(fund: Fund) -> list[RoleAssignment]:
    return list(db.session.scalars(
        select(RoleAssignment).options(joinedload(RoleAssignment.user))
        .where(RoleAssignment.scope_type == roles.SCOPE_FUND, RoleAssignment.scope_id == fund.id)
        .order_by(case((RoleAssignment.role == roles.TREASURER, 0), else_=1), RoleAssignment.granted_at)))


def fund_disbursements(fund: Fund, open_only: bool = False) -> list[Disbursement]:
    statement = (select(Disbursement).options(joinedload(Disbursement.requested_by), joinedload(Disbursement.campaign))
                 .where(Disbursement.fund_id == fund.id)
                 .order_by(case((Disbursement.status == REQUESTED, 0), (Disbursement.status == APPROVED, 1),
                                else_=2), Disbursement.requested_at.desc()))
    if open_only:
        statement = statement.where(Disbursement.status.in_((REQUESTED, APPROVED)))
    return list(db.session.scalars(statement))


def fund_pledges(fund: Fund, limit: int = 100) -> list[InKindPledge]:
    return list(db.session.scalars(select(InKindPledge).options(joinedload(InKindPledge.campaign))
                                   .where(InKindPledge.fund_id == fund.id)
                                   .order_by(InKindPledge.created_at.desc(), InKindPledge.id.desc()).limit(limit)))


def pending_offline_gifts(fund: Fund) -> int:
    return db.session.scalar(select(func.count()).select_from(gifts.Donation).where(
        gifts.Donation.fund_id == fund.id, gifts.Donation.provider == gifts.OFFLINE,
        gifts.Donation.status == gifts.PENDING)) or 0


def disbursement_of(disbursement_id: int) -> Disbursement | None:
    return db.session.scalar(select(Disbursement).options(
        joinedload(Disbursement.fund).joinedload(Fund.place), joinedload(Disbursement.requested_by),
        joinedload(Disbursement.decided_by), joinedload(Disbursement.paid_by), joinedload(Disbursement.campaign),
        joinedload(Disbursement.organisation)).where(Disbursement.id == disbursement_id))



# --- the routes' objects (loaders for object_policy: None is a 404) ----------------------------------

def fund_for_page(fund_id: int) -> Fund | None:
    return db.session.scalar(_fund_page_statement(), {"fund_id": fund_id})


@lru_cache(maxsize=1)
def _fund_page_statement():
    return select(Fund).options(joinedload(Fund.place)).where(Fund.id == bindparam("fund_id"))


def team_for_page(team_id: int) -> Team | None:
    return db.session.scalar(select(Team).options(
        joinedload(Team.campaign).joinedload(Campaign.fund).joinedload(Fund.place), joinedload(Team.captain))
        .where(Team.id == team_id))


def pledge_for_page(pledge_id: int) -> InKindPledge | None:
    return db.session.scalar(select(InKindPledge).options(joinedload(InKindPledge.fund).joinedload(Fund.place))
                             .where(InKindPledge.id == pledge_id))


def load_campaign_image(campaign_id: int, image_id: int) -> CampaignImage | None:
    """One of the campaign's pictures, with its campaign and fund (a picture of another campaign is not found)."""
    return db.session.scalar(select(CampaignImage).options(
        joinedload(CampaignImage.campaign).joinedload(Campaign.fund).joinedload(Fund.place))
        .where(CampaignImage.id == image_id, CampaignImage.campaign_id == campaign_id))


@dataclass(frozen=True)
class FundRole:
    """A role held on a fund: what the revoke route loads and its policy reads."""

    fund: Fund
    assignment: RoleAssignment


def load_fund_role(fund_id: int, assignment_id: int) -> FundRole | None:
    """A role held on this fund (a role on another scope is not found)."""
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.scope_type != roles.SCOPE_FUND or assignment.scope_id != fund_id:
        return None
    fund = fund_for_page(fund_id)
    return FundRole(fund, assignment) if fund is not None else None


def requestable_organisations(user) -> list:
    """Verified organisations `user` may name as the recipient of a disbursement."""
    from portal.orgs.models import VERIFIED, Organisation

    statement = select(Organisation).where(Organisation.status == VERIFIED)
    if not can_request_for_any_organisation(user):
        own = [a.scope_id for a in user.role_assignments
               if a.role == roles.ORG_ADMIN and a.scope_type == roles.SCOPE_ORGANISATION]
        statement = statement.where(Organisation.id.in_(own))
    return list(db.session.scalars(statement.order_by(Organisation.name).limit(500)))
