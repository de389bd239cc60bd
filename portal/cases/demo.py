"""The demo street's month of grid cases (issue 13, item 7), built through the cases service with the portal's
clock set back to each step's moment (procurement's `on_day`).

About seventy cases on 夜明珠街道 (the street of 铁路坝社区) over the last thirty days, across eight categories
routed to the street's departments and one to a contracted organisation (one category is not public), reported
by the demo grid workers (from their phones, with a photo) and residents, with points around their grids. Each
case is planned as a path through the loop with a delay per step, within its SLA clock or past it; then every
step of every case is taken in the order of time, with the background worker's sweep
(`service.escalate_overdue_cases`) run before each one, as the worker would have run it, so a late step is
escalated to the district's big loop exactly when its clock ran out. Cases end in every state: some escalated
by hand, some overdue now, some reopened by an unsatisfied reporter, some sent back by the grid worker.

Idempotent: when the street's first demo category exists the cases are there and nothing is added.
"""
import io
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from portal.accounts import roles
from portal.accounts.models import RoleAssignment, User
from portal.accounts.passwords import hash_password
from portal.cases import service
from portal.cases.categories import create_category
from portal.cases.demo_data import (
    CASE_COUNT,
    CATEGORIES,
    CLOSE_NOTES,
    COMMUNITY_CENTRES,
    COMMUNITY_WORKERS,
    CONTRACTED_ORGANISATION,
    DAYS,
    DEPARTMENTS,
    ESCALATION_REASONS,
    FEEDBACK_NOTES,
    GRID_WORKERS,
    JITTER_DEGREES,
    REJECT_REASONS,
    SATISFIED_COMMENTS,
    SEND_BACK_NOTES,
    STREET_NAME,
    UNSATISFIED_COMMENTS,
    VERIFY_NOTES,
    DemoCategory,
)
from portal.cases.models import CASE_STATUSES, DISTRICT_LOOP, Case, CaseCategory, CasePhoto
from portal.contracts.models import ACTIVE, Contract
from portal.core.time import utcnow
from portal.demo_city import DEMO_PASSWORD, RESIDENT_COUNT, SEED, demo_email, ensure_role
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.places.models import COMMUNITY, GRID, STREET, Place
from portal.procurement import catalogue
from portal.procurement.demo import on_day
from portal.procurement.models import Department

# --- the plan of each case ------------------------------------------------------------------------

# the clock that runs before each step (service.py's table): its category hours bound an on-time step
CLOCK = {"file": "accept_hours", "reject": "accept_hours", "dispatch": "accept_hours", "accept": "accept_hours",
         "handle": "handle_hours", "feedback": "feedback_hours", "verify": "feedback_hours",
         "send_back": "feedback_hours", "close": None, "satisfied": None, "unsatisfied": None, "escalate": None}
LOOP = ["file", "dispatch", "accept", "handle", "feedback", "verify", "close"]
AGAIN = ["accept", "handle", "feedback", "verify", "close"]  # after a reopening (back to dispatched)
# outcome -> (steps taken, the step it now waits for, how many cases end so)
OUTCOMES = {
    "evaluated": (LOOP + ["satisfied"], None, 20),
    "unsatisfied_twice": (LOOP + ["unsatisfied"] + AGAIN + ["unsatisfied"], None, 1),
    "reopened_fixed": (LOOP + ["unsatisfied"] + AGAIN + ["satisfied"], None, 2),
    "reopened_open": (LOOP + ["unsatisfied"], "accept", 2),
    "sent_back_fixed": (LOOP[:5] + ["send_back", "handle", "feedback", "verify", "close", "satisfied"], None, 2),
    "sent_back_open": (LOOP[:5] + ["send_back"], "handle", 2),
    "closed": (LOOP, "satisfied", 7),
    "verified": (LOOP[:6], "close", 4),
    "handled_told": (LOOP[:5], "verify", 3),
    "handled": (LOOP[:4], "feedback", 4),
    "handling": (LOOP[:3], "handle", 8),
    "dispatched": (LOOP[:2], "accept", 6),
    "filed": (LOOP[:1], "dispatch", 3),
    "reported": ([], "file", 5),
    "rejected": (["reject"], None, 3),
}
LATE_FINISHED = 6  # finished cases with one step past its clock (escalated by the worker's sweep)
BY_HAND = 3  # escalated by hand right after dispatch (违章搭建 first)
OVERDUE_SHARE = 0.4  # of the open cases waiting on a running clock


@dataclass
class Plan:
    number: int
    category: DemoCategory
    place: Place
    community: Place
    reporter: User
    by_grid_worker: bool
    point: tuple[float, float] | None
    title: str
    outcome: str
    steps: list[tuple[float, str]] = field(default_factory=list)  # (hours after the report, step)
    reported_at: datetime | None = None
    category_id: int | None = None  # the stored category, once made


def _hours(category: DemoCategory, clock: str | None) -> float | None:
    return getattr(category, clock) if clock else None


def _delays(plan: Plan, rng: random.Random, late_step: str | None) -> float:
    """Plan each step's moment after the report; returns the hours from the report to the last step."""
    at, late_done = 0.0, False
    steps, _waiting, _count = OUTCOMES[plan.outcome]
    for step in steps:
        limit = _hours(plan.category, CLOCK[step])
        if limit is None:
            at += rng.uniform(3, 40) if step in ("satisfied", "unsatisfied") else rng.uniform(1, 10)
        elif step == late_step and not late_done:
            at += limit * rng.uniform(1.3, 2.2)
            late_done = True
        else:
            at += limit * rng.uniform(0.1, 0.7)
        plan.steps.append((at, step))
    return at


def _place_report(plan: Plan, total: float, now: datetime, rng: random.Random, overdue: bool) -> None:
    """When the case was reported: a finished case anywhere in the month; an open one so that the clock it waits
    on now has run out (overdue) or not yet."""
    earliest = now - timedelta(days=DAYS) + timedelta(hours=1)
    _steps, waiting, _count = OUTCOMES[plan.outcome]
    if waiting is None or waiting == "satisfied":
        latest = now - timedelta(hours=total + rng.uniform(2, 30))
        span = max((latest - earliest).total_seconds(), 0)
        plan.reported_at = earliest + timedelta(seconds=rng.uniform(0, span))
        return
    limit = _hours(plan.category, CLOCK[waiting])
    if limit is None:
        gap = rng.uniform(2, 30)
    else:
        gap = min(limit * rng.uniform(1.5, 3.5), 24 * 8) if overdue else limit * rng.uniform(0.15, 0.6)
    plan.reported_at = max(now - timedelta(hours=gap + total), earliest)


# --- people and places --------------------------------------------------------------------------

@dataclass
class People:
    handler: User  # the street's official: its departments' cases
    contractor: User | None
    grid_workers: dict[int, User]  # grid id -> its grid worker
    community_workers: dict[int, User]  # community id -> its worker
    residents: list[User]


def _user(local_part: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == demo_email(local_part)))


def _by_name(places: list[Place], name: str) -> Place:
    return next(place for place in places if place.name == name)


def _people(street: Place, places: list[Place], contract: Contract | None) -> People:
    """The demo's street official, grid workers and community workers (more of both for the street's other
    communities and grids, through the accounts service), and residents01..30."""
    admin, password_hash = _user("admin"), None
    for local_part, name, place_name in [*GRID_WORKERS, *COMMUNITY_WORKERS]:
        user = _user(local_part)
        if user is None:
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            user = User(email=demo_email(local_part), password_hash=password_hash, display_name=name,
                        locale="zh_CN", privacy_consent_at=utcnow())
            db.session.add(user)
            db.session.flush()
        role = roles.GRID_WORKER if local_part.startswith("grid-") else roles.COMMUNITY_WORKER
        ensure_role(user, role, roles.SCOPE_PLACE, _by_name(places, place_name).id, granted_by=admin)
    grid_workers = {_by_name(places, "铁路坝社区第1网格").id: _user("grid-worker")}
    grid_workers.update({_by_name(places, grid).id: _user(local) for local, _name, grid in GRID_WORKERS})
    community_workers = {_by_name(places, "铁路坝社区").id: _user("community-worker")}
    community_workers.update({_by_name(places, community).id: _user(local)
                              for local, _name, community in COMMUNITY_WORKERS})
    contractor = None
    if contract is not None:
        contractor = db.session.scalar(select(User).join(RoleAssignment, RoleAssignment.user_id == User.id).where(
            RoleAssignment.role == roles.ORG_ADMIN, RoleAssignment.scope_type == roles.SCOPE_ORGANISATION,
            RoleAssignment.scope_id == contract.organisation_id).order_by(RoleAssignment.id).limit(1))
    residents = [_user(f"resident{n:02d}") for n in range(1, RESIDENT_COUNT + 1)]
    return People(handler=_user("official-street"), contractor=contractor, grid_workers=grid_workers,
                  community_workers=community_workers, residents=[r for r in residents if r is not None])


def _grid_centre(grid: Place, community: Place, grids: list[Place]) -> tuple[float, float]:
    """Grids in a ring around their community's centre, so each grid's cases gather in one spot."""
    latitude, longitude = COMMUNITY_CENTRES[community.name]
    index = grids.index(grid)
    angle = 2 * math.pi * index / len(grids)
    return latitude + 0.0016 * math.sin(angle), longitude + 0.0019 * math.cos(angle)


# --- categories ---------------------------------------------------------------------------------

def _departments(street: Place, official: User) -> dict[str, Department]:
    found = {d.name: d for d in db.session.scalars(select(Department).where(Department.place_id == street.id))}
    for name in DEPARTMENTS:
        if name not in found:
            found[name] = catalogue.create_department(street, name, actor=official)
    return found


def _contract() -> Contract | None:
    return db.session.scalar(select(Contract).join(Organisation, Organisation.id == Contract.organisation_id).where(
        Organisation.name == CONTRACTED_ORGANISATION, Contract.status == ACTIVE).order_by(Contract.id).limit(1))


def _categories(street: Place, departments: dict[str, Department], contract: Contract | None,
                official: User) -> dict[str, CaseCategory]:
    """The street's categories, made by its official: the greenery category goes to the contracted
    organisation, or to the maintenance station without the contracts demo."""
    categories = {}
    for spec in CATEGORIES:
        contracted = spec.department is None and contract is not None
        department = None if contracted else departments[spec.department or DEPARTMENTS[2]]
        categories[spec.code] = create_category(
            official, place_id=street.id, code=spec.code, name=spec.name, description=spec.description,
            department_id=getattr(department, "id", None), contract_id=contract.id if contracted else None,
            accept_hours=spec.accept_hours, handle_hours=spec.handle_hours, feedback_hours=spec.feedback_hours,
            is_public=spec.is_public, is_active=True)
    return categories


# --- photos -------------------------------------------------------------------------------------

def _photo(rng: random.Random, name: str) -> FileStorage:
    """A small generated JPEG (a wall, a ground and a few shapes) standing in for a phone's photo."""
    image = Image.new("RGB", (160, 120), tuple(rng.randint(150, 230) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 80, 160, 120), fill=tuple(rng.randint(60, 140) for _ in range(3)))
    for _ in range(3):
        x, y = rng.randint(0, 130), rng.randint(20, 90)
        draw.rectangle((x, y, x + rng.randint(10, 30), y + rng.randint(8, 25)),
                       fill=tuple(rng.randint(0, 255) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    buffer.seek(0)
    return FileStorage(stream=buffer, filename=f"{name}.jpg", content_type="image/jpeg")


# --- the walk -----------------------------------------------------------------------------------

def _plans(places: list[Place], people: People, now: datetime) -> list[Plan]:
    rng = random.Random(f"{SEED}-cases")
    communities = sorted((p for p in places if p.kind == COMMUNITY), key=lambda p: p.code)
    grids_of = {c.id: sorted((p for p in places if p.kind == GRID and p.parent_id == c.id), key=lambda p: p.code)
                for c in communities}
    watched = [place for place in places if place.id in people.grid_workers]
    outcomes = [name for name, (_steps, _waiting, count) in OUTCOMES.items() for _ in range(count)]
    assert len(outcomes) == CASE_COUNT
    rng.shuffle(outcomes)
    weights = [spec.weight for spec in CATEGORIES]
    plans = []
    for number, outcome in enumerate(outcomes, start=1):
        category = rng.choices(CATEGORIES, weights)[0]
        by_grid_worker = rng.random() < 0.35
        if by_grid_worker:
            grid = rng.choice(watched)
            reporter = people.grid_workers[grid.id]
        else:
            grid = rng.choice(watched) if rng.random() < 0.5 else rng.choice(
                [g for grids in grids_of.values() for g in grids])
            reporter = rng.choice(people.residents)
        community = next(c for c in communities if c.id == grid.parent_id)
        place = community if (not by_grid_worker and rng.random() < 0.15) else grid
        point = None
        if by_grid_worker or rng.random() < 0.85:
            latitude, longitude = _grid_centre(grid, community, grids_of[community.id])
            point = (round(latitude + rng.uniform(-0.4, 0.4) * JITTER_DEGREES, 6),
                     round(longitude + rng.uniform(-0.4, 0.4) * JITTER_DEGREES, 6))
        plans.append(Plan(number=number, category=category, place=place, community=community, reporter=reporter,
                          by_grid_worker=by_grid_worker, point=point, title=rng.choice(category.titles),
                          outcome=outcome))
    finished = [plan for plan in plans if OUTCOMES[plan.outcome][1] in (None, "satisfied")
                and "accept" in OUTCOMES[plan.outcome][0]]
    late = {plan.number: rng.choice(("accept", "handle")) for plan in rng.sample(finished, LATE_FINISHED)}
    for plan in plans:
        total = _delays(plan, rng, late.get(plan.number))
        _place_report(plan, total, now, rng, overdue=rng.random() < OVERDUE_SHARE)
    dispatched = [plan for plan in plans if "dispatch" in OUTCOMES[plan.outcome][0]]
    dispatched.sort(key=lambda plan: (plan.category.code != "WZDJ", plan.number))
    for plan in dispatched[:BY_HAND]:
        at = next(hours for hours, step in plan.steps if step == "dispatch")
        plan.steps.append((at + 0.25, "escalate"))
    return plans


def _take(step: str, case: Case, plan: Plan, people: People, rng: random.Random) -> None:
    community_worker = people.community_workers[plan.community.id]
    handler = people.contractor if case.contract_id else people.handler
    verifier = people.grid_workers.get(case.place_id, community_worker)
    if step == "file":
        service.file_case(case, community_worker)
    elif step == "reject":
        service.reject_case(case, community_worker, rng.choice(REJECT_REASONS))
    elif step == "dispatch":
        service.dispatch_case(case, community_worker)
    elif step == "escalate":
        service.escalate_case(case, community_worker, rng.choice(ESCALATION_REASONS))
    elif step == "accept":
        service.accept_case(case, handler)
    elif step == "handle":
        photos = [_photo(rng, f"handled-{plan.number}")] if rng.random() < 0.3 else []
        service.handle_case(case, handler, rng.choice(plan.category.handling), photos=photos)
    elif step == "feedback":
        service.give_feedback(case, handler, rng.choice(FEEDBACK_NOTES))
    elif step == "verify":
        service.verify_case(case, verifier, rng.choice(VERIFY_NOTES), photos=[_photo(rng, f"follow-up-{plan.number}")])
    elif step == "send_back":
        service.send_back(case, verifier, rng.choice(SEND_BACK_NOTES))
    elif step == "close":
        service.close_case(case, community_worker, rng.choice(CLOSE_NOTES))
    elif step in ("satisfied", "unsatisfied"):
        comments = SATISFIED_COMMENTS if step == "satisfied" else UNSATISFIED_COMMENTS
        service.evaluate_case(case, plan.reporter, step == "satisfied", rng.choice(comments))


def _report(plan: Plan, rng: random.Random) -> Case:
    photos = [_photo(rng, f"report-{plan.number}")] if plan.by_grid_worker or rng.random() < 0.2 else []
    latitude, longitude = plan.point or (None, None)
    case, _created = service.report_case(
        plan.reporter, category_id=plan.category_id, title=plan.title, description=plan.category.description,
        place_id=plan.place.id, latitude=latitude, longitude=longitude, photos=photos,
        via="phone_app" if plan.by_grid_worker else "web")
    return case


def seed_cases() -> list[str]:
    """Load the demo street's month of cases once; the summary lines for `portal demo`."""
    street = db.session.scalar(select(Place).where(Place.name == STREET_NAME, Place.kind == STREET))
    if street is None:
        return []
    if db.session.scalar(select(CaseCategory.id).where(CaseCategory.place_id == street.id,
                                                       CaseCategory.code == CATEGORIES[0].code)) is not None:
        return cases_summary()
    now = utcnow()
    places = list(db.session.scalars(select(Place).where(Place.path.startswith(street.path))))
    contract = _contract()
    people = _people(street, places, contract)
    with on_day(now - timedelta(days=DAYS, hours=2)):
        categories = _categories(street, _departments(street, people.handler), contract, people.handler)
    plans = _plans(places, people, now)
    for plan in plans:
        plan.category_id = categories[plan.category.code].id
    events = sorted((plan.reported_at + timedelta(hours=hours), plan.number, order, step)
                    for plan in plans for order, (hours, step) in enumerate([(0.0, "report"), *plan.steps]))
    by_number = {plan.number: plan for plan in plans}
    rng = random.Random(f"{SEED}-case-words")
    cases: dict[int, Case] = {}
    for moment, number, _order, step in events:
        with on_day(min(moment, utcnow())):
            service.escalate_overdue_cases()  # the worker's sweep, as it would have run by this moment
            if step == "report":
                cases[number] = _report(by_number[number], rng)
            else:
                _take(step, cases[number], by_number[number], people, rng)
    service.escalate_overdue_cases()  # and now
    db.session.flush()
    return cases_summary()


def cases_summary() -> list[str]:
    statuses = dict(db.session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
    if not statuses:
        return []
    now = utcnow()
    escalated = db.session.scalar(select(func.count()).select_from(Case).where(Case.loop == DISTRICT_LOOP))
    reopened = db.session.scalar(select(func.count()).select_from(Case).where(Case.reopened_count > 0))
    overdue = sum(service.is_overdue(case, now) for case in db.session.scalars(
        select(Case).where(Case.next_due_at < now)))
    photos = db.session.scalar(select(func.count()).select_from(CasePhoto))
    states = ", ".join(f"{statuses[status]} {status}" for status in CASE_STATUSES if status in statuses)
    return [f"grid cases: {sum(statuses.values())} ({states}), {escalated} escalated, {overdue} overdue now, "
            f"{reopened} reopened, {photos} photos"]


def case_logins() -> list[tuple[str, str, str, str]]:
    return ([(demo_email(local), "grid_worker", grid, DEMO_PASSWORD) for local, _name, grid in GRID_WORKERS]
            + [(demo_email(local), "community_worker", place, DEMO_PASSWORD)
               for local, _name, place in COMMUNITY_WORKERS])
