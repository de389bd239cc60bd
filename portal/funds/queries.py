"""What the funds pages show, each in a fixed number of queries (aggregates in SQL, never per row)."""
from dataclasses import dataclass, field

from sqlalchemy import and_, case, desc, func, select
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts import roles
from portal.accounts.models import RoleAssignment, User
from portal.core.pagination import Page, paginate
from portal.extensions import db
from portal.funds.ledger import sum_minor
from portal.funds.models import (
    APPROVED,
    DRAFT,
    IN_KIND_STATUSES,
    LIVE,
    REQUESTED,
    SOLD,
    WITHDRAWN,
    Campaign,
    CampaignImage,
    CampaignUpdate,
    Disbursement,
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


def donor_count(*, fund_id: int | None = None, campaign_id: int | None = None, team_id: int | None = None) -> int:
    """Distinct donors: accounts, plus distinct names typed on gifts without an account (offline gifts).

    Two DISTINCTs on plain columns, so the partial indexes on (campaign_id|fund_id, donor_id) serve them;
    one DISTINCT over a built string took a second with a million gifts (BENCHMARKS.md).
    """
    filters = [gifts.Donation.status.in_(COUNTED_GIFTS)]
    for column, value in ((gifts.Donation.fund_id, fund_id), (gifts.Donation.campaign_id, campaign_id),
                          (gifts.Donation.team_id, team_id)):
        if value is not None:
            filters.append(column == value)
    accounts = (select(gifts.Donation.donor_id).where(*filters, gifts.Donation.donor_id.is_not(None))
                .distinct().subquery())
    names = select(func.count(func.distinct(gifts.Donation.donor_name))).where(
        *filters, gifts.Donation.donor_id.is_(None)).scalar_subquery()
    return db.session.scalar(select(select(func.count()).select_from(accounts).scalar_subquery() + names)) or 0


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

@dataclass
class LedgerLine:
    entry: LedgerEntry
    amount_minor: int  # into (+) or out of (-) the fund's cash
    campaign: Campaign | None
    pool: MatchingPool | None


def ledger_page(fund: Fund, per_page: int = 50) -> Page:
    """One page of the fund's ledger, newest first: 5 queries whatever the page holds."""
    statement = (select(LedgerEntry).where(LedgerEntry.fund_id == fund.id)
                 .options(joinedload(LedgerEntry.donation), joinedload(LedgerEntry.disbursement))
                 .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc()))
    page = paginate(statement, per_page=per_page)
    ids = [entry.id for entry in page.items]
    amounts = dict(db.session.execute(select(Posting.entry_id, Posting.amount_minor).where(
        Posting.entry_id.in_(ids), Posting.account == fund_cash_account(fund.id))).all()) if ids else {}
    campaign_ids = {entry.campaign_id for entry in page.items if entry.campaign_id}
    campaigns = {c.id: c for c in db.session.scalars(select(Campaign).where(Campaign.id.in_(campaign_ids)))} \
        if campaign_ids else {}
    pool_ids = {entry.matching_pool_id for entry in page.items if entry.matching_pool_id}
    pools = {p.id: p for p in db.session.scalars(select(MatchingPool).where(MatchingPool.id.in_(pool_ids)))} \
        if pool_ids else {}
    page.items = [LedgerLine(entry, amounts.get(entry.id, 0), campaigns.get(entry.campaign_id),
                             pools.get(entry.matching_pool_id)) for entry in page.items]
    return page


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
    """The latest counted gifts, for the donors list (public names are chosen by each donor)."""
    statement = (select(gifts.Donation).where(gifts.Donation.status.in_(COUNTED_GIFTS))
                 .order_by(gifts.Donation.succeeded_at.desc(), gifts.Donation.id.desc()).limit(limit))
    if campaign_id is not None:
        statement = statement.where(gifts.Donation.campaign_id == campaign_id)
    if team_id is not None:
        statement = statement.where(gifts.Donation.team_id == team_id)
    return list(db.session.scalars(statement))


@dataclass
class TeamRow:
    team: Team
    members: int


def team_leaderboard(campaign: Campaign) -> list[TeamRow]:
    """Teams of a campaign by money raised (the ledger's cached team totals), with member counts."""
    members = (select(TeamMember.team_id, func.count().label("members")).group_by(TeamMember.team_id).subquery())
    rows = db.session.execute(
        select(Team, func.coalesce(members.c.members, 0)).outerjoin(members, members.c.team_id == Team.id)
        .options(joinedload(Team.captain)).where(Team.campaign_id == campaign.id)
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
    anonymous is never tied to a full name here.
    """
    net = sum_minor(gifts.Donation.amount_minor - gifts.Donation.refunded_minor)
    rows = db.session.execute(
        select(User.display_name, Team.name, Team.id, net.label("net"), func.count(gifts.Donation.id))
        .select_from(gifts.Donation)
        .join(Team, Team.id == gifts.Donation.team_id)
        .join(TeamMember, and_(TeamMember.team_id == gifts.Donation.team_id,
                               TeamMember.user_id == gifts.Donation.donor_id))
        .join(User, User.id == gifts.Donation.donor_id)
        .where(Team.campaign_id == campaign.id, gifts.Donation.status.in_(COUNTED_GIFTS),
               gifts.Donation.display_mode == gifts.NAMED)
        .group_by(User.id, User.display_name, Team.id, Team.name)
        .order_by(desc("net"), User.id).limit(limit)).all()
    return [MemberRow(name, team_name, team_id, amount, count) for name, team_name, team_id, amount, count in rows]


def matching_pools(campaign: Campaign) -> list[MatchingPool]:
    return list(db.session.scalars(select(MatchingPool).where(MatchingPool.campaign_id == campaign.id)
                                   .order_by(MatchingPool.id)))


def campaign_for_page(campaign_id: int) -> Campaign | None:
    return db.session.scalar(
        select(Campaign).options(joinedload(Campaign.fund).joinedload(Fund.place), joinedload(Campaign.created_by),
                                 selectinload(Campaign.images),
                                 selectinload(Campaign.updates).joinedload(CampaignUpdate.author))
        .where(Campaign.id == campaign_id))


def team_members(team: Team) -> list[TeamMember]:
    return list(db.session.scalars(select(TeamMember).options(joinedload(TeamMember.user))
                                   .where(TeamMember.team_id == team.id).order_by(TeamMember.joined_at)))


def team_member_totals(team: Team) -> dict[int, int]:
    """user id -> net money of that member's own named gifts credited to this team (see member_leaderboard)."""
    return dict(db.session.execute(
        select(gifts.Donation.donor_id, sum_minor(gifts.Donation.amount_minor - gifts.Donation.refunded_minor))
        .where(gifts.Donation.team_id == team.id, gifts.Donation.status.in_(COUNTED_GIFTS),
               gifts.Donation.donor_id.is_not(None), gifts.Donation.display_mode == gifts.NAMED)
        .group_by(gifts.Donation.donor_id)).all())


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
    return db.session.scalar(select(Fund).options(joinedload(Fund.place)).where(Fund.id == fund_id))


def team_for_page(team_id: int) -> Team | None:
    return db.session.scalar(select(Team).options(
        joinedload(Team.campaign).joinedload(Campaign.fund).joinedload(Fund.place), joinedload(Team.captain))
        .where(Team.id == team_id))


def pledge_for_page(pledge_id: int) -> InKindPledge | None:
    return db.session.scalar(select(InKindPledge).options(joinedload(InKindPledge.fund).joinedload(Fund.place))
                             .where(InKindPledge.id == pledge_id))


def campaign_image_of(campaign: Campaign, image_id: int) -> CampaignImage | None:
    """One of the campaign's pictures (a picture of another campaign is not found)."""
    image = db.session.get(CampaignImage, image_id)
    return image if image is not None and image.campaign_id == campaign.id else None


def fund_role_of(fund: Fund, assignment_id: int) -> RoleAssignment | None:
    """A role held on this fund (a role on another scope is not found)."""
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.scope_type != roles.SCOPE_FUND or assignment.scope_id != fund.id:
        return None
    return assignment


def requestable_organisations(user) -> list:
    """Verified organisations `user` may name as the recipient of a disbursement."""
    from portal.orgs.models import VERIFIED, Organisation

    statement = select(Organisation).where(Organisation.status == VERIFIED)
    if not can_request_for_any_organisation(user):
        own = [a.scope_id for a in user.role_assignments
               if a.role == roles.ORG_ADMIN and a.scope_type == roles.SCOPE_ORGANISATION]
        statement = statement.where(Organisation.id.in_(own))
    return list(db.session.scalars(statement.order_by(Organisation.name).limit(500)))
