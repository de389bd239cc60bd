"""The only code that changes resident needs: posting, backing (+1 once each), triage (accept, merge,
decline), links to the project, campaign or tender that answers a need, and the reads the pages use."""
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload
from werkzeug.routing import BuildError

from portal.accounts.models import User
from portal.audit import service as audit
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.lifecycle import move_status
from portal.core.time import utcnow
from portal.extensions import db
from portal.needs import hooks as needs_hooks
from portal.needs.models import (
    ACCEPTED,
    ANSWERED,
    DECLINED,
    LINK_TARGETS,
    MERGED,
    NEED_STATUSES,
    OPEN,
    Need,
    NeedBacking,
    NeedLink,
)
from portal.needs.policy import can_post_on_behalf
from portal.needs.similarity import Candidate, rank_similar
from portal.notifications import service as notifications
from portal.places.models import COMMUNITY, GRID, Place
from portal.places.service import subtree_ids_query
from portal.projects import hooks as projects_hooks
from portal.projects.models import CATEGORIES

# The triage lifecycle: current status -> statuses it may move to (linking moves accepted -> answered).
TRANSITIONS = {
    OPEN: {ACCEPTED, MERGED, DECLINED},
    ACCEPTED: {MERGED, DECLINED, ANSWERED},
    ANSWERED: set(),
    MERGED: set(),
    DECLINED: set(),
}
ACTIVE = (OPEN, ACCEPTED)
SIMILAR_CANDIDATES = 500  # the most-backed active needs of a community considered for duplicates


class AlreadyBacked(DomainError):
    def __init__(self, message: str):
        super().__init__(message, field="need", code="already_backed")


def _text(value, field_name: str, limit: int, required: str | None = None, one_line: bool = True) -> str:
    text = " ".join((value or "").split()) if one_line else (value or "").strip()
    if required and not text:
        raise ValidationFailed(required, field=field_name)
    if len(text) > limit:
        raise ValidationFailed(_("Too long (at most %(limit)d characters).", limit=limit), field=field_name)
    return text


def community_of(place: Place) -> Place:
    """The community a need belongs to: the place itself, or the grid's community."""
    if place.kind == GRID and place.parent is not None:
        return place.parent
    return place


def places_for_choices() -> list[Place]:
    """Communities and their grids, in tree order: a need is posted for one of them."""
    return list(db.session.scalars(select(Place).where(Place.kind.in_((COMMUNITY, GRID))).order_by(Place.path)))


# --- posting and backing ---------------------------------------------------------------------------

def post_need(user: User, place: Place | None, title: str, description: str = "", affected_group: str = "",
              affected_count=0, category: str | None = None, on_behalf_of: str | None = None) -> Need:
    """A need for a community or grid; the poster backs it. A grid worker may post for a resident."""
    if place is None or place.kind not in (COMMUNITY, GRID):
        raise ValidationFailed(_("Choose the community or grid where the need is."), field="place")
    title = _text(title, "title", 120, _("Say in a few words what is needed."))
    description = _text(description, "description", 5000, one_line=False)
    affected_group = _text(affected_group, "affected_group", 120)
    try:
        affected_count = int(affected_count or 0)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Enter a whole number."), field="affected_count") from None
    if affected_count < 0:
        raise ValidationFailed(_("The number cannot be negative."), field="affected_count")
    if affected_count > 1_000_000:
        raise ValidationFailed(_("The number is too large."), field="affected_count")
    category = category or None
    if category is not None and category not in CATEGORIES:
        raise ValidationFailed(_("Choose a category from the list."), field="category")
    on_behalf_of = _text(on_behalf_of, "on_behalf_of", 80) or None
    if on_behalf_of and not can_post_on_behalf(user, place):
        raise ValidationFailed(_("Only the grid worker of this grid can post on a resident's behalf."),
                               field="on_behalf_of")
    now = utcnow()
    need = Need(place_id=place.id, title=title, description=description, affected_group=affected_group,
                affected_count=affected_count, category=category, status=OPEN, posted_by_id=user.id,
                on_behalf_of=on_behalf_of, created_at=now, backing_count=1)
    db.session.add(need)
    db.session.flush()
    db.session.add(NeedBacking(need_id=need.id, user_id=user.id, created_at=now))
    db.session.flush()
    audit.record("need.posted", "need", need.id, actor=user,
                 after={"place_id": place.id, "title": title, "on_behalf": bool(on_behalf_of)})
    return need


def has_backed(need: Need, user: User) -> bool:
    if not user.is_authenticated:
        return False
    return db.session.get(NeedBacking, (need.id, user.id)) is not None


def back_need(need: Need, user: User) -> Need:
    """+1 once per person; the cached count moves in one atomic UPDATE with the new row."""
    if need.status == MERGED:
        raise IllegalTransition(_("This need was merged into another one; back that one instead."))
    if need.status not in ACTIVE:
        raise IllegalTransition(_("A need that is “%(status)s” cannot be backed.", status=NEED_STATUSES[need.status]))
    if has_backed(need, user):
        raise AlreadyBacked(_("You already back this need. Each person counts once."))
    try:
        with db.session.begin_nested():
            db.session.add(NeedBacking(need_id=need.id, user_id=user.id, created_at=utcnow()))
            db.session.flush()
    except IntegrityError:  # the same person, a moment ago, in another tab
        raise AlreadyBacked(_("You already back this need. Each person counts once.")) from None
    db.session.execute(update(Need).where(Need.id == need.id).values(backing_count=Need.backing_count + 1))
    db.session.refresh(need, ["backing_count"])
    return need


# --- triage ----------------------------------------------------------------------------------------

def _move(need: Need, target: str, actor: User, action: str, after: dict | None = None) -> None:
    before = move_status(need, TRANSITIONS, NEED_STATUSES, target, _("A need"))
    need.triaged_by_id = actor.id
    need.triaged_at = utcnow()
    db.session.flush()
    audit.record(action, "need", need.id, actor=actor, before={"status": before},
                 after={"status": target, **(after or {})})


def _tell_backers(need: Need, actor: User, body: str) -> None:
    backers = db.session.scalars(select(NeedBacking.user_id).where(NeedBacking.need_id == need.id,
                                                                   NeedBacking.user_id != actor.id))
    notifications.notify_many(backers, "need_triaged", need.title, body=body,
                              url=url_for("needs.detail", need_id=need.id))


def accept_need(need: Need, worker: User) -> Need:
    _move(need, ACCEPTED, worker, "need.accepted")
    _tell_backers(need, worker, _("The community accepted this need and will look for an answer."))
    return need


def decline_need(need: Need, worker: User, reason: str) -> Need:
    reason = _text(reason, "reason", 2000, _("Give the reason; the residents who back the need will read it."),
                   one_line=False)
    _move(need, DECLINED, worker, "need.declined", {"reason": reason})
    need.decline_reason = reason
    db.session.flush()
    _tell_backers(need, worker, reason)
    return need


def merge_need(need: Need, into: Need | None, worker: User) -> Need:
    """`need` duplicates `into`: its backers move over (each person still counts once) and it closes."""
    if into is None:
        raise ValidationFailed(_("Choose the need to merge into."), field="merge_into")
    if into.id == need.id:
        raise ValidationFailed(_("A need cannot be merged into itself."), field="merge_into")
    if into.status not in ACTIVE:
        raise ValidationFailed(_("Merge into an open or accepted need."), field="merge_into")
    if community_of(into.place).id != community_of(need.place).id:
        raise ValidationFailed(_("Merge only needs of the same community."), field="merge_into")
    _move(need, MERGED, worker, "need.merged", {"merged_into_id": into.id})
    need.merged_into_id = into.id
    # Backers of both count once: copy only those not already behind `into`, then empty the merged need.
    already = aliased(NeedBacking)
    moved = db.session.execute(insert(NeedBacking).from_select(
        ["need_id", "user_id", "created_at"],
        select(literal(into.id), NeedBacking.user_id, NeedBacking.created_at).where(
            NeedBacking.need_id == need.id,
            ~exists().where(and_(already.need_id == into.id, already.user_id == NeedBacking.user_id)))))
    db.session.execute(delete(NeedBacking).where(NeedBacking.need_id == need.id))
    recount = (select(func.count()).select_from(NeedBacking).where(NeedBacking.need_id == Need.id)
               .correlate(Need).scalar_subquery())
    db.session.execute(update(Need).where(Need.id.in_((need.id, into.id))).values(backing_count=recount),
                       execution_options={"synchronize_session": False})
    db.session.refresh(need)
    db.session.refresh(into)
    audit.record("need.backings_moved", "need", into.id, actor=worker,
                 after={"from_need_id": need.id, "moved": moved.rowcount, "backing_count": into.backing_count})
    _tell_backers(into, worker, _("“%(title)s” was merged into this need; your backing counts here.",
                                  title=need.title))
    return need


def _link_target(target_type: str, target_id) -> object:
    from portal.projects.models import DRAFT, ServiceProject

    if target_type not in LINK_TARGETS:
        raise ValidationFailed(_("Choose what answers the need."), field="target_type")
    try:
        target_id = int(target_id)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Choose the project or campaign."), field="target_id") from None
    if target_type == "tender":
        found = [call for call in needs_hooks.tender_for_link(target_id) if call is not None]
        if not found:
            raise ValidationFailed(_("Choose a published call for services."), field="target_id")
        return found[0]
    if target_type == "project":
        project = db.session.get(ServiceProject, target_id)
        if project is None or project.status == DRAFT:
            raise ValidationFailed(_("Choose a published service project."), field="target_id")
        return project
    campaign_model = _campaign_model()
    campaign = db.session.get(campaign_model, target_id) if campaign_model is not None else None
    if campaign is None or campaign.status == "draft":
        raise ValidationFailed(_("Choose a published crowdfunding campaign."), field="target_id")
    return campaign


def _campaign_model():
    try:
        from portal.funds.models import Campaign
    except ImportError:
        return None
    return Campaign


def link_need(need: Need, worker: User, target_type: str, target_id, note: str = "") -> NeedLink:
    """Record what answers an accepted need; the first link makes it "answered"."""
    if need.status not in (ACCEPTED, ANSWERED):
        raise IllegalTransition(_("Accept the need before linking what answers it."))
    target = _link_target(target_type, target_id)
    note = _text(note, "note", 300)
    link = NeedLink(need_id=need.id, target_type=target_type, target_id=target.id, note=note,
                    linked_by_id=worker.id, linked_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(link)
            db.session.flush()
    except IntegrityError:
        raise ValidationFailed(_("This need is already linked to it."), field="target_id") from None
    audit.record("need.linked", "need", need.id, actor=worker,
                 after={"target_type": target_type, "target_id": target.id, "note": note})
    if need.status == ACCEPTED:
        _move(need, ANSWERED, worker, "need.answered")
    _tell_backers(need, worker, _("Linked to “%(title)s”.", title=target.title))
    return link


# --- reading ---------------------------------------------------------------------------------------

def load_need(need_id: int) -> Need | None:
    return db.session.scalar(select(Need).options(
        joinedload(Need.place).joinedload(Place.parent), joinedload(Need.posted_by),
        joinedload(Need.merged_into)).where(Need.id == need_id))


def board_query(place: Place | None = None, status: str = ""):
    """Needs of `place` and the places under it, most backed first, then oldest (waiting longest)."""
    statement = (select(Need).options(joinedload(Need.place))
                 .order_by(Need.backing_count.desc(), Need.created_at, Need.id))
    if status in NEED_STATUSES:
        statement = statement.where(Need.status == status)
    elif status != "all":
        statement = statement.where(Need.status.in_((OPEN, ACCEPTED, ANSWERED)))
    if place is not None:
        statement = statement.where(Need.place_id.in_(subtree_ids_query(place)))
    return statement


def backed_ids(user: User, need_ids: list[int]) -> set[int]:
    if not user.is_authenticated or not need_ids:
        return set()
    return set(db.session.scalars(select(NeedBacking.need_id).where(NeedBacking.user_id == user.id,
                                                                    NeedBacking.need_id.in_(need_ids))))


def similar_needs(place: Place, text: str, exclude_id: int | None = None, limit: int = 5) -> list[dict]:
    """Open or accepted needs of the same community whose titles look like `text` (one query, then Python)."""
    community = community_of(place)
    statement = (select(Need.id, Need.title, Need.backing_count, Need.status)
                 .where(Need.place_id.in_(subtree_ids_query(community)), Need.status.in_(ACTIVE))
                 .order_by(Need.backing_count.desc(), Need.id).limit(SIMILAR_CANDIDATES))
    if exclude_id is not None:
        statement = statement.where(Need.id != exclude_id)
    candidates = [Candidate(id=row.id, title=row.title, backing_count=row.backing_count, status=row.status)
                  for row in db.session.execute(statement)]
    return [{"id": candidate.id, "title": candidate.title, "backing_count": candidate.backing_count,
             "status": candidate.status, "score": round(score, 3),
             "url": url_for("needs.detail", need_id=candidate.id)}
            for candidate, score in rank_similar(text, candidates, limit=limit)]


def merge_candidates(need: Need) -> list[Need]:
    community = community_of(need.place)
    return list(db.session.scalars(
        select(Need).where(Need.place_id.in_(subtree_ids_query(community)), Need.status.in_(ACTIVE),
                           Need.id != need.id)
        .order_by(Need.backing_count.desc(), Need.id).limit(100)))


def merged_from(need: Need) -> list[Need]:
    return list(db.session.scalars(select(Need).where(Need.merged_into_id == need.id).order_by(Need.id)))


def _around(need: Need):
    """Places that can hold what answers `need`: its ancestors (a street-wide project) or its community's subtree."""
    community = community_of(need.place)
    return or_(Place.id.in_(need.place.ancestor_ids), Place.path.startswith(community.path, autoescape=True))


def project_candidates(need: Need) -> list:
    from portal.projects.models import CANCELLED, DRAFT, ProjectPlace, ServiceProject

    return list(db.session.scalars(
        select(ServiceProject).where(
            ServiceProject.status.not_in((DRAFT, CANCELLED)),
            ServiceProject.places.any(ProjectPlace.place_id.in_(select(Place.id).where(_around(need)))))
        .order_by(ServiceProject.title).limit(200)))


def campaign_candidates(need: Need) -> list:
    campaign_model = _campaign_model()
    if campaign_model is None:
        return []
    from portal.funds.models import Fund

    return list(db.session.scalars(
        select(campaign_model).join(Fund, Fund.id == campaign_model.fund_id).where(
            campaign_model.status != "draft", Fund.place_id.in_(select(Place.id).where(_around(need))))
        .order_by(campaign_model.title).limit(200)))


def _optional_url(endpoint: str, **values) -> str | None:
    """A link to a page of a domain built alongside (funds, volunteering); None while it does not exist."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def campaign_url(campaign_id: int) -> str | None:
    return _optional_url("funds.campaign_detail", campaign_id=campaign_id)


@dataclass
class ChainStep:
    """One thing answering a need, with what it has achieved so far."""

    link: NeedLink
    kind: str
    title: str
    url: str | None
    status: str | None = None
    status_label: str | None = None
    overall_progress: float | None = None
    average_rating: float | None = None
    rating_count: int = 0
    raised_minor: int | None = None
    goal_minor: int | None = None
    indicators: list = field(default_factory=list)
    volunteer_url: str | None = None


def chain_of(need: Need) -> list[ChainStep]:
    """need -> links -> the project's results and ratings, or the campaign's progress."""
    from portal.projects import results as project_results
    from portal.projects import service as projects
    from portal.projects.models import PROJECT_STATUSES, ServiceProject

    links = list(db.session.scalars(select(NeedLink).where(NeedLink.need_id == need.id).order_by(NeedLink.id)))
    project_ids = [link.target_id for link in links if link.target_type == "project"]
    campaign_ids = [link.target_id for link in links if link.target_type == "campaign"]
    projects_by_id = {p.id: p for p in db.session.scalars(
        select(ServiceProject).options(joinedload(ServiceProject.organisation))
        .where(ServiceProject.id.in_(project_ids)))} if project_ids else {}
    campaign_model = _campaign_model()
    campaigns_by_id = {c.id: c for c in db.session.scalars(
        select(campaign_model).where(campaign_model.id.in_(campaign_ids)))} if campaign_ids and campaign_model else {}
    tender_ids = [link.target_id for link in links if link.target_type == "tender"]
    tenders_by_id = {}
    for found in (needs_hooks.tender_chain(tender_ids) if tender_ids else ()):
        tenders_by_id.update(found)
    steps = []
    for link in links:
        if link.target_type == "project" and link.target_id in projects_by_id:
            project = projects_by_id[link.target_id]
            results = project_results.results_of(project)
            steps.append(ChainStep(
                link=link, kind="project", title=project.title,
                url=url_for("projects.detail", project_id=project.id), status=project.status,
                status_label=str(PROJECT_STATUSES[project.status]), overall_progress=results.overall,
                average_rating=projects.average_rating(project), rating_count=project.rating_count,
                indicators=results.rows, volunteer_url=_optional_url("volunteering.project_opportunities",
                                                                     project_id=project.id)))
        elif link.target_type == "campaign" and link.target_id in campaigns_by_id:
            campaign = campaigns_by_id[link.target_id]
            steps.append(ChainStep(link=link, kind="campaign", title=campaign.title, url=campaign_url(campaign.id),
                                   status=campaign.status, raised_minor=campaign.raised_minor,
                                   goal_minor=campaign.goal_minor))
        elif link.target_type == "tender" and link.target_id in tenders_by_id:
            tender = tenders_by_id[link.target_id]
            steps.append(ChainStep(link=link, kind="tender", title=tender["title"], url=tender["url"],
                                   status=tender["status"], status_label=tender["status_label"]))
    return steps


def needs_answered_by(target_type: str, target_id: int) -> list[Need]:
    """The needs linked to a project or campaign (for its page: "answers these resident needs")."""
    return list(db.session.scalars(
        select(Need).join(NeedLink, NeedLink.need_id == Need.id)
        .where(NeedLink.target_type == target_type, NeedLink.target_id == target_id)
        .order_by(Need.backing_count.desc(), Need.id)))


projects_hooks.needs_answered.register(lambda project: needs_answered_by("project", project.id))
