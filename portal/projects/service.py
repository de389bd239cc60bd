"""The only code that changes service projects: posting and editing, the lifecycle, photos, updates (and
followers' notifications), follows and ratings; indicators and results reports live in projects/results.py."""
from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.models import User
from portal.audit import service as audit
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.lifecycle import check_step, move_status
from portal.core.markdown import render_markdown
from portal.core.money import parse_amount
from portal.core.time import utcnow
from portal.core.uploads import IMAGE_TYPES, store_upload
from portal.extensions import db
from portal.funds import fundable
from portal.notifications import service as notifications
from portal.orgs.models import PENDING, VERIFIED, Organisation
from portal.places.models import COMMUNITY, STREET, Place
from portal.places.service import subtree_ids_query
from portal.projects import hooks
from portal.projects.models import (
    CANCELLED,
    CATEGORIES,
    COMPLETED,
    DELIVERY_MODELS,
    DRAFT,
    IN_PROGRESS,
    PROJECT_STATUSES,
    PUBLISHED,
    SERVICE_TYPES,
    ProjectFollower,
    ProjectPhoto,
    ProjectPlace,
    ProjectRating,
    ProjectUpdate,
    ServiceProject,
)
from portal.projects.policy import organisation_ids_of

# The lifecycle (DESIGN.md section 5): current status -> statuses it may move to.
TRANSITIONS = {
    DRAFT: {PUBLISHED},
    PUBLISHED: {IN_PROGRESS, CANCELLED},
    IN_PROGRESS: {COMPLETED, CANCELLED},
    COMPLETED: set(),
    CANCELLED: set(),
}
EDITABLE_STATUSES = {DRAFT, PUBLISHED, IN_PROGRESS}
REPORTABLE_STATUSES = {IN_PROGRESS, COMPLETED}
RATEABLE_STATUSES = {IN_PROGRESS, COMPLETED}
# Organisations that may prepare drafts; only verified ones publish.
DRAFTING_ORG_STATUSES = {PENDING, VERIFIED}
# Public list order: running and open projects first, then finished, drafts, cancelled.
STATUS_ORDER = {IN_PROGRESS: 0, PUBLISHED: 1, COMPLETED: 2, DRAFT: 3, CANCELLED: 4}
MAX_PHOTOS = 12


# --- small validators ------------------------------------------------------------------------------

def _text(value, field: str, limit: int, required_message: str | None = None, one_line: bool = True) -> str:
    text = " ".join((value or "").split()) if one_line else (value or "").strip()
    if required_message and not text:
        raise ValidationFailed(required_message, field=field)
    if len(text) > limit:
        raise ValidationFailed(_("Too long (at most %(limit)d characters).", limit=limit), field=field)
    return text



def _count(value, field: str) -> int:
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Enter a whole number."), field=field) from None
    if number < 0:
        raise ValidationFailed(_("The number cannot be negative."), field=field)
    if number > 10_000_000:
        raise ValidationFailed(_("The number is too large."), field=field)
    return number


# --- posting and editing ---------------------------------------------------------------------------

def organisations_for(user: User) -> list[Organisation]:
    """The organisations `user` may post projects for (administrator or member, not rejected or suspended)."""
    ids = organisation_ids_of(user)
    if not ids:
        return []
    return list(db.session.scalars(select(Organisation).where(
        Organisation.id.in_(ids), Organisation.status.in_(DRAFTING_ORG_STATUSES)).order_by(Organisation.name)))


def places_for_choices() -> list[Place]:
    """Streets and communities, in tree order (a project serves one or more of them)."""
    return list(db.session.scalars(select(Place).where(Place.kind.in_((STREET, COMMUNITY))).order_by(Place.path)))


def place_options() -> list:
    """places_for_choices as (id, kind, name, path) rows, for the list's filter (no Place objects built)."""
    return db.session.execute(select(Place.id, Place.kind, Place.name, Place.path)
                              .where(Place.kind.in_((STREET, COMMUNITY))).order_by(Place.path)).all()


@dataclass
class ProjectDetails:
    title: str
    summary: str
    description_md: str
    category: str
    service_type: str
    delivery_model: str
    target_groups: str
    places: list
    starts_on: date | None
    ends_on: date | None
    budget: str
    funding_sources: str
    beneficiaries_target: object


def _clean(details: ProjectDetails) -> dict:
    """Check every field as a form would, so forms, demo data and any API get the same rules."""
    clean = {
        "title": _text(details.title, "title", 120, _("Give the project a title.")),
        "summary": _text(details.summary, "summary", 300, _("Say in one or two sentences what the project does.")),
        "description_md": _text(details.description_md, "description_md", 20000, one_line=False),
        "target_groups": _text(details.target_groups, "target_groups", 200),
        "funding_sources": _text(details.funding_sources, "funding_sources", 300),
    }
    if details.category not in CATEGORIES:
        raise ValidationFailed(_("Choose a category from the list."), field="category")
    if details.service_type not in SERVICE_TYPES:
        raise ValidationFailed(_("Choose a service type from the list."), field="service_type")
    if details.delivery_model not in DELIVERY_MODELS:
        raise ValidationFailed(_("Choose how the service is delivered."), field="delivery_model")
    places = [place for place in details.places if place is not None]
    if not places:
        raise ValidationFailed(_("Choose at least one street or community the project serves."), field="places")
    if any(place.kind not in (STREET, COMMUNITY) for place in places):
        raise ValidationFailed(_("Choose streets or communities."), field="places")
    if details.starts_on is None:
        raise ValidationFailed(_("Enter the start date."), field="starts_on")
    if details.ends_on is None:
        raise ValidationFailed(_("Enter the end date."), field="ends_on")
    if details.ends_on < details.starts_on:
        raise ValidationFailed(_("The project cannot end before it starts."), field="ends_on")
    if (details.ends_on - details.starts_on).days > 366 * 5:
        raise ValidationFailed(_("A project runs at most five years; split longer work into phases."),
                               field="ends_on")
    clean.update(category=details.category, service_type=details.service_type,
                 delivery_model=details.delivery_model, starts_on=details.starts_on, ends_on=details.ends_on,
                 budget_minor=parse_amount(details.budget, field="budget", minimum_minor=0),
                 beneficiaries_target=_count(details.beneficiaries_target, "beneficiaries_target"),
                 place_ids=sorted({place.id for place in places}))
    return clean


def _snapshot(project: ServiceProject) -> dict:
    return {"title": project.title, "summary": project.summary, "category": project.category,
            "service_type": project.service_type, "delivery_model": project.delivery_model,
            "target_groups": project.target_groups, "starts_on": str(project.starts_on),
            "ends_on": str(project.ends_on), "budget_minor": project.budget_minor,
            "funding_sources": project.funding_sources, "beneficiaries_target": project.beneficiaries_target,
            "place_ids": sorted(link.place_id for link in project.places), "status": project.status,
            "description_length": len(project.description_md or "")}


def _apply(project: ServiceProject, clean: dict) -> None:
    place_ids = clean.pop("place_ids")
    for key, value in clean.items():
        setattr(project, key, value)
    current = {link.place_id: link for link in project.places}
    project.places = [current.get(place_id) or ProjectPlace(place_id=place_id) for place_id in place_ids]


def create_project(organisation: Organisation, user: User, details: ProjectDetails) -> ServiceProject:
    """A draft project of `organisation`, posted by one of its members."""
    if organisation.status not in DRAFTING_ORG_STATUSES:
        raise DomainError(_("%(organisation)s cannot post projects while it is “%(status)s”.",
                            organisation=organisation.name, status=_org_status_label(organisation)),
                          field="organisation")
    clean = _clean(details)
    project = ServiceProject(organisation_id=organisation.id, created_by_id=user.id, status=DRAFT, currency="CNY")
    _apply(project, clean)
    db.session.add(project)
    db.session.flush()
    audit.record("project.created", "service_project", project.id, actor=user, after=_snapshot(project))
    return project


def check_editable(project: ServiceProject) -> None:
    """A project past its service (completed, cancelled) keeps its details: the edit page is a 409."""
    if project.status not in EDITABLE_STATUSES:
        raise IllegalTransition(_("A project that is “%(status)s” can no longer be edited.",
                                  status=PROJECT_STATUSES[project.status]))


def update_project(project: ServiceProject, editor: User, details: ProjectDetails) -> ServiceProject:
    check_editable(project)
    before = _snapshot(project)
    _apply(project, _clean(details))
    db.session.flush()
    after = _snapshot(project)
    changed = sorted(key for key in after if after[key] != before[key])
    if changed:
        audit.record("project.updated", "service_project", project.id, actor=editor,
                     before={key: before[key] for key in changed}, after={key: after[key] for key in changed})
    return project


def _org_status_label(organisation: Organisation) -> str:
    from portal.orgs.models import STATUS_LABELS

    return str(STATUS_LABELS.get(organisation.status, organisation.status))


def change_status(project: ServiceProject, target: str, actor: User) -> ServiceProject:
    """One step of draft -> published -> in_progress -> completed | cancelled; anything else is a 409."""
    check_step(project, TRANSITIONS, PROJECT_STATUSES, target, _("A project"))
    if target == PUBLISHED:
        organisation = db.session.get(Organisation, project.organisation_id)
        if organisation.status != VERIFIED:
            raise IllegalTransition(_("Only verified organisations publish projects; %(organisation)s is "
                                      "“%(status)s”. The draft is kept and can be published once the "
                                      "organisation is verified.", organisation=organisation.name,
                                      status=_org_status_label(organisation)))
    before = move_status(project, TRANSITIONS, PROJECT_STATUSES, target, _("A project"))
    if target == PUBLISHED and project.published_at is None:
        project.published_at = utcnow()
    db.session.flush()
    audit.record("project.status_changed", "service_project", project.id, actor=actor,
                 before={"status": before}, after={"status": target})
    return project


# --- photos ----------------------------------------------------------------------------------------

def add_photo(project: ServiceProject, file_storage, caption: str, user: User) -> ProjectPhoto:
    if project.status == CANCELLED:
        raise IllegalTransition(_("A cancelled project takes no new photos."))
    caption = _text(caption, "caption", 200)
    count = db.session.scalar(select(func.count()).select_from(ProjectPhoto).where(
        ProjectPhoto.project_id == project.id)) or 0
    if count >= MAX_PHOTOS:
        raise ValidationFailed(_("A project shows at most %(count)d photos; remove one first.", count=MAX_PHOTOS),
                               field="photo")
    stored = store_upload(file_storage, IMAGE_TYPES, field="photo")
    photo = ProjectPhoto(project_id=project.id, storage_key=stored.storage_key, caption=caption, position=count)
    db.session.add(photo)
    db.session.flush()
    audit.record("project.photo_added", "service_project", project.id, actor=user,
                 after={"photo_id": photo.id, "sha256": stored.sha256, "size": stored.size})
    return photo


def remove_photo(photo: ProjectPhoto, user: User) -> None:
    project_id = photo.project_id
    audit.record("project.photo_removed", "service_project", project_id, actor=user,
                 before={"photo_id": photo.id, "storage_key": photo.storage_key})
    db.session.delete(photo)
    db.session.flush()


# --- updates and followers -------------------------------------------------------------------------

def post_update(project: ServiceProject, author: User, title: str, body_md: str) -> ProjectUpdate:
    if project.status == DRAFT:
        raise IllegalTransition(_("Publish the project before posting updates."))
    update_row = ProjectUpdate(project_id=project.id, author_id=author.id, created_at=utcnow(),
                               title=_text(title, "title", 120, _("Give the update a title.")),
                               body_md=_text(body_md, "body_md", 10000, one_line=False))
    db.session.add(update_row)
    db.session.flush()
    audit.record("project.update_posted", "service_project", project.id, actor=author,
                 after={"update_id": update_row.id, "title": update_row.title})
    followers = db.session.scalars(select(ProjectFollower.user_id).where(
        ProjectFollower.project_id == project.id, ProjectFollower.user_id != author.id))
    notifications.notify_many(followers, "project_update", f"{project.title}: {update_row.title}",
                              body=plain_text(update_row.body_md)[:300],
                              url=url_for("projects.detail", project_id=project.id) + f"#update-{update_row.id}")
    return update_row


def plain_text(markdown_source: str) -> str:
    """Markdown as the words a notification shows (no markup, no ** or #)."""
    return render_markdown(markdown_source).striptags()


def is_following(project: ServiceProject, user: User) -> bool:
    if not user.is_authenticated:
        return False
    return db.session.get(ProjectFollower, (project.id, user.id)) is not None


def follow(project: ServiceProject, user: User) -> bool:
    """True when `user` now follows and did not before; the cached count moves in the same UPDATE."""
    if project.status == DRAFT:
        raise IllegalTransition(_("Drafts cannot be followed."))
    if is_following(project, user):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(ProjectFollower(project_id=project.id, user_id=user.id, created_at=utcnow()))
            db.session.flush()
    except IntegrityError:  # a second tab followed a moment ago
        return False
    db.session.execute(update(ServiceProject).where(ServiceProject.id == project.id)
                       .values(follower_count=ServiceProject.follower_count + 1))
    return True


def unfollow(project: ServiceProject, user: User) -> bool:
    result = db.session.execute(delete(ProjectFollower).where(
        ProjectFollower.project_id == project.id, ProjectFollower.user_id == user.id))
    if not result.rowcount:
        return False
    db.session.execute(update(ServiceProject).where(ServiceProject.id == project.id)
                       .values(follower_count=ServiceProject.follower_count - 1))
    return True


# --- ratings ---------------------------------------------------------------------------------------

def _score(score) -> int:
    try:
        value = int(score)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Choose 1 to 5 stars."), field="score") from None
    if not 1 <= value <= 5:
        raise ValidationFailed(_("Choose 1 to 5 stars."), field="score")
    return value


def rating_of(project: ServiceProject, user: User) -> ProjectRating | None:
    if not user.is_authenticated:
        return None
    return db.session.scalar(select(ProjectRating).where(ProjectRating.project_id == project.id,
                                                         ProjectRating.user_id == user.id))


def rate_project(project: ServiceProject, user: User, score, comment: str) -> tuple[ProjectRating, bool]:
    """Rate once; rating again edits the same rating. Returns (rating, created). Caches move atomically."""
    if project.status not in RATEABLE_STATUSES:
        raise IllegalTransition(_("Projects can be rated once the service has started."))
    value = _score(score)
    comment = _text(comment, "comment", 2000, one_line=False)
    existing = rating_of(project, user)
    if existing is None:
        rating = ProjectRating(project_id=project.id, user_id=user.id, score=value, comment=comment,
                               created_at=utcnow(), updated_at=utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(rating)
                db.session.flush()
        except IntegrityError:  # the same person rated in another tab a moment ago: edit that one
            existing = rating_of(project, user)
        else:
            db.session.execute(update(ServiceProject).where(ServiceProject.id == project.id).values(
                rating_count=ServiceProject.rating_count + 1, rating_sum=ServiceProject.rating_sum + value))
            audit.record("project.rated", "service_project", project.id, actor=user,
                         after={"rating_id": rating.id, "score": value})
            return rating, True
    difference = value - existing.score
    existing.score = value
    existing.comment = comment
    existing.updated_at = utcnow()
    db.session.flush()
    if difference:
        db.session.execute(update(ServiceProject).where(ServiceProject.id == project.id).values(
            rating_sum=ServiceProject.rating_sum + difference))
    return existing, False


def reply_to_rating(rating: ProjectRating, user: User, reply: str) -> ProjectRating:
    rating.reply = _text(reply, "reply", 2000, _("Write the reply."), one_line=False)
    rating.replied_by_id = user.id
    rating.replied_at = utcnow()
    db.session.flush()
    project = db.session.get(ServiceProject, rating.project_id)
    audit.record("project.rating_replied", "service_project", rating.project_id, actor=user,
                 after={"rating_id": rating.id})
    notifications.notify(rating.user_id, "rating_reply", project.title, body=rating.reply,
                         url=url_for("projects.detail", project_id=project.id) + f"#rating-{rating.id}")
    return rating


def average_rating(project: ServiceProject) -> float | None:
    return project.rating_sum / project.rating_count if project.rating_count else None


# --- reading ---------------------------------------------------------------------------------------

def load_project(project_id: int) -> ServiceProject | None:
    return db.session.scalar(
        select(ServiceProject)
        .options(joinedload(ServiceProject.organisation), selectinload(ServiceProject.places)
                 .joinedload(ProjectPlace.place), selectinload(ServiceProject.photos),
                 selectinload(ServiceProject.indicators))
        .where(ServiceProject.id == project_id))


# The loaders of nested routes take every id in the URL and return None when the rows do not belong
# together (another project's photo is a 404, not a way to reach it through a project one may manage).

def load_photo(project_id: int, photo_id: int) -> ProjectPhoto | None:
    photo = db.session.get(ProjectPhoto, photo_id)
    return photo if photo is not None and photo.project_id == project_id else None


def load_rating(project_id: int, rating_id: int) -> ProjectRating | None:
    rating = db.session.get(ProjectRating, rating_id)
    return rating if rating is not None and rating.project_id == project_id else None


def projects_query(viewer, search: str = "", category: str = "", status: str = "", organisation_id=None,
                   place=None):
    """Projects for the list: the public sees published and later ones, members also their drafts.

    What the list shows (organisation, places) is loaded up front: one count, one page, one for places.
    `place` (a Place or a row of place_options) limits it to projects in that place and below.
    """
    own = organisation_ids_of(viewer) if viewer is not None and viewer.is_authenticated else []
    visible = ServiceProject.status != DRAFT
    if own:
        visible = or_(visible, ServiceProject.organisation_id.in_(own))
    order = case(STATUS_ORDER, value=ServiceProject.status, else_=9)
    statement = (select(ServiceProject)
                 .options(joinedload(ServiceProject.organisation),
                          selectinload(ServiceProject.places).joinedload(ProjectPlace.place))
                 .where(visible)
                 .order_by(order, ServiceProject.published_at.desc(), ServiceProject.id.desc()))
    if search:
        statement = statement.where(or_(ServiceProject.title.icontains(search, autoescape=True),
                                        ServiceProject.summary.icontains(search, autoescape=True)))
    if category in CATEGORIES:
        statement = statement.where(ServiceProject.category == category)
    if status in PROJECT_STATUSES:
        statement = statement.where(ServiceProject.status == status)
    if organisation_id:
        statement = statement.where(ServiceProject.organisation_id == organisation_id)
    if place is not None:
        statement = statement.where(ServiceProject.places.any(ProjectPlace.place_id.in_(subtree_ids_query(place))))
    return statement


def organisations_for_filter(viewer) -> list:
    """(id, name) rows for the list's filter: plain columns, not Organisation objects (a city has hundreds of
    organisations, and building each object cost more than the page's other work; BENCHMARKS.md)."""
    own = organisation_ids_of(viewer) if viewer is not None and viewer.is_authenticated else []
    condition = Organisation.status == VERIFIED
    if own:
        condition = or_(condition, Organisation.id.in_(own))
    return db.session.execute(select(Organisation.id, Organisation.name).where(condition)
                              .order_by(Organisation.name)).all()


def updates_of(project: ServiceProject) -> list[ProjectUpdate]:
    return list(db.session.scalars(select(ProjectUpdate).options(joinedload(ProjectUpdate.author))
                                   .where(ProjectUpdate.project_id == project.id)
                                   .order_by(ProjectUpdate.created_at.desc(), ProjectUpdate.id.desc())))


def ratings_of(project: ServiceProject) -> list[ProjectRating]:
    return list(db.session.scalars(select(ProjectRating).options(joinedload(ProjectRating.user))
                                   .where(ProjectRating.project_id == project.id)
                                   .order_by(ProjectRating.updated_at.desc(), ProjectRating.id.desc())))


def volunteer_summary(project_id: int) -> dict | None:
    """Volunteers and verified minutes, from volunteering (portal/projects/hooks.py); None without it."""
    return next(iter(hooks.volunteer_summary(project_id)), None)


def needs_answered(project: ServiceProject) -> list:
    """The resident needs this project answers, from needs (portal/projects/hooks.py)."""
    return [need for needs in hooks.needs_answered(project) for need in needs]



# --- what funds may pay for ------------------------------------------------------------------------

def fundable_projects(fund) -> list[tuple[int, str]]:
    """Projects serving the fund's place, a place under it or the street above it, not drafts or cancelled:
    the disbursement form offers them (portal.funds.fundable)."""
    place_ids = select(Place.id).where(or_(Place.id.in_(subtree_ids_query(fund.place)),
                                           Place.id.in_(fund.place.ancestor_ids)))
    rows = db.session.execute(
        select(ServiceProject.id, ServiceProject.title, Organisation.name)
        .join(Organisation, Organisation.id == ServiceProject.organisation_id)
        .where(ServiceProject.status.in_((PUBLISHED, IN_PROGRESS, COMPLETED)),
               ServiceProject.id.in_(select(ProjectPlace.project_id).where(ProjectPlace.place_id.in_(place_ids))))
        .order_by(ServiceProject.title, ServiceProject.id).limit(300))
    return [(row.id, f"{row.title} · {row.name}") for row in rows]


fundable.register_project_lister(fundable_projects)
