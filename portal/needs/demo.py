"""Demo resident needs: forty needs in seven communities, in every state (open, accepted, merged,
declined, answered), backed by the demo residents, some posted by grid workers for residents, most
answered ones linked to the service project that answers them (and one to a crowdfunding campaign when
the funds demo has one). Found again by (place, title): a second run adds nothing. Run after
seed_projects()."""
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from portal.accounts import roles
from portal.accounts.models import RoleAssignment, User
from portal.core.time import utcnow
from portal.demo_city import SEED
from portal.extensions import db
from portal.needs.models import ACCEPTED, ANSWERED, DECLINED, MERGED, OPEN, Need, NeedBacking, NeedLink
from portal.places.models import Place
from portal.projects.models import CANCELLED, DRAFT, ServiceProject


@dataclass(frozen=True)
class DemoNeed:
    place: str
    title: str
    status: str
    category: str | None = None
    affected_group: str = ""
    affected_count: int = 0
    description: str = ""
    project: str | None = None  # title of the service project answering it
    merged_into: str | None = None  # title of the need it duplicates
    reason: str | None = None  # why it was declined
    backers: int = 3
    on_behalf_of: str | None = None  # posted by the place's grid worker for this resident
    campaign: bool = False  # answered by a crowdfunding campaign when the funds demo has one
    days_ago: int = 30


N = DemoNeed
NEEDS = [
    # 铁路坝社区
    N("铁路坝社区", "独居老人吃饭难，希望有老年食堂", ANSWERED, "elderly_care", "独居和空巢老人", 46,
      "社区里独居老人多，很多人一个人懒得做饭，经常一碗面对付一天。", project="铁路坝社区独居老人助餐服务",
      backers=24, days_ago=210),
    N("铁路坝社区", "老人吃饭不方便，能不能送餐上门", MERGED, "elderly_care", "行动不便的老人", 12,
      merged_into="独居老人吃饭难，希望有老年食堂", backers=6, days_ago=190),
    N("铁路坝社区第1网格", "楼道灯坏了，晚上看不见", OPEN, "community_safety", "5栋住户", 36,
      "5栋二到四楼的声控灯坏了一个多月，老人晚上下楼很危险。", backers=9, on_behalf_of="张奶奶", days_ago=6),
    N("铁路坝社区第2网格", "3栋楼道堆满杂物，有消防隐患", ACCEPTED, "community_safety", "3栋住户", 48, backers=7,
      days_ago=25),
    N("铁路坝社区", "孩子放学后没人管", ACCEPTED, "children_youth", "双职工家庭的小学生", 30,
      "放学到家长下班中间有两个多小时，孩子只能在外面玩或者一个人在家。", backers=15, days_ago=40),
    N("铁路坝社区", "希望有人教孩子写作业", MERGED, "children_youth", merged_into="孩子放学后没人管", backers=4,
      days_ago=35),
    N("铁路坝社区", "希望有跳广场舞的场地", DECLINED, "culture_sports", "广场舞爱好者", 40,
      reason="社区广场已安排固定活动时段，夜间噪音投诉较多，暂不增加场地。建议到铁路坝公园活动，社区可协助联系。",
      backers=11, days_ago=80),
    N("铁路坝社区", "老年人不会用智能手机，看病挂号难", OPEN, "elderly_care", "60岁以上老人", 80, backers=18,
      days_ago=12),
    N("铁路坝社区", "希望组织老人互相照应", ANSWERED, "elderly_care", "低龄和高龄老人", 60,
      project="铁路坝社区低龄老人结对互助", backers=8, days_ago=160),
    N("铁路坝社区第3网格", "楼道破旧，想一起动手美化", ANSWERED, "culture_sports", "老旧楼栋居民", 90,
      project="铁路坝社区楼道文化微改造", backers=13, days_ago=150),
    N("铁路坝社区", "理发要跑很远，老人不方便", ANSWERED, "mutual_aid", "高龄老人", 50,
      project="铁路坝社区义剪义诊便民服务", backers=10, days_ago=130),
    N("铁路坝社区第1网格", "楼下餐馆油烟扰民", DECLINED, "environment", "1栋住户", 24,
      reason="属于环保执法事项，已转交区生态环境分局处理，网格员会回访处理结果。", backers=5,
      on_behalf_of="刘师傅", days_ago=55),
    N("铁路坝社区", "社区活动室开放时间太短", OPEN, "culture_sports", backers=6, days_ago=3),
    # 大公桥社区
    N("大公桥社区", "双职工家庭孩子放学没人接", ANSWERED, "children_youth", "小学生", 35,
      project="大公桥社区四点半课堂", backers=21, days_ago=300),
    N("大公桥社区", "暑假孩子没地方去", ANSWERED, "children_youth", "小学生", 50,
      project="大公桥社区暑期儿童托管营", backers=16, days_ago=120),
    N("大公桥社区", "小区缺少儿童图书", ANSWERED, "children_youth", "3-10岁儿童", 60,
      project="大公桥社区亲子共读计划", backers=9, days_ago=200),
    N("大公桥社区", "青春期孩子和家长沟通难", OPEN, "mental_health", "初中生家庭", 20, backers=7, days_ago=15),
    N("大公桥社区第2网格", "路灯不亮，夜里走路不安全", ACCEPTED, "community_safety", "胜利路沿线住户", 120,
      backers=12, on_behalf_of="李大爷", days_ago=20),
    N("大公桥社区", "垃圾桶太少，经常满出来", OPEN, "environment", backers=8, days_ago=9),
    N("大公桥社区", "想学做短视频找工作", ACCEPTED, "employment", "失业青年和宝妈", 25, backers=6, days_ago=45),
    N("大公桥社区", "孩子写作业没人辅导", MERGED, "children_youth", merged_into="双职工家庭孩子放学没人接", backers=5,
      days_ago=280),
    # 东山花园社区
    N("东山花园社区", "老旧小区楼梯没有扶手", ANSWERED, "elderly_care", "老年住户", 70,
      project="东山花园社区楼道文化微改造", backers=14, days_ago=260),
    N("东山花园社区", "独居老人需要有人定期看看", ANSWERED, "elderly_care", "高龄独居老人", 38,
      project="东山花园社区高龄老人上门探访", backers=12, days_ago=240),
    N("东山花园社区", "老人去医院没人陪", ANSWERED, "disability", "高龄和残障老人", 25,
      project="东山花园社区无障碍出行陪护", backers=9, days_ago=170),
    N("东山花园社区", "希望有老年合唱队", ANSWERED, "culture_sports", project="东山花园社区合唱团", backers=7,
      days_ago=220),
    N("东山花园社区", "小区停车难", DECLINED, "other", "有车住户", 200,
      reason="停车位规划属于业主大会和物业的事项。社区已召集业委会协商，请关注下次居民议事会通知。", backers=19,
      days_ago=90),
    N("东山花园社区", "流浪猫太多，晚上叫得睡不着", OPEN, "environment", backers=5, days_ago=8),
    # 万寿桥社区
    N("万寿桥社区", "电动车在楼道充电太危险", ANSWERED, "community_safety", "高层住户", 300,
      project="万寿桥社区电动车安全充电改造", backers=22, days_ago=230),
    N("万寿桥社区", "雨季低洼楼栋容易进水", ANSWERED, "community_safety", "低洼楼栋住户", 80,
      project="万寿桥社区防汛应急志愿队", backers=10, days_ago=250),
    N("万寿桥社区", "楼栋消防通道被占", ANSWERED, "community_safety", project="万寿桥社区楼栋安全巡查队",
      backers=8, days_ago=270),
    N("万寿桥社区", "邻居之间想互相帮忙但没平台", ANSWERED, "mutual_aid", project="万寿桥社区邻里互助时间银行",
      backers=6, days_ago=110),
    N("万寿桥社区", "小区没有健身器材", OPEN, "culture_sports", backers=9, days_ago=14),
    # 夷陵路社区
    N("夷陵路社区", "垃圾分类不知道怎么分", ANSWERED, "environment", project="夷陵路社区垃圾分类督导", backers=11,
      days_ago=140),
    N("夷陵路社区", "希望有社区食堂", ACCEPTED, "elderly_care", "老人和上班族", 150,
      "附近没有平价的食堂，老人做饭难，年轻人下班晚。", backers=20, campaign=True, days_ago=60),
    N("夷陵路社区", "楼上漏水找不到人修", DECLINED, "other",
      reason="属于邻里间房屋维修纠纷，已由网格员上门协调，请联系物业报修；协调不成可申请人民调解。", backers=2,
      days_ago=70),
    # 学院路社区
    N("学院路社区", "残疾人康复要去很远的医院", ANSWERED, "disability", "肢体残障人士", 18,
      project="学院路社区残障人士社区康复站", backers=9, days_ago=330),
    N("学院路社区", "轮椅上下楼困难，出门难", ANSWERED, "disability", "轮椅使用者", 9,
      project="学院路社区无障碍出行陪护", backers=6, days_ago=180),
    N("学院路社区", "大学生志愿者想参与社区服务", OPEN, "mutual_aid", backers=4, days_ago=5),
    # 沿江社区
    N("沿江社区", "孩子沉迷手机，家长很焦虑", ANSWERED, "mental_health", "中小学生家庭", 40,
      project="沿江社区青少年心理成长小组", backers=12, days_ago=190),
    N("沿江社区", "江边步道晚上太黑", ACCEPTED, "community_safety", backers=10, days_ago=30),
]


def _at(days_ago: int, hour: int = 10):
    day = utcnow().date() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, 0), tzinfo=UTC) - timedelta(hours=8)  # Shanghai time, stored in UTC


def _worker_for(place: Place, role: str) -> User | None:
    """Someone holding `role` on the place or a place above it (the community's worker, the grid's worker)."""
    return db.session.scalar(select(User).join(RoleAssignment, RoleAssignment.user_id == User.id).where(
        RoleAssignment.role == role, RoleAssignment.scope_type == roles.SCOPE_PLACE,
        RoleAssignment.scope_id.in_(place.ancestor_ids)).order_by(RoleAssignment.id).limit(1))


def _campaign_for(place: Place):
    try:
        from portal.funds.models import Campaign, Fund
    except ImportError:
        return None
    return db.session.scalar(select(Campaign).join(Fund, Fund.id == Campaign.fund_id).where(
        Campaign.status != "draft", Fund.place_id.in_(place.ancestor_ids)).order_by(Campaign.id).limit(1))


def seed_needs() -> dict[str, Need]:
    """Create the demo needs that are missing; returns every demo need by title."""
    rng = random.Random(f"{SEED}-needs")
    places = {p.name: p for p in db.session.scalars(select(Place).where(
        Place.name.in_({spec.place for spec in NEEDS})))}
    if not places:
        return {}
    residents = list(db.session.scalars(select(User).where(User.email.like("resident%@demo.example.org"))
                                        .order_by(User.email)))
    if not residents:
        return {}
    projects = {p.title: p for p in db.session.scalars(select(ServiceProject).where(
        ServiceProject.title.in_({spec.project for spec in NEEDS if spec.project})))}
    existing = {(n.place_id, n.title): n for n in db.session.scalars(select(Need).where(
        Need.title.in_([spec.title for spec in NEEDS])))}
    needs: dict[str, Need] = {}
    created: list[tuple[DemoNeed, Need, list[User]]] = []
    for number, spec in enumerate(NEEDS):
        place = places.get(spec.place)
        if place is None:
            continue
        found = existing.get((place.id, spec.title))
        if found is not None:
            needs[spec.title] = found
            continue
        grid_worker = _worker_for(place, roles.GRID_WORKER) if spec.on_behalf_of else None
        poster = grid_worker or residents[number % len(residents)]
        backers = [poster] + [r for r in rng.sample(residents, k=min(len(residents), spec.backers + 2))
                              if r.id != poster.id][: max(0, spec.backers - 1)]
        need = Need(place_id=place.id, title=spec.title, description=spec.description,
                    affected_group=spec.affected_group, affected_count=spec.affected_count, category=spec.category,
                    status=OPEN, posted_by_id=poster.id, on_behalf_of=spec.on_behalf_of if grid_worker else None,
                    created_at=_at(spec.days_ago, 8 + number % 10), backing_count=len(backers))
        db.session.add(need)
        needs[spec.title] = need
        created.append((spec, need, backers))
    db.session.flush()
    for spec, need, backers in created:
        for offset, user in enumerate(backers):
            db.session.add(NeedBacking(need_id=need.id, user_id=user.id,
                                       created_at=_at(max(0, spec.days_ago - offset), 21)))
    db.session.flush()
    for spec, need, _backers in created:
        _triage(spec, need, needs, projects)
    db.session.flush()
    return needs


def _triage(spec: DemoNeed, need: Need, needs: dict[str, Need], projects: dict[str, ServiceProject]) -> None:
    if spec.status == OPEN:
        return
    place = db.session.get(Place, need.place_id)
    worker = _worker_for(place, roles.COMMUNITY_WORKER)
    if worker is None:
        return
    need.triaged_by_id = worker.id
    need.triaged_at = _at(max(0, spec.days_ago - 4), 14)
    if spec.status == DECLINED:
        need.status, need.decline_reason = DECLINED, spec.reason
        return
    if spec.status == MERGED:
        into = needs.get(spec.merged_into)
        if into is None:
            need.status = ACCEPTED
            return
        need.status, need.merged_into_id = MERGED, into.id
        # the backers move over, each counted once (as the service's merge does)
        behind = set(db.session.scalars(select(NeedBacking.user_id).where(NeedBacking.need_id == into.id)))
        for backing in list(db.session.scalars(select(NeedBacking).where(NeedBacking.need_id == need.id))):
            if backing.user_id not in behind:
                db.session.add(NeedBacking(need_id=into.id, user_id=backing.user_id, created_at=backing.created_at))
                into.backing_count += 1
            db.session.delete(backing)
        need.backing_count = 0
        return
    need.status = ACCEPTED
    target = None
    if spec.project:
        project = projects.get(spec.project)
        if project is not None and project.status not in (DRAFT, CANCELLED):
            target = ("project", project.id, "")
    elif spec.campaign:
        campaign = _campaign_for(place)
        if campaign is not None:
            target = ("campaign", campaign.id, "居民众筹建设社区食堂")
    if spec.status == ANSWERED or target is not None:
        if target is None:
            return  # the answering project is still a draft (or was cancelled): the need stays accepted
        db.session.add(NeedLink(need_id=need.id, target_type=target[0], target_id=target[1], note=target[2],
                                linked_by_id=worker.id, linked_at=_at(max(0, spec.days_ago - 10), 15)))
        need.status = ANSWERED
