"""Demo service projects: 62 projects of the demo's verified organisations, in every status, with
indicators and results reports (approved, returned and corrected, awaiting review), photos, updates,
followers, ratings with replies, and a few notifications. Deterministic and idempotent.

Resident self-help projects average 28,000 yuan and embedded professional social-work projects
198,000 yuan, the figures CONTEXT.md gives. Projects are found again by (organisation, title), so a
second run adds nothing. Rows are written directly (as portal/demo.py does) with the same values the
service would accept; the service's checks are covered by the tests.
"""
import hashlib
import random
import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal.accounts import roles
from portal.accounts.models import User
from portal.core.time import utcnow
from portal.demo_city import SEED, demo_email, ensure_role
from portal.extensions import db
from portal.notifications.models import Notification
from portal.orgs.models import PENDING, VERIFIED, Organisation
from portal.places.models import COMMUNITY, Place
from portal.projects.models import (
    APPROVED,
    CANCELLED,
    COMPLETED,
    DECREASE,
    DRAFT,
    IN_PROGRESS,
    INCREASE,
    PUBLISHED,
    RETURNED,
    SUBMITTED,
    Indicator,
    IndicatorReport,
    ProjectFollower,
    ProjectPhoto,
    ProjectPlace,
    ProjectRating,
    ProjectUpdate,
    ServiceProject,
)

SELF_HELP, PROFESSIONAL, OTHER = "resident_self_help", "professional_social_work", "other"
AVERAGE_BUDGET = {SELF_HELP: 28_000, PROFESSIONAL: 198_000, OTHER: 60_000}  # yuan (CONTEXT.md)
# symmetric around the average, so a whole number of cycles averages exactly
BUDGET_SPREAD = {SELF_HELP: (0, -12_000, 12_000, -6_000, 6_000, -9_000, 9_000, 0),
                 PROFESSIONAL: (0, -78_000, 78_000, -40_000, 40_000, -18_000, 18_000, 0),
                 OTHER: (-20_000, 20_000, 0)}


@dataclass(frozen=True)
class IndicatorPlan:
    name: str
    unit: str
    baseline: int
    target: int
    direction: str = INCREASE


@dataclass(frozen=True)
class Template:
    title: str  # {c}: the community or street served
    category: str
    service_type: str
    delivery: str
    target_groups: str
    summary: str
    indicators: tuple[IndicatorPlan, ...]
    funding: str


T = Template
I = IndicatorPlan  # noqa: E741
TEMPLATES = {
    "meals": T("{c}独居老人助餐服务", "elderly_care", "care", PROFESSIONAL, "独居、空巢及失能老人",
               "依托社区老年食堂，为独居和行动不便的老人每天提供午餐，行动困难的送餐上门，并借送餐了解老人身体状况。",
               (I("每周助餐老人人数", "人", 0, 60), I("送餐准时率", "%", 80, 95),
                I("老人对饭菜的满意度", "%", 70, 90)), "政府购买服务、社区公益金"),
    "visits": T("{c}高龄老人上门探访", "elderly_care", "care", PROFESSIONAL, "80岁以上高龄及独居老人",
                "社工与志愿者结对，每周上门或电话探访高龄独居老人，建立健康档案，发现困难及时转介。",
                (I("每月探访户数", "户", 0, 120), I("独居老人意外未被发现的平均时长", "小时", 48, 12, DECREASE)),
                "政府购买服务"),
    "peer": T("{c}低龄老人结对互助", "elderly_care", "mutual_aid", SELF_HELP, "60-70岁低龄老人与高龄老人",
              "组织身体好的低龄老人与高龄老人结对，陪聊、代购、陪同就医，老人帮老人。",
              (I("结对组数", "对", 0, 40), I("每月互助服务次数", "次", 0, 200)), "社区公益金、居民众筹"),
    "phone": T("{c}老年人智能手机课堂", "elderly_care", "capacity", SELF_HELP, "不会用智能手机的老年人",
               "由社区青年志愿者教老人用手机挂号、视频通话、识别诈骗电话，每期八节课。",
               (I("结业学员", "人", 0, 100), I("能独立线上挂号的学员比例", "%", 10, 70)), "社区公益金"),
    "alarm": T("{c}智慧养老一键呼叫", "elderly_care", "technology", PROFESSIONAL, "独居及失能老人",
               "为独居老人安装一键呼叫和烟感报警设备，接入社区网格平台，呼叫后由网格员和社工及时上门。",
               (I("安装呼叫设备户数", "户", 0, 80), I("呼叫平均响应时间", "分钟", 30, 10, DECREASE)),
               "政府购买服务、企业捐赠"),
    "homework": T("{c}四点半课堂", "children_youth", "care", SELF_HELP, "双职工家庭和留守儿童",
                  "放学后到家长下班前的空档，在社区活动室提供作业辅导和阅读，由退休教师和大学生志愿者轮值。",
                  (I("每日到课儿童", "人", 0, 35), I("作业按时完成率", "%", 60, 90)), "社区公益金、居民众筹"),
    "summer": T("{c}暑期儿童托管营", "children_youth", "care", SELF_HELP, "暑期无人照看的小学生",
                "暑假六周，每天上午托管，安排作业辅导、安全教育、手工和体育活动。",
                (I("参加托管的儿童", "人", 0, 50), I("安全事故", "起", 2, 0, DECREASE)), "社区公益金"),
    "reading": T("{c}亲子共读计划", "children_youth", "capacity", SELF_HELP, "3-10岁儿童及家长",
                 "每周末在社区图书角开展亲子共读，收集居民捐赠的二手图书，培训家长讲故事。",
                 (I("参与家庭", "户", 0, 60), I("捐赠图书", "册", 0, 1500)), "居民捐赠、社区公益金"),
    "teens": T("{c}青少年心理成长小组", "mental_health", "care", PROFESSIONAL, "12-18岁青少年及其家长",
               "专业社工带领青少年成长小组，开展情绪管理、人际沟通训练，对有需要的家庭提供个案辅导。",
               (I("完成小组活动的青少年", "人", 0, 80), I("个案辅导家庭", "户", 0, 20)), "政府购买服务"),
    "rehab": T("{c}残障人士社区康复站", "disability", "care", PROFESSIONAL, "社区内肢体及智力残障人士",
               "在社区设立康复站，由康复师和社工提供康复训练、辅具适配和家属照护培训。",
               (I("每月康复训练人次", "人次", 0, 300), I("家属照护培训", "人", 0, 40)), "政府购买服务、残联补贴"),
    "jobs": T("{c}残障人士辅助性就业", "employment", "capacity", PROFESSIONAL, "有劳动能力的残障人士",
              "与附近商户合作开设辅助性就业岗位，提供技能培训和岗位陪伴。",
              (I("实现就业人数", "人", 0, 15), I("三个月在岗率", "%", 0, 80)), "政府购买服务、企业合作"),
    "escort": T("{c}无障碍出行陪护", "disability", "mutual_aid", SELF_HELP, "行动不便的残障人士和老人",
                "志愿者预约陪同残障人士和老人就医、办事，社区配备两台轮椅供借用。",
                (I("陪护出行次数", "次", 0, 150),), "社区公益金、居民众筹"),
    "casework": T("{c}困难家庭个案帮扶", "social_assistance", "care", PROFESSIONAL, "低保、低边及突发困难家庭",
                  "社工对困难家庭逐户评估，制定帮扶计划，链接救助政策、慈善资源和就业机会。",
                  (I("建立个案档案", "户", 0, 30), I("个案目标达成率", "%", 0, 75)), "政府购买服务"),
    "hotline": T("{c}邻里心理疏导热线", "mental_health", "care", PROFESSIONAL, "有情绪困扰的居民",
                 "心理咨询师和受训志愿者值守热线，每周两晚开放，必要时转介专业机构。",
                 (I("接听来电", "通", 0, 400), I("来电平均等待时间", "分钟", 15, 3, DECREASE)), "政府购买服务"),
    "patrol": T("{c}楼栋安全巡查队", "community_safety", "mutual_aid", SELF_HELP, "全体居民",
                "居民志愿者每周巡查楼道、消防通道和电动车停放，发现隐患通过网格员上报。",
                (I("每月巡查楼栋", "栋", 0, 40), I("发现隐患整改率", "%", 50, 95)), "社区公益金"),
    "flood": T("{c}防汛应急志愿队", "community_safety", "capacity", SELF_HELP, "低洼楼栋居民",
               "组建防汛志愿队，开展应急演练，汛期值守低洼楼栋，协助转移老人。",
               (I("受训志愿者", "人", 0, 45), I("应急演练", "次", 0, 4)), "社区公益金、街道补贴"),
    "ebike": T("{c}电动车安全充电改造", "community_safety", "technology", OTHER, "电动车车主和高层住户",
               "在小区增设集中充电桩，劝导居民不把电动车推进楼道和家中充电。",
               (I("新增充电桩", "个", 0, 60), I("楼道内停放电动车", "辆", 35, 0, DECREASE)), "政府补贴、企业投资"),
    "sorting": T("{c}垃圾分类督导", "environment", "capacity", SELF_HELP, "全体居民",
                 "早晚高峰在投放点安排志愿者督导，入户宣传分类知识，回收收益投入社区公益金。",
                 (I("分类投放准确率", "%", 40, 85), I("参与督导志愿者", "人", 0, 30)), "社区公益金"),
    "corridor": T("{c}楼道文化微改造", "culture_sports", "mutual_aid", SELF_HELP, "老旧楼栋居民",
                  "居民自己设计、动手清理和美化楼道，加装扶手和感应灯，打造有故事的楼道。",
                  (I("完成改造楼道", "个", 0, 12), I("参与改造的居民", "人", 0, 120)), "居民众筹、社区公益金"),
    "swap": T("{c}旧物回收换绿植", "environment", "mutual_aid", SELF_HELP, "全体居民",
              "每月一次旧物回收日，居民用旧衣旧书兑换绿植，回收收益用于楼道绿化。",
              (I("回收旧物", "公斤", 0, 2000),), "回收收益、社区公益金"),
    "choir": T("{c}合唱团", "culture_sports", "mutual_aid", SELF_HELP, "中老年文艺爱好者",
               "每周两次排练，节日演出，带动独居老人走出家门。",
               (I("固定团员", "人", 0, 40), I("公益演出", "场", 0, 8)), "社区公益金"),
    "calligraphy": T("{c}书画兴趣班", "culture_sports", "capacity", SELF_HELP, "老年人和青少年",
                     "由社区书画爱好者义务授课，老少同堂，作品在社区展览。",
                     (I("结业学员", "人", 0, 60),), "社区公益金"),
    "skills": T("{c}失业人员技能培训", "employment", "capacity", PROFESSIONAL, "失业及灵活就业居民",
                "开设家政、育婴、电商直播等短期培训，对接用工企业，跟踪就业情况。",
                (I("完成培训", "人", 0, 120), I("培训后就业率", "%", 0, 60)), "政府购买服务、就业补贴"),
    "timebank": T("{c}邻里互助时间银行", "mutual_aid", "mutual_aid", SELF_HELP, "全体居民",
                  "居民互相提供小时级服务并记入时间银行，存下的时间可兑换他人的服务。",
                  (I("注册会员", "人", 0, 200), I("每月互助服务时长", "小时", 0, 300)), "社区公益金"),
    "barber": T("{c}义剪义诊便民服务", "mutual_aid", "care", SELF_HELP, "老年人和困难家庭",
                "每月第一个周六在社区广场提供义剪、义诊、家电维修等便民服务。",
                (I("服务人次", "人次", 0, 600),), "居民众筹、商户赞助"),
    "council": T("{c}居民议事会能力建设", "other", "capacity", OTHER, "居民代表和楼栋长",
                 "培训居民代表议事规则，协助居民议事会讨论社区公益金使用和微更新项目。",
                 (I("召开议事会", "次", 0, 12), I("形成并落实的议题", "项", 0, 10)), "街道购买服务"),
}

# (organisation name, template keys in the order used, communities served)
ORG_PLANS = [
    ("宜昌市西陵区阳光社会工作服务中心",
     ("meals", "visits", "alarm", "casework", "hotline", "meals", "visits", "casework", "council", "alarm"),
     ("铁路坝社区", "东山花园社区", "夜明珠社区", "珍珠路社区")),
    ("夜明珠街道老年协会",
     ("peer", "phone", "choir", "calligraphy", "barber", "peer", "corridor", "phone"),
     ("铁路坝社区", "夜明珠社区")),
    ("宜昌市夷陵社区基金会",
     ("timebank", "corridor", "swap", "council", "timebank", "sorting", "barber", "homework"),
     ("夷陵路社区", "解放路社区", "二马路社区", "环城南路社区")),
    ("宜昌市伍家岗区春晖青少年服务中心",
     ("homework", "teens", "summer", "reading", "homework", "teens", "summer", "reading", "homework"),
     ("大公桥社区", "沿江社区", "胜利三路社区")),
    ("西陵区爱心助残服务社",
     ("rehab", "jobs", "escort", "rehab", "skills", "escort", "jobs"),
     ("学院路社区", "西陵二路社区", "大学路社区")),
    ("万寿桥街道志愿者协会",
     ("patrol", "flood", "sorting", "ebike", "patrol", "swap", "flood", "barber", "sorting", "timebank"),
     ("万寿桥社区", "桔城路社区", "东艳路社区")),
    ("宜昌市西陵区红叶社区基金会",
     ("meals", "corridor", "peer", "phone", "choir", "barber", "homework", "escort", "reading"),
     ("东山花园社区",)),
]
# One status per project in creation order: 61 here plus the pending organisation's draft makes 62.
STATUS_CYCLE = (IN_PROGRESS, COMPLETED, PUBLISHED, IN_PROGRESS, COMPLETED, IN_PROGRESS, PUBLISHED, IN_PROGRESS,
                COMPLETED, IN_PROGRESS, CANCELLED, IN_PROGRESS, DRAFT, COMPLETED, IN_PROGRESS, PUBLISHED)
PENDING_DRAFT = ("宜昌市绿色家园环保促进会", "sorting", "云集路社区")

UPDATE_TITLES = ["项目启动：第一次活动顺利开展", "招募志愿者，欢迎居民报名", "居民议事会讨论服务安排",
                 "季度小结：服务人数稳步增加", "走访中发现的新需求", "感谢爱心商户的支持", "中期评估结果出来了",
                 "项目结项：一年来的变化"]
UPDATE_BODIES = [
    "本周共服务 **{n}** 人次。感谢志愿者的辛苦付出！\n\n- 下周起活动时间调整为每周二、四下午\n"
    "- 欢迎居民推荐需要帮助的邻居",
    "我们和居民代表一起梳理了服务中遇到的问题，决定：\n\n1. 增加一名轮值志愿者\n2. 在楼栋群里提前发布活动通知",
    "中期评估显示，大部分指标按计划推进。居民反映最多的是希望增加服务时段，我们正在和社区商量。",
    "活动现场照片已经更新到项目页面。如对服务有意见和建议，欢迎在下方评价留言，我们会一一回复。",
]
RATING_COMMENTS = ["服务很周到，老人很满意。", "志愿者很有耐心，孩子很喜欢来。", "希望能增加服务时间。",
                   "组织得不错，就是通知有点晚。", "真正帮到了我们家，谢谢！", "", "活动地点离家近，很方便。",
                   "人手有点少，有时候要等。", "比去年好多了，继续加油。", ""]
REPLIES = ["谢谢您的肯定，我们会继续做好！", "您的建议我们收到了，下个季度会增加一个服务时段。",
           "抱歉给您带来不便，我们已经调整了通知方式，会提前三天在楼栋群发布。"]
RETURN_COMMENTS = ["签到表与报告人数不一致，请补充完整的签到表后重新提交。",
                   "缺少活动照片，请补充证明材料。", "统计口径与指标定义不一致，请按“人”而不是“人次”统计。"]

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
_GIVEN = ["晓燕", "红梅", "建军", "丽萍", "春华", "志明", "美霞", "国华", "慧敏", "玉梅", "德华", "秀珍", "亚军",
          "桂芳", "海涛", "雪梅"]


def _yuan_budget(delivery: str, index: int) -> int:
    spread = BUDGET_SPREAD[delivery]
    return (AVERAGE_BUDGET[delivery] + spread[index % len(spread)]) * 100


def _at(day: date, hour: int = 10) -> datetime:
    """`hour` o'clock in Shanghai on `day`, stored in UTC (the demo's activities happen in the daytime)."""
    return datetime.combine(day, time(hour, 0), tzinfo=UTC) - timedelta(hours=8)


# --- demo photos: small gradient PNGs, stored like uploads ---------------------------------------

PHOTO_COLOURS = [((180, 52, 45), (240, 180, 120)), ((29, 95, 168), (160, 210, 240)), ((31, 122, 69), (200, 230, 150)),
                 ((154, 103, 0), (250, 220, 140)), ((111, 66, 193), (230, 190, 240)), ((15, 118, 110), (170, 230, 220))]
PHOTO_CAPTIONS = ["活动现场", "志愿者合影", "服务对象和社工在一起", "居民议事会", "分享会", "结对探访"]


def _gradient_png(top: tuple, bottom: tuple, width: int = 480, height: int = 320) -> bytes:
    rows = []
    for y in range(height):
        mix = y / (height - 1)
        pixel = bytes(int(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True))
        rows.append(b"\x00" + pixel * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + chunk(b"IEND", b""))


def _photo_keys() -> list[str]:
    keys = []
    for top, bottom in PHOTO_COLOURS:
        data = _gradient_png(top, bottom)
        digest = hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{digest}.png"
        path = Path(current_app.config["UPLOAD_DIR"]) / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        keys.append(key)
    return keys


# --- people --------------------------------------------------------------------------------------

def _community_workers(communities: dict[str, Place], template_user: User) -> dict[int, User]:
    """A community worker for every served community that has none (found again by email)."""
    workers: dict[int, User] = {}
    existing = {u.email: u for u in db.session.scalars(select(User).where(User.email.like("cw-%")))}
    admin = db.session.scalar(select(User).where(User.email == demo_email("admin")))
    rng = random.Random("2026-community-workers")
    for place in sorted(communities.values(), key=lambda p: p.code):
        email = demo_email(f"cw-{place.code}")
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
        user = existing.get(email)
        if user is None:
            user = User(email=email, password_hash=template_user.password_hash, display_name=f"{name}（{place.name}）",
                        locale="zh_CN", privacy_consent_at=utcnow())
            db.session.add(user)
            db.session.flush()
        ensure_role(user, roles.COMMUNITY_WORKER, roles.SCOPE_PLACE, place.id, granted_by=admin)
        workers[place.id] = user
    return workers


def _reviewer_for(place: Place, workers: dict[int, User], named: dict[str, User]) -> User | None:
    return named.get(place.name) or workers.get(place.id)


# --- the step ------------------------------------------------------------------------------------

def _value(plan: IndicatorPlan, fraction: float, rng: random.Random) -> Decimal:
    # noise on the change, not on the level: a satisfaction rate of 80% moves by points, not by 5 points a quarter
    value = max(0.0, plan.baseline + (plan.target - plan.baseline) * fraction * (1 + rng.uniform(-0.08, 0.08)))
    if plan.unit == "%":
        value = min(100.0, value)
        return Decimal(str(round(value, 1)))
    return Decimal(int(round(value)))


def _periods(starts: date, ends: date, today: date) -> list[tuple[date, date]]:
    """Quarterly reporting periods that have ended by `today` (or by the project's end)."""
    periods = []
    start = starts
    last = min(ends, today - timedelta(days=1))
    while start + timedelta(days=89) <= last:
        periods.append((start, start + timedelta(days=89)))
        start = start + timedelta(days=90)
    if not periods and starts < last:
        periods.append((starts, last))
    return periods


def seed_projects() -> dict[str, ServiceProject]:
    """Create the demo projects that are missing; returns every demo project by title."""
    today = utcnow().date()
    rng = random.Random(f"{SEED}-projects")
    organisations = {o.name: o for o in db.session.scalars(select(Organisation).where(
        Organisation.name.in_([plan[0] for plan in ORG_PLANS] + [PENDING_DRAFT[0]])))}
    if not organisations:
        return {}
    places = {p.name: p for p in db.session.scalars(select(Place).where(Place.kind == COMMUNITY))}
    users = {u.email.split("@")[0]: u for u in db.session.scalars(
        select(User).where(User.email.like("%@demo.example.org")))}
    residents = [users[key] for key in sorted(users) if key.startswith("resident")]
    admin = users["admin"]
    served = {name: places[name] for _org, _keys, names in ORG_PLANS for name in names if name in places}
    named_workers = {"铁路坝社区": users.get("community-worker"), "大公桥社区": users.get("community-worker2")}
    named_workers = {k: v for k, v in named_workers.items() if v is not None}
    workers = _community_workers({n: p for n, p in served.items() if n not in named_workers}, admin)
    members_by_org = _members(organisations)
    photo_keys = _photo_keys()
    existing = {(p.organisation_id, p.title): p for p in db.session.scalars(select(ServiceProject))}

    plan = _plan()
    projects: dict[str, ServiceProject] = {}
    plan_titles: set[str] = set()
    budget_index = {SELF_HELP: 0, PROFESSIONAL: 0, OTHER: 0}
    for position, (org_name, key, community_name, number) in enumerate(plan):
        organisation = organisations.get(org_name)
        place = places.get(community_name)
        if organisation is None or place is None or organisation.status != VERIFIED:
            continue
        template = TEMPLATES[key]
        title = _title(template, community_name, plan_titles)
        status = STATUS_CYCLE[position % len(STATUS_CYCLE)]
        delivery = template.delivery
        budget = _yuan_budget(delivery, budget_index[delivery])
        budget_index[delivery] += 1
        found = existing.get((organisation.id, title))
        if found is not None:
            projects[title] = found
            continue
        # professional projects of street-based organisations often serve a second community too
        second = None
        if delivery == PROFESSIONAL and number % 3 == 0:
            _org, _keys, names = next(p for p in ORG_PLANS if p[0] == org_name)
            others = [places[n] for n in names if n != community_name and n in places]
            second = others[0] if others else None
        author = members_by_org.get(organisation.id, [admin])[number % max(1, len(members_by_org.get(
            organisation.id, [admin])))]
        project = _create(organisation, template, title, status, budget, [place] + ([second] if second else []),
                          author, today, rng)
        projects[title] = project
        _indicators_and_reports(project, template, [place] + ([second] if second else []), author, workers,
                                named_workers, today, rng)
        _photos(project, photo_keys, position)
        _updates_followers_ratings(project, author, residents, members_by_org, today, rng, position)
    pending = organisations.get(PENDING_DRAFT[0])
    if pending is not None and pending.status == PENDING and PENDING_DRAFT[2] in places:
        template = TEMPLATES[PENDING_DRAFT[1]]
        title = template.title.format(c=PENDING_DRAFT[2])
        project = existing.get((pending.id, title))
        if project is None:
            author = members_by_org.get(pending.id, [admin])[0]
            project = _create(pending, template, title, DRAFT, AVERAGE_BUDGET[SELF_HELP] * 100,
                              [places[PENDING_DRAFT[2]]], author, today, rng)
            _indicators_and_reports(project, template, [places[PENDING_DRAFT[2]]], author, workers, named_workers,
                                    today, rng)
        projects[title] = project
    _resident_notifications(users.get("resident"), today)
    db.session.flush()
    return projects


def _plan() -> list[tuple[str, str, str, int]]:
    """(organisation, template, community, number within the organisation), communities taken in turn."""
    plan = []
    for org_name, keys, community_names in ORG_PLANS:
        for number, key in enumerate(keys):
            plan.append((org_name, key, community_names[number % len(community_names)], number))
    return plan


def _title(template: Template, community_name: str, used: set[str]) -> str:
    """The template's title for the community; a repeat of the same service there is its second phase."""
    title = template.title.format(c=community_name)
    if title in used:
        title = f"{title}（二期）"
    used.add(title)
    return title


def _members(organisations: dict[str, Organisation]) -> dict[int, list[User]]:
    from portal.accounts.models import RoleAssignment

    rows = db.session.execute(
        select(RoleAssignment.scope_id, User).join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.scope_type == roles.SCOPE_ORGANISATION,
               RoleAssignment.scope_id.in_([o.id for o in organisations.values()]),
               RoleAssignment.role.in_((roles.ORG_ADMIN, roles.ORG_MEMBER)))
        .order_by(RoleAssignment.id)).all()
    members: dict[int, list[User]] = {}
    for organisation_id, user in rows:
        members.setdefault(organisation_id, []).append(user)
    return members


def _create(organisation, template: Template, title: str, status: str, budget_minor: int, places: list[Place],
            author: User, today: date, rng: random.Random) -> ServiceProject:
    if status in (DRAFT, PUBLISHED):
        starts = today + timedelta(days=rng.randint(10, 60))
        ends = starts + timedelta(days=rng.choice((180, 270, 365)))
    elif status == IN_PROGRESS:
        starts = today - timedelta(days=rng.randint(120, 420))
        ends = today + timedelta(days=rng.randint(60, 240))
    elif status == COMPLETED:
        ends = today - timedelta(days=rng.randint(20, 150))
        starts = ends - timedelta(days=rng.choice((270, 365, 450)))
    else:  # cancelled
        starts = today - timedelta(days=rng.randint(30, 90))
        ends = starts + timedelta(days=365)
    description = (f"## 为什么做\n\n{template.summary}\n\n## 怎么做\n\n- 服务对象：{template.target_groups}\n"
                   f"- 服务地点：{'、'.join(p.name for p in places)}\n- 资金来源：{template.funding}\n\n"
                   "## 欢迎参与\n\n有意参加或推荐服务对象的居民，请联系社区居委会或在本页关注项目动态。")
    created_at = _at(starts - timedelta(days=30))
    project = ServiceProject(
        organisation_id=organisation.id, title=title, summary=template.summary, description_md=description,
        category=template.category, service_type=template.service_type, delivery_model=template.delivery,
        target_groups=template.target_groups, starts_on=starts, ends_on=ends, budget_minor=budget_minor,
        currency="CNY", funding_sources=template.funding,
        beneficiaries_target=max(plan.target for plan in template.indicators if plan.unit != "%") or 50,
        status=status, created_by_id=author.id, created_at=created_at,
        published_at=None if status == DRAFT else created_at + timedelta(days=5),
        places=[ProjectPlace(place_id=place.id) for place in places])
    db.session.add(project)
    db.session.flush()
    return project


def _indicators_and_reports(project: ServiceProject, template: Template, places: list[Place], author: User,
                            workers: dict[int, User], named: dict[str, User], today: date,
                            rng: random.Random) -> None:
    reviewer = _reviewer_for(places[0], workers, named)
    periods = _periods(project.starts_on, project.ends_on, today) if project.status in (IN_PROGRESS, COMPLETED) \
        and reviewer is not None else []
    total_periods = max(1, (project.ends_on - project.starts_on).days // 90)
    achievement = rng.choice((0.75, 0.9, 1.0, 1.05, 1.15))
    for position, plan in enumerate(template.indicators):
        indicator = Indicator(project_id=project.id, name=plan.name, unit=plan.unit,
                              baseline=Decimal(plan.baseline), target=Decimal(plan.target), direction=plan.direction,
                              position=position)
        db.session.add(indicator)
        db.session.flush()
        for number, (start, end) in enumerate(periods):
            fraction = min(1.2, (number + 1) / total_periods * achievement)
            actual = _value(plan, fraction, rng)
            submitted = _at(end + timedelta(days=rng.randint(2, 8)), 9)
            last = number == len(periods) - 1
            if last and project.status == IN_PROGRESS and project.id % 3 == 0:
                db.session.add(IndicatorReport(indicator_id=indicator.id, period_start=start, period_end=end,
                                               actual=actual, narrative="本季度按计划开展服务，签到表和照片见附件。",
                                               status=SUBMITTED, submitted_by_id=author.id, submitted_at=submitted))
                continue
            if number == 1 and project.id % 4 == 1:
                # returned for missing evidence, then corrected and approved
                db.session.add(IndicatorReport(
                    indicator_id=indicator.id, period_start=start, period_end=end,
                    actual=actual + (Decimal(5) if plan.unit != "%" else Decimal("3.0")),
                    narrative="本季度服务情况良好。", status=RETURNED, submitted_by_id=author.id,
                    submitted_at=submitted, reviewed_by_id=reviewer.id, reviewed_at=submitted + timedelta(days=2),
                    review_comment=RETURN_COMMENTS[project.id % len(RETURN_COMMENTS)]))
                submitted = submitted + timedelta(days=5)
            db.session.add(IndicatorReport(
                indicator_id=indicator.id, period_start=start, period_end=end, actual=actual,
                narrative="本季度按计划开展服务，附签到表和活动照片。", status=APPROVED, submitted_by_id=author.id,
                submitted_at=submitted, reviewed_by_id=reviewer.id, reviewed_at=submitted + timedelta(days=3),
                review_comment="数据与签到表一致，同意。" if number % 2 == 0 else None))
    db.session.flush()


def _photos(project: ServiceProject, keys: list[str], position: int) -> None:
    if project.status in (DRAFT, CANCELLED) or position % 3 == 2:
        return
    for number in range(1 + position % 3):
        index = (position + number) % len(keys)
        db.session.add(ProjectPhoto(project_id=project.id, storage_key=keys[index],
                                    caption=PHOTO_CAPTIONS[index % len(PHOTO_CAPTIONS)], position=number))


def _updates_followers_ratings(project: ServiceProject, author: User, residents: list[User],
                               members_by_org: dict[int, list[User]], today: date, rng: random.Random,
                               position: int) -> None:
    if project.status == DRAFT:
        return
    start = project.published_at.date()
    until = min(today, project.ends_on) if project.status != PUBLISHED else today
    span = max(1, (until - start).days)
    count = {PUBLISHED: 1, IN_PROGRESS: 3, COMPLETED: 4, CANCELLED: 1}[project.status]
    for number in range(count):
        day = start + timedelta(days=span * (number + 1) // (count + 1))
        title = UPDATE_TITLES[7] if project.status == COMPLETED and number == count - 1 else \
            UPDATE_TITLES[(position + number) % 7]
        if project.status == CANCELLED and number == count - 1:
            title = "项目暂停说明：场地改造，服务暂停"
        db.session.add(ProjectUpdate(project_id=project.id, title=title,
                                     body_md=UPDATE_BODIES[(position + number) % len(UPDATE_BODIES)].format(
                                         n=rng.randint(20, 90)),
                                     author_id=author.id, created_at=_at(day, 15)))
    followers = rng.sample(residents, k=min(len(residents), rng.randint(3, 12)))
    for user in followers:
        db.session.add(ProjectFollower(project_id=project.id, user_id=user.id, created_at=_at(start, 20)))
    project.follower_count = len(followers)
    if project.status not in (IN_PROGRESS, COMPLETED):
        return
    members = {user.id for user in members_by_org.get(project.organisation_id, [])}
    raters = [user for user in rng.sample(residents, k=min(len(residents), rng.randint(2, 9)))
              if user.id not in members]
    scores = (5, 5, 4, 4, 4, 3, 5, 2, 4, 5)
    total = 0
    for number, user in enumerate(raters):
        score = scores[(position + number) % len(scores)]
        total += score
        when = _at(start + timedelta(days=span * (number + 1) // (len(raters) + 1)), 19)
        rating = ProjectRating(project_id=project.id, user_id=user.id, score=score,
                               comment=RATING_COMMENTS[(position + number) % len(RATING_COMMENTS)],
                               created_at=when, updated_at=when)
        if rating.comment and (score <= 3 or number % 3 == 0):
            rating.reply = REPLIES[(position + number) % len(REPLIES)]
            rating.replied_by_id = author.id
            rating.replied_at = when + timedelta(days=1)
        db.session.add(rating)
    project.rating_count = len(raters)
    project.rating_sum = total


def _resident_notifications(resident: User | None, today: date) -> None:
    """The demo resident (马小梅) follows a few projects and has their latest updates in her notifications."""
    from portal.projects.service import plain_text

    if resident is None:
        return
    already = db.session.scalar(select(Notification.id).where(Notification.user_id == resident.id,
                                                              Notification.kind == "project_update").limit(1))
    if already:
        return
    db.session.flush()
    projects = list(db.session.scalars(select(ServiceProject).where(
        ServiceProject.status.in_((IN_PROGRESS, COMPLETED))).order_by(ServiceProject.id).limit(4)))
    for number, project in enumerate(projects):
        if db.session.get(ProjectFollower, (project.id, resident.id)) is None:
            db.session.add(ProjectFollower(project_id=project.id, user_id=resident.id, created_at=utcnow()))
            project.follower_count += 1
        latest = db.session.scalar(select(ProjectUpdate).where(ProjectUpdate.project_id == project.id)
                                   .order_by(ProjectUpdate.created_at.desc()).limit(1))
        if latest is None:
            continue
        db.session.add(Notification(
            user_id=resident.id, kind="project_update", title=f"{project.title}: {latest.title}",
            body=plain_text(latest.body_md)[:300], url=f"/projects/{project.id}#update-{latest.id}",
            created_at=latest.created_at,
            read_at=None if number < 2 else latest.created_at + timedelta(days=1)))
