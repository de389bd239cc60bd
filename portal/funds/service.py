"""The only code that changes funds, campaigns and their lifecycle, teams and matching pools (disbursements
are in portal/funds/disbursements.py, in-kind pledges in portal/funds/in_kind.py). Money moves only through
portal.funds.ledger (and gifts through portal.payments); every step here writes an audit record.
"""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select

from portal.accounts import roles
from portal.accounts.scopes import register_scope_model
from portal.audit import service as audit
from portal.core import pipeline
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.lifecycle import check_step, move_status
from portal.core.money import check_amount_minor
from portal.core.time import utcnow
from portal.core.uploads import IMAGE_TYPES, store_upload
from portal.extensions import db
from portal.funds import hooks, ledger
from portal.funds.checks import block_text, flush_unique, line_text, lock_row
from portal.funds.ledger import sum_minor
from portal.funds.models import (
    ALL_OR_NOTHING,
    CAMPAIGN_STATUSES,
    CLOSED,
    DRAFT,
    ENDED,
    FAILED,
    FUND_KINDS,
    FUNDING_MODELS,
    LIVE,
    PURPOSE_GENERAL,
    PURPOSE_KINDS,
    SUCCEEDED,
    Campaign,
    CampaignImage,
    CampaignUpdate,
    Fund,
    MatchingPool,
    Team,
    TeamMember,
)
from portal.payments import models as gifts
from portal.places.models import COMMUNITY, STREET

register_scope_model(roles.SCOPE_FUND, Fund)  # accounts names and checks these scopes through it

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# Lifecycles (DESIGN.md section 5): current status -> the statuses it may move to.
CAMPAIGN_TRANSITIONS = {
    DRAFT: {LIVE},
    LIVE: {SUCCEEDED, ENDED, FAILED},
    SUCCEEDED: {CLOSED},
    ENDED: {CLOSED},
    FAILED: {CLOSED},
}
FUND_ROLES = (roles.TREASURER, roles.FUND_COMMITTEE)
DISPLAY_MODES = ("named", "initials", "anonymous")
MAX_RATIO = 100  # a sponsor giving more than 100 yuan per yuan is a typo
MAX_CAMPAIGN_DAYS = 366
# gifts whose money (or part of it) is in the fund
MONEY_IN = (gifts.SUCCEEDED, gifts.PARTIALLY_REFUNDED)


# --- dates: people type days in Asia/Shanghai, the database keeps UTC ---------------------------------

def day_start(day: date) -> datetime:
    """00:00 of `day` in Asia/Shanghai, as UTC."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(ZoneInfo("UTC"))


def day_end(day: date) -> datetime:
    """The last second of `day` in Asia/Shanghai, as UTC (a campaign 'ending on' a day runs through it)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL_TZ).astimezone(ZoneInfo("UTC"))


def local_day(moment: datetime | None) -> date | None:
    return None if moment is None else moment.astimezone(LOCAL_TZ).date()


# --- funds ---------------------------------------------------------------------------------------

def _fund_snapshot(fund: Fund) -> dict:
    return {"name": fund.name, "kind": fund.kind, "place_id": fund.place_id, "description": fund.description,
            "is_active": fund.is_active}


def _clean_fund(place, kind, name, description, fund: Fund | None = None) -> dict:
    if place is None:
        raise ValidationFailed(_("Choose the community or street the fund belongs to."), field="place")
    if place.kind not in (STREET, COMMUNITY):
        raise ValidationFailed(_("A fund belongs to a community or a street."), field="place")
    if kind not in FUND_KINDS:
        raise ValidationFailed(_("Choose the kind of fund from the list."), field="kind")
    name = line_text(name, "name", _("Enter the fund's name."), 120)
    others = select(Fund.id).where(func.lower(Fund.name) == name.lower())
    if fund is not None:
        others = others.where(Fund.id != fund.id)
    if db.session.scalar(others.limit(1)):
        raise ValidationFailed(_("Another fund already has this name."), field="name")
    description = block_text(description, "description", None, 5000)
    return {"place_id": place.id, "kind": kind, "name": name, "description": description}


def create_fund(actor, place, kind: str, name: str, description: str = "") -> Fund:
    fund = Fund(**_clean_fund(place, kind, name, description), currency="CNY")
    db.session.add(fund)
    flush_unique(_("Another fund already has this name."), "name")
    audit.record("fund.created", "fund", fund.id, actor=actor, after=_fund_snapshot(fund))
    return fund


def update_fund(fund: Fund, actor, place, kind: str, name: str, description: str, is_active: bool = True) -> Fund:
    before = _fund_snapshot(fund)
    for key, value in _clean_fund(place, kind, name, description, fund).items():
        setattr(fund, key, value)
    fund.is_active = bool(is_active)
    flush_unique(_("Another fund already has this name."), "name")
    audit.record("fund.updated", "fund", fund.id, actor=actor, before=before, after=_fund_snapshot(fund))
    return fund


def grant_fund_role(fund: Fund, email: str, role: str, actor):
    """Appoint a treasurer or committee member (through the accounts service, which audits it)."""
    from portal.accounts import service as accounts

    if role not in FUND_ROLES:
        raise ValidationFailed(_("Choose treasurer or committee member."), field="role")
    user = accounts.find_user_by_email(email)
    if user is None:
        raise ValidationFailed(_("No account uses this email."), field="email")
    return accounts.grant_role(user, role, roles.SCOPE_FUND, fund.id, granted_by=actor)


def revoke_fund_role(fund: Fund, assignment, actor) -> None:
    from portal.accounts import service as accounts

    if assignment.scope_type != roles.SCOPE_FUND or assignment.scope_id != fund.id or assignment.role not in FUND_ROLES:
        raise DomainError(_("This role is not held on this fund."))
    accounts.revoke_role(assignment, revoked_by=actor)


# --- campaigns -----------------------------------------------------------------------------------

def _campaign_snapshot(campaign: Campaign) -> dict:
    return {"title": campaign.title, "summary": campaign.summary, "goal_minor": campaign.goal_minor,
            "starts_at": campaign.starts_at.isoformat() if campaign.starts_at else None,
            "ends_at": campaign.ends_at.isoformat() if campaign.ends_at else None,
            "funding_model": campaign.funding_model, "purpose_kind": campaign.purpose_kind,
            "purpose_object_id": campaign.purpose_object_id, "purpose_text": campaign.purpose_text,
            "status": campaign.status}


def _clean_campaign(title, summary, story_md, goal_minor, starts_at, ends_at, funding_model, purpose_kind,
                    purpose_text, purpose_object_id) -> dict:
    title = line_text(title, "title", _("Enter a title."), 120)
    summary = line_text(summary, "summary", None, 300)
    story_md = block_text(story_md, "story_md", None, 20000)
    goal_minor = check_amount_minor(goal_minor, field="goal")
    if starts_at is None:
        raise ValidationFailed(_("Enter the day the campaign starts."), field="starts_at")
    if ends_at is None:
        raise ValidationFailed(_("Enter the day the campaign ends."), field="ends_at")
    if ends_at <= starts_at:
        raise ValidationFailed(_("The campaign must end after it starts."), field="ends_at")
    if ends_at - starts_at > timedelta(days=MAX_CAMPAIGN_DAYS):
        raise ValidationFailed(_("A campaign runs for at most a year."), field="ends_at")
    if funding_model not in FUNDING_MODELS:
        raise ValidationFailed(_("Choose keep-it-all or all-or-nothing."), field="funding_model")
    if purpose_kind not in PURPOSE_KINDS:
        raise ValidationFailed(_("Choose what the money is for from the list."), field="purpose_kind")
    purpose_text = line_text(purpose_text, "purpose_text", None, 300)
    if purpose_kind != PURPOSE_GENERAL and not purpose_text and purpose_object_id is None:
        raise ValidationFailed(_("Say which project or need the money is for."), field="purpose_text")
    if purpose_kind == PURPOSE_GENERAL:
        purpose_object_id = None
    elif purpose_object_id is not None and (not isinstance(purpose_object_id, int) or purpose_object_id <= 0):
        raise ValidationFailed(_("Enter the number of the project or need."), field="purpose_object_id")
    return {"title": title, "summary": summary, "story_md": story_md, "goal_minor": goal_minor,
            "starts_at": starts_at, "ends_at": ends_at, "funding_model": funding_model,
            "purpose_kind": purpose_kind, "purpose_text": purpose_text, "purpose_object_id": purpose_object_id}


def create_campaign(fund: Fund, actor, *, title: str, summary: str = "", story_md: str = "", goal_minor: int,
                    starts_at: datetime, ends_at: datetime, funding_model: str = "keep_it_all",
                    purpose_kind: str = PURPOSE_GENERAL, purpose_text: str = "",
                    purpose_object_id: int | None = None) -> Campaign:
    if not fund.is_active:
        raise DomainError(_("This fund is closed and cannot start campaigns."))
    details = _clean_campaign(title, summary, story_md, goal_minor, starts_at, ends_at, funding_model,
                              purpose_kind, purpose_text, purpose_object_id)
    campaign = Campaign(fund_id=fund.id, currency=fund.currency, created_by_id=actor.id, status=DRAFT, **details)
    db.session.add(campaign)
    db.session.flush()
    audit.record("campaign.created", "campaign", campaign.id, actor=actor, after=_campaign_snapshot(campaign))
    return campaign


# Once people have given on the strength of these, they stay as announced.
LOCKED_WHEN_LIVE = ("goal_minor", "funding_model", "starts_at")


def update_campaign(campaign: Campaign, actor, **fields) -> Campaign:
    if campaign.status not in (DRAFT, LIVE):
        raise IllegalTransition(_("A finished campaign can no longer be changed."))
    current = _campaign_snapshot(campaign)
    details = _clean_campaign(**{key: fields.get(key, getattr(campaign, key)) for key in (
        "title", "summary", "story_md", "goal_minor", "starts_at", "ends_at", "funding_model", "purpose_kind",
        "purpose_text", "purpose_object_id")})
    if campaign.status == LIVE:
        messages = {"goal_minor": (_("The goal cannot change once the campaign is live."), "goal"),
                    "funding_model": (_("The funding model cannot change once the campaign is live."),
                                      "funding_model"),
                    "starts_at": (_("The start day cannot change once the campaign is live."), "starts_at")}
        for key in LOCKED_WHEN_LIVE:
            if details[key] != getattr(campaign, key):
                message, field = messages[key]
                raise ValidationFailed(message, field=field)
        if details["ends_at"] <= utcnow():
            raise ValidationFailed(_("The end day of a live campaign must be in the future."), field="ends_at")
    for key, value in details.items():
        setattr(campaign, key, value)
    db.session.flush()
    audit.record("campaign.updated", "campaign", campaign.id, actor=actor, before=current,
                 after=_campaign_snapshot(campaign))
    return campaign


def publish_campaign(campaign: Campaign, actor) -> Campaign:
    """draft -> live: open for gifts from its start day."""
    if campaign.status == DRAFT and campaign.ends_at <= utcnow():
        raise ValidationFailed(_("The end day has passed: move it to the future before publishing."),
                               field="ends_at")
    if campaign.status == DRAFT and not campaign.fund.is_active:
        raise DomainError(_("This fund is closed and cannot start campaigns."))
    before = move_status(campaign, CAMPAIGN_TRANSITIONS, CAMPAIGN_STATUSES, LIVE, _("A campaign"))
    campaign.published_at = utcnow()
    db.session.flush()
    audit.record("campaign.published", "campaign", campaign.id, actor=actor, before={"status": before},
                 after={"status": campaign.status})
    return campaign


def ensure_campaign_accepts_gifts(campaign: Campaign, team: Team | None = None, now: datetime | None = None) -> None:
    """Payments call this before taking a gift for a campaign (and a team of it)."""
    _check_accepts_gifts(campaign.status, campaign.fund.is_active, campaign.starts_at, campaign.ends_at,
                         now or utcnow())
    if team is not None and team.campaign_id != campaign.id:
        raise DomainError(_("This team belongs to another campaign."), field="team", code="team_mismatch")


def campaign_gift_check(campaign_id: int, gift_at: datetime, now: datetime | None = None
                        ) -> tuple[tuple[str, str] | None, bool]:
    """For money arriving for the campaign: ((the campaign's status, why) when it comes after the campaign
    stopped taking gifts, else None; whether a matching pool of the campaign is open at the gift's time).
    The rule of ensure_campaign_accepts_gifts on plain columns of the campaign and its fund, and the pool
    question ledger.post_gift would ask, in one statement built once, without locks (a webhook gift asks it
    before any hot row)."""
    [(status, fund_active, starts_at, ends_at, pool_open)] = pipeline.fetch(
        _GIFT_CHECK, {"campaign_id": campaign_id, "at": gift_at})
    try:
        _check_accepts_gifts(status, fund_active, starts_at, ends_at, now or utcnow())
    except DomainError as error:
        return (status, error.message), bool(pool_open)
    return None, bool(pool_open)


def _check_accepts_gifts(status: str, fund_active: bool, starts_at: datetime, ends_at: datetime,
                         now: datetime) -> None:
    if status != LIVE:
        if status == DRAFT:
            raise DomainError(_("This campaign is not published yet and cannot take gifts."), field="campaign",
                              code="campaign_not_live")
        raise DomainError(_("This campaign has finished and no longer takes gifts. You can give to its fund "
                            "instead."), field="campaign", code="campaign_not_live")
    if not fund_active:
        raise DomainError(_("This fund is closed and no longer takes gifts."), field="campaign",
                          code="fund_closed")
    if now < starts_at:
        raise DomainError(_("This campaign opens for gifts on %(day)s.", day=local_day(starts_at)),
                          field="campaign", code="campaign_not_started")
    if now > ends_at:
        raise DomainError(_("This campaign's time is over; it no longer takes gifts."), field="campaign",
                          code="campaign_over")


_CAMPAIGNS, _FUNDS = Campaign.__table__, Fund.__table__
_GIFT_CHECK = (select(_CAMPAIGNS.c.status, _FUNDS.c.is_active, _CAMPAIGNS.c.starts_at, _CAMPAIGNS.c.ends_at,
                      ledger.open_pool_exists(_CAMPAIGNS.c.id, bindparam("at")))
               .join_from(_CAMPAIGNS, _FUNDS, _FUNDS.c.id == _CAMPAIGNS.c.fund_id)
               .where(_CAMPAIGNS.c.id == bindparam("campaign_id")))


def _raised_for_outcome(campaign: Campaign) -> int:
    """Raised from the ledger itself (not the cache): the outcome decides whether money goes back."""
    return ledger.campaign_raised(campaign.id)


def finish_campaign(campaign: Campaign, actor=None) -> Campaign:
    """live -> succeeded (goal reached) | ended (keep-it-all, goal missed) | failed (all-or-nothing,
    goal missed: every gift is refunded through payments)."""
    campaign = lock_campaign_with_gifts(campaign.id)
    raised = _raised_for_outcome(campaign)
    if raised >= campaign.goal_minor:
        target = SUCCEEDED
    elif campaign.funding_model == ALL_OR_NOTHING:
        target = FAILED
    else:
        target = ENDED
    before = move_status(campaign, CAMPAIGN_TRANSITIONS, CAMPAIGN_STATUSES, target, _("A campaign"))
    campaign.finished_at = utcnow()
    db.session.flush()
    audit.record("campaign.finished", "campaign", campaign.id, actor=actor, before={"status": before},
                 after={"status": target, "raised_minor": raised, "goal_minor": campaign.goal_minor})
    hooks.campaign_finished(campaign, actor)  # payments stops its monthly gifts; a failed one's gifts go back
    return campaign


def close_campaign(campaign: Campaign, actor) -> Campaign:
    check_step(campaign, CAMPAIGN_TRANSITIONS, CAMPAIGN_STATUSES, CLOSED, _("A campaign"))
    if campaign.status == FAILED and refundable_gifts(campaign.id):
        raise DomainError(_("Some gifts of this campaign are not refunded yet; it can close once they are."),
                          code="refunds_owed")
    before = move_status(campaign, CAMPAIGN_TRANSITIONS, CAMPAIGN_STATUSES, CLOSED, _("A campaign"))
    db.session.flush()
    audit.record("campaign.closed", "campaign", campaign.id, actor=actor, before={"status": before},
                 after={"status": CLOSED})
    return campaign


def refundable_gifts(campaign_id: int) -> list[tuple]:
    """(donation, amount still to refund) for gifts of a campaign with money not yet given back.

    Refunds still waiting for the provider's confirmation count as given back, so a retry never
    refunds the same money twice.
    """
    pending = (select(gifts.Refund.donation_id, sum_minor(gifts.Refund.amount_minor).label("pending"))
               .where(gifts.Refund.status == gifts.PENDING).group_by(gifts.Refund.donation_id).subquery())
    rows = db.session.execute(
        select(gifts.Donation, func.coalesce(pending.c.pending, 0))
        .outerjoin(pending, pending.c.donation_id == gifts.Donation.id)
        .where(gifts.Donation.campaign_id == campaign_id, gifts.Donation.status.in_(MONEY_IN))
        .order_by(gifts.Donation.id)).all()
    return [(donation, donation.amount_minor - donation.refunded_minor - waiting) for donation, waiting in rows
            if donation.amount_minor - donation.refunded_minor - waiting > 0]


def lock_paid_gifts(campaign_id: int) -> None:
    """The campaign's paid gifts, locked in ascending id: gifts come before their campaign in the lock
    order (portal/core/retry.py), and a second run of the same step waits here, then finds nothing owed."""
    db.session.execute(select(gifts.Donation.id).where(gifts.Donation.campaign_id == campaign_id,
                                                       gifts.Donation.status.in_(MONEY_IN))
                       .order_by(gifts.Donation.id).with_for_update())


def lock_campaign_with_gifts(campaign_id: int) -> Campaign:
    """The campaign row locked (and read again) after its paid gifts: gifts come before their campaign."""
    lock_paid_gifts(campaign_id)
    return lock_row(Campaign, campaign_id)


def finished_as_failed(campaign: Campaign) -> bool:
    """Failed (all-or-nothing, goal missed), or closed after failing. No column keeps the outcome once a
    campaign is closed; the audit record of its finish does (written by finish_campaign)."""
    from portal.audit.models import AuditEvent

    if campaign.status == FAILED:
        return True
    if campaign.status != CLOSED or campaign.funding_model != ALL_OR_NOTHING:
        return False
    finished = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "campaign.finished", AuditEvent.object_type == "campaign",
        AuditEvent.object_id == str(campaign.id)).order_by(AuditEvent.id.desc()).limit(1))
    return finished is not None and (finished.after or {}).get("status") == FAILED


def gifts_left_to_refund(campaign: Campaign) -> int:
    return len(refundable_gifts(campaign.id)) if campaign.status == FAILED else 0


def due_campaigns(now: datetime | None = None) -> list[Campaign]:
    """Live campaigns whose end has passed (what `portal campaigns finish-due` finishes)."""
    now = now or utcnow()
    return list(db.session.scalars(select(Campaign).where(Campaign.status == LIVE, Campaign.ends_at < now)
                                   .order_by(Campaign.ends_at, Campaign.id)))


# --- campaign updates and images ---------------------------------------------------------------------

def post_campaign_update(campaign: Campaign, author, title: str, body_md: str) -> CampaignUpdate:
    if campaign.status == DRAFT:
        raise IllegalTransition(_("Publish the campaign before posting updates."))
    update = CampaignUpdate(campaign_id=campaign.id, author_id=author.id,
                            title=line_text(title, "title", _("Enter a title."), 120),
                            body_md=block_text(body_md, "body_md", _("Write the update."), 20000))
    db.session.add(update)
    db.session.flush()
    audit.record("campaign.update_posted", "campaign", campaign.id, actor=author,
                 after={"update_id": update.id, "title": update.title})
    return update


def add_campaign_image(campaign: Campaign, actor, file_storage, caption: str = "") -> CampaignImage:
    if campaign.status not in (DRAFT, LIVE):
        raise IllegalTransition(_("A finished campaign can no longer be changed."))
    caption = line_text(caption, "caption", None, 200)
    stored = store_upload(file_storage, IMAGE_TYPES, field="image")
    position = db.session.scalar(select(func.coalesce(func.max(CampaignImage.position), -1))
                                 .where(CampaignImage.campaign_id == campaign.id)) + 1
    image = CampaignImage(campaign_id=campaign.id, storage_key=stored.storage_key, caption=caption,
                          position=position)
    db.session.add(image)
    db.session.flush()
    audit.record("campaign.image_added", "campaign", campaign.id, actor=actor,
                 after={"image_id": image.id, "sha256": stored.sha256})
    return image


def remove_campaign_image(image: CampaignImage, actor) -> None:
    audit.record("campaign.image_removed", "campaign", image.campaign_id, actor=actor,
                 before={"image_id": image.id, "storage_key": image.storage_key})
    db.session.delete(image)
    db.session.flush()


# --- teams (众筹小分队) ----------------------------------------------------------------------------

def team_of_user_in(campaign_id: int, user_id: int) -> Team | None:
    return db.session.scalar(select(Team).join(TeamMember).where(Team.campaign_id == campaign_id,
                                                                 TeamMember.user_id == user_id))


def _check_team_open(campaign: Campaign) -> None:
    if campaign.status != LIVE:
        raise IllegalTransition(_("Teams can only be formed while the campaign is live."))


def create_team(campaign: Campaign, captain, name: str, goal_minor: int, story: str = "") -> Team:
    campaign = lock_row(Campaign, campaign.id)  # one team per person per campaign, even under double clicks
    _check_team_open(campaign)
    name = line_text(name, "name", _("Give the team a name."), 80)
    goal_minor = check_amount_minor(goal_minor, field="goal")
    story = block_text(story, "story", None, 5000)
    existing = team_of_user_in(campaign.id, captain.id)
    if existing is not None:
        raise DomainError(_("You are already in the team “%(team)s” of this campaign.", team=existing.name),
                          field="name", code="already_in_team")
    if db.session.scalar(select(Team.id).where(Team.campaign_id == campaign.id,
                                               func.lower(Team.name) == name.lower()).limit(1)):
        raise ValidationFailed(_("Another team of this campaign has this name."), field="name")
    team = Team(campaign_id=campaign.id, name=name, goal_minor=goal_minor, story=story, captain_id=captain.id)
    db.session.add(team)
    flush_unique(_("Another team of this campaign has this name."), "name")
    db.session.add(TeamMember(team_id=team.id, user_id=captain.id))
    db.session.flush()
    audit.record("team.created", "team", team.id, actor=captain,
                 after={"campaign_id": campaign.id, "name": name, "goal_minor": goal_minor})
    return team


def update_team(team: Team, actor, name: str, goal_minor: int, story: str = "") -> Team:
    """The captain (or the campaign's managers) renames the team, moves its goal or retells its story."""
    lock_row(Campaign, team.campaign_id)  # the same lock as forming a team, so two teams cannot take one name
    _check_team_open(team.campaign)
    name = line_text(name, "name", _("Give the team a name."), 80)
    goal_minor = check_amount_minor(goal_minor, field="goal")
    story = block_text(story, "story", None, 5000)
    if db.session.scalar(select(Team.id).where(Team.campaign_id == team.campaign_id, Team.id != team.id,
                                               func.lower(Team.name) == name.lower()).limit(1)):
        raise ValidationFailed(_("Another team of this campaign has this name."), field="name")
    before = {"name": team.name, "goal_minor": team.goal_minor, "story": team.story}
    team.name, team.goal_minor, team.story = name, goal_minor, story
    flush_unique(_("Another team of this campaign has this name."), "name")
    after = {"name": name, "goal_minor": goal_minor, "story": story}
    changed = [key for key in after if before[key] != after[key]]
    if changed:
        audit.record("team.updated", "team", team.id, actor=actor, before={key: before[key] for key in changed},
                     after={key: after[key] for key in changed})
    return team


def join_team(team: Team, user) -> TeamMember:
    lock_row(Campaign, team.campaign_id)
    _check_team_open(team.campaign)
    existing = team_of_user_in(team.campaign_id, user.id)
    if existing is not None:
        if existing.id == team.id:
            raise DomainError(_("You are already in this team."), code="already_in_team")
        raise DomainError(_("You are already in the team “%(team)s” of this campaign; a person joins one team "
                            "per campaign.", team=existing.name), code="already_in_team")
    member = TeamMember(team_id=team.id, user_id=user.id)
    db.session.add(member)
    db.session.flush()
    audit.record("team.joined", "team", team.id, actor=user, after={"user_id": user.id})
    return member


def leave_team(team: Team, user) -> None:
    if team.captain_id == user.id:
        raise DomainError(_("The captain cannot leave the team."), code="captain_leaves")
    _check_team_open(team.campaign)
    member = db.session.get(TeamMember, (team.id, user.id))
    if member is None:
        raise DomainError(_("You are not in this team."), code="not_in_team")
    db.session.delete(member)
    db.session.flush()
    audit.record("team.left", "team", team.id, actor=user, before={"user_id": user.id})


# --- matching pools (配捐) -------------------------------------------------------------------------

def create_matching_pool(campaign: Campaign, actor, *, sponsor_name: str, ratio_numerator: int,
                         ratio_denominator: int, cap_minor: int, per_donor_cap_minor: int | None,
                         starts_at: datetime, ends_at: datetime, sponsor_user=None) -> MatchingPool:
    if campaign.status not in (DRAFT, LIVE):
        raise IllegalTransition(_("Matching can only be added to a draft or live campaign."))
    sponsor_name = line_text(sponsor_name, "sponsor_name", _("Enter the sponsor's name."), 120)
    for value, field in ((ratio_numerator, "ratio_numerator"), (ratio_denominator, "ratio_denominator")):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RATIO:
            raise ValidationFailed(_("Enter a whole number from 1 to %(max)d.", max=MAX_RATIO), field=field)
    cap_minor = check_amount_minor(cap_minor, field="cap")
    if per_donor_cap_minor is not None:
        per_donor_cap_minor = check_amount_minor(per_donor_cap_minor, field="per_donor_cap")
        if per_donor_cap_minor > cap_minor:
            raise ValidationFailed(_("The limit per donor cannot be above the pool's cap."), field="per_donor_cap")
    if starts_at is None or ends_at is None:
        raise ValidationFailed(_("Enter the first and last day of matching."), field="ends_at")
    if ends_at <= starts_at:
        raise ValidationFailed(_("Matching must end after it starts."), field="ends_at")
    pool = MatchingPool(campaign_id=campaign.id, sponsor_name=sponsor_name,
                        sponsor_user_id=getattr(sponsor_user, "id", None), ratio_numerator=ratio_numerator,
                        ratio_denominator=ratio_denominator, cap_minor=cap_minor,
                        per_donor_cap_minor=per_donor_cap_minor, starts_at=starts_at, ends_at=ends_at)
    db.session.add(pool)
    db.session.flush()
    audit.record("matching_pool.created", "matching_pool", pool.id, actor=actor,
                 after={"campaign_id": campaign.id, "sponsor_name": sponsor_name,
                        "ratio": f"{ratio_numerator}:{ratio_denominator}", "cap_minor": cap_minor,
                        "per_donor_cap_minor": per_donor_cap_minor})
    return pool
