"""Demo volunteering: an opportunity on every published or running demo project, with past shifts whose
volunteers were checked in and out (hours verified, one awaiting verification, a no-show), upcoming
shifts with free places, and full ones with waitlists. Deterministic and idempotent.

The demo resident 马小梅 (resident@demo.example.org) has verified hours on several projects (so a
certificate), hours awaiting verification, a confirmed upcoming shift (with its QR code) and a place
on a waitlist. Past rows are written directly with the values the service would have written on the
day (the service refuses to create shifts in the past); upcoming sign-ups and verifications go through
the service, so the slots and the hour ledger are exactly what the portal would hold.
"""
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.accounts import roles
from portal.accounts.models import RoleAssignment, User
from portal.core.time import utcnow
from portal.demo_city import SEED
from portal.extensions import db
from portal.projects.models import IN_PROGRESS, PUBLISHED, ProjectPlace, ServiceProject
from portal.volunteering import hours, service
from portal.volunteering.models import (
    CHECKED_OUT,
    NO_SHOW,
    RECORDED,
    HourRecord,
    Opportunity,
    Shift,
    ShiftSignup,
)

DEMO_DOMAIN = "demo.example.org"
LOCAL = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class OpportunityPlan:
    title: str
    description: str
    skills: str
    location: str
    start: time  # Beijing time
    hours: float
    slots: int


P = OpportunityPlan
PLANS = {
    "elderly_care": P("陪伴独居老人聊天、读报",
                      "两人一组上门探访独居老人：聊聊天、读读报，留意老人的身体和情绪变化，回来后填写探访记录。\n\n"
                      "第一次参加请提前十分钟到社区服务中心领取探访包。",
                      "陪伴, 耐心, 方言沟通", "社区服务中心一楼集合", time(9, 0), 2, 6),
    "children_youth": P("四点半课堂作业辅导",
                        "放学后陪孩子们写作业、读绘本，帮助双职工家庭解决接送和看护难题。",
                        "作业辅导, 讲故事, 耐心", "社区活动室", time(16, 30), 2, 5),
    "disability": P("陪同残障居民出行",
                    "陪同行动不便的居民去医院复诊、办事或逛公园，协助上下车和推轮椅。",
                    "轮椅协助, 陪伴, 急救", "社区康复站门口", time(9, 30), 3, 4),
    "social_assistance": P("困难家庭物资分发",
                           "协助社工整理和分发米面油、衣物等爱心物资，核对名单并送货上门。",
                           "搬运, 登记, 细心", "社区物资站", time(14, 30), 2.5, 8),
    "mental_health": P("心理健康宣传摊位",
                       "在社区广场布置宣传摊位，发放心理健康手册，引导有需要的居民预约咨询。",
                       "沟通, 倾听", "社区广场", time(15, 0), 2, 4),
    "community_safety": P("楼栋安全巡查",
                          "跟随网格员巡查楼道堆物、消防通道和电动车充电情况，拍照上报隐患。",
                          "巡查, 拍照上报, 消防知识", "网格服务站", time(19, 0), 2, 6),
    "environment": P("垃圾分类桶边督导",
                     "早高峰在小区垃圾投放点值守，指导居民正确分类，记录投放情况。",
                     "垃圾分类, 沟通", "小区垃圾分类投放点", time(7, 0), 2, 6),
    "culture_sports": P("社区文艺活动场务",
                        "协助布置场地、签到、拍照和维持秩序，活动后整理场地。",
                        "摄影, 场务, 签到", "社区文化活动中心", time(14, 0), 3, 8),
    "employment": P("就业招聘会引导员",
                    "在社区招聘会现场引导求职者、协助填写登记表。",
                    "引导, 登记, 电脑操作", "社区服务中心二楼", time(9, 0), 3, 5),
    "mutual_aid": P("邻里义剪义诊",
                    "协助理发师和医生开展义剪、量血压，负责排队叫号和登记。",
                    "理发, 量血压, 登记", "社区广场", time(9, 0), 3, 6),
    "other": P("社区活动志愿者", "协助社区开展各类便民活动。", "沟通, 场务", "社区服务中心", time(9, 0), 2, 5),
}

# days from today of each project's shifts: past ones (checked in and out), upcoming ones
PAST_DAYS = (-21, -9)
UPCOMING_DAYS = (1, 6, 13)


def _at(day: date, start: time) -> datetime:
    return datetime.combine(day, start, tzinfo=LOCAL).astimezone(UTC)


def _organiser(project: ServiceProject) -> User | None:
    """The project's organisation's first administrator (or member): who publishes and verifies."""
    return db.session.scalar(
        select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.scope_type == roles.SCOPE_ORGANISATION,
               RoleAssignment.scope_id == project.organisation_id,
               RoleAssignment.role.in_((roles.ORG_ADMIN, roles.ORG_MEMBER)))
        .order_by(RoleAssignment.role != roles.ORG_ADMIN, RoleAssignment.id).limit(1))


def _shift(opportunity: Opportunity, plan: OpportunityPlan, day: date, place_id: int | None, slots: int) -> Shift:
    starts = _at(day, plan.start)
    shift = Shift(opportunity=opportunity, starts_at=starts, ends_at=starts + timedelta(hours=plan.hours),
                  slots=slots, place_id=place_id, location=plan.location, skills="", booked_count=0)
    db.session.add(shift)
    return shift


def _past_shift(shift: Shift, volunteers: list[User], organiser: User, pending_for: set[int], absent: User | None):
    """A shift that happened: everyone came and was checked out (hours verified unless pending), one absent."""
    records = []
    for user in volunteers:
        signup = ShiftSignup(shift=shift, user_id=user.id, status=CHECKED_OUT,
                             created_at=shift.starts_at - timedelta(days=5), checked_in_at=shift.starts_at,
                             checked_in_by_id=organiser.id, checked_out_at=shift.ends_at)
        db.session.add(signup)
        db.session.flush()
        records.append(HourRecord(signup_id=signup.id, user_id=user.id, project_id=shift.opportunity.project_id,
                                  minutes=hours.shift_minutes(shift), status=RECORDED,
                                  recorded_at=shift.ends_at))
    if absent is not None:
        db.session.add(ShiftSignup(shift=shift, user_id=absent.id, status=NO_SHOW,
                                   created_at=shift.starts_at - timedelta(days=4)))
    shift.booked_count = len(volunteers) + (absent is not None)
    db.session.add_all(records)
    db.session.flush()
    for record in records:
        if record.user_id not in pending_for:
            hours.verify_hours(record, organiser)


def seed_volunteering() -> dict[str, int]:
    """Create the missing demo opportunities (one per published or running project, found again by project)."""
    projects = list(db.session.scalars(select(ServiceProject).where(
        ServiceProject.status.in_((PUBLISHED, IN_PROGRESS))).order_by(ServiceProject.title, ServiceProject.id)))
    if not projects:
        return {"opportunities": 0, "shifts": 0}
    done = set(db.session.scalars(select(Opportunity.project_id).where(
        Opportunity.project_id.in_([project.id for project in projects]))))
    users = {user.email.split("@")[0]: user for user in db.session.scalars(
        select(User).where(User.email.like(f"%@{DEMO_DOMAIN}")))}
    residents = [users[key] for key in sorted(users) if key.startswith("resident") and key != "resident"]
    star = users.get("resident")  # 马小梅, whose journey the demo shows
    if not residents:
        return {"opportunities": 0, "shifts": 0}
    places = dict(db.session.execute(select(ProjectPlace.project_id, ProjectPlace.place_id).where(
        ProjectPlace.project_id.in_([project.id for project in projects]))).all())
    today = utcnow().astimezone(LOCAL).date()
    made = {"opportunities": 0, "shifts": 0}
    # 马小梅 served on the first three running projects (the first one's latest hours still await
    # verification); she is confirmed on the second project's next shift and last on the first's waitlist
    running = [project.id for project in projects if project.status == IN_PROGRESS]
    star_served = set(running[:3]) if star is not None else set()
    star_pending = running[0] if running and star is not None else None
    for index, project in enumerate(projects):
        if project.id in done:
            continue
        organiser = _organiser(project)
        if organiser is None:
            continue
        rng = random.Random(f"{SEED}-volunteering-{project.title}")
        plan = PLANS.get(project.category, PLANS["other"])
        opportunity = Opportunity(project=project, title=plan.title, description=plan.description,
                                  skills=plan.skills, created_by_id=organiser.id, is_open=True,
                                  created_at=_at(today + timedelta(days=PAST_DAYS[0] - 7), time(10, 0)))
        db.session.add(opportunity)
        made["opportunities"] += 1
        place_id = places.get(project.id)
        if project.status == IN_PROGRESS:
            for number, offset in enumerate(PAST_DAYS):
                shift = _shift(opportunity, plan, today + timedelta(days=offset), place_id, plan.slots)
                came = rng.sample(residents, k=min(len(residents), max(2, plan.slots - 2)))
                if project.id in star_served:
                    came = [star, *came[: plan.slots - 2]]
                absent = next((user for user in residents if user not in came), None) if number == 0 else None
                # on the latest shift one volunteer's hours still await verification
                pending = set()
                if number == len(PAST_DAYS) - 1:
                    pending = {star.id} if project.id == star_pending else {came[-1].id}
                _past_shift(shift, came, organiser, pending, absent)
                made["shifts"] += 1
        for number, offset in enumerate(UPCOMING_DAYS):
            slots = plan.slots if number else max(3, plan.slots // 2)
            shift = _shift(opportunity, plan, today + timedelta(days=offset), place_id, slots)
            db.session.flush()
            made["shifts"] += 1
            # every third project's first shift is full, with a waitlist; the others are filling up
            wanted = slots + 2 if (index % 3 == 0 and number == 0) else rng.randint(0, max(0, slots - 2))
            volunteers = rng.sample(residents, k=min(len(residents), wanted))
            if star is not None and number == 0 and index in (0, 1):
                # index 0 is full (every third project's first shift is): she is last on its waitlist
                volunteers = [star, *volunteers] if index == 1 else [*volunteers, star]
            for user in volunteers:
                service.sign_up(shift, user)
        if index == 1 and star is not None:
            _shift_starting_soon(opportunity, plan, place_id, [star, *residents[:2]])
            made["shifts"] += 1
    db.session.flush()
    return made


def _shift_starting_soon(opportunity: Opportunity, plan: OpportunityPlan, place_id: int | None, people: list[User]):
    """A shift an hour from when the demo was loaded: check-in is open, so the QR code can be tried at once."""
    now = utcnow().replace(second=0, microsecond=0)
    starts = now + timedelta(minutes=60 + (30 - now.minute % 30) % 30)
    shift = Shift(opportunity=opportunity, starts_at=starts, ends_at=starts + timedelta(hours=plan.hours),
                  slots=plan.slots, place_id=place_id, location=plan.location, skills="", booked_count=0)
    db.session.add(shift)
    db.session.flush()
    for user in people:
        service.sign_up(shift, user)
