"""Demo funds at the scale of Hubei's 5th community public-welfare contest (CONTEXT.md): 51 campaigns,
156 resident teams, 1,672 team members and about 620,000 yuan raised, with WeChat Pay, Alipay, card
(sandbox), cash, in-kind and matched gifts, refunds and disbursements. `seed_funds()` is called by `portal demo`
after the places, users and organisations exist; it finds them by email and place code and creates none of them.

Every yuan goes through the real services (payments for gifts and refunds, funds for the lifecycle and
disbursements, the ledger underneath), so the caches equal the ledger sums and `portal reconcile`
passes. Only people and plain rows (users, teams, members, pending donations) are inserted in batches.
Idempotent: nothing happens when the first demo fund exists. Seeded random numbers: same data each run.
"""
import random
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import event, func, select

from portal.accounts import roles
from portal.accounts.models import User
from portal.core.time import utcnow
from portal.demo_city import demo_email, plan_city
from portal.extensions import db
from portal.funds import disbursements, in_kind, service
from portal.funds.ledger import sum_minor
from portal.funds.models import (
    ALL_OR_NOTHING,
    CLOSED,
    COMMUNITY_FOUNDATION,
    COMMUNITY_WELFARE_FUND,
    DRAFT,
    ENDED,
    FAILED,
    KEEP_IT_ALL,
    LIVE,
    PURPOSE_GENERAL,
    PURPOSE_NEED,
    PURPOSE_PROJECT,
    SUCCEEDED,
    Campaign,
    CampaignUpdate,
    Fund,
    InKindPledge,
    LedgerEntry,
    MatchingPool,
    Team,
    TeamMember,
)
from portal.payments import models as gifts
from portal.places.models import Place

SEED = "2026-funds"
TARGET_RAISED_MINOR = 620_120 * 100  # Hubei 2018: 620,120 yuan over 51 projects
CAMPAIGNS, TEAMS, TEAM_MEMBERS = 51, 156, 1_672
MEMBER_PREFIX = "member"  # member0001@demo.example.org ... the 1,672 team members


def _demo_email(local_part: str) -> str:

    return demo_email(local_part)


@dataclass(frozen=True)
class DemoFund:
    name: str
    kind: str
    place: str  # place name in portal.demo.CITY
    description: str
    treasurer: tuple[str, str]  # (email local part, display name)
    committee: tuple[str, str]


FUNDS = [
    DemoFund("铁路坝社区公益金", COMMUNITY_WELFARE_FUND, "铁路坝社区",
             "居民自筹、居民自管、居民自用的社区公益金，支持助老、助学和楼栋自治项目。",
             ("treasurer", "刘会计"), ("committee", "陈委员")),
    DemoFund("东山花园社区公益金", COMMUNITY_WELFARE_FUND, "东山花园社区",
             "东山花园老旧小区改造后的居民公益金，用于楼道、扶手、老年食堂等小微项目。",
             ("treasurer-dongshan", "杨会计"), ("committee-dongshan", "罗委员")),
    DemoFund("夜明珠社区公益金", COMMUNITY_WELFARE_FUND, "夜明珠社区",
             "由夜明珠社区居委会发起，募集居民、商户和驻区单位的捐赠，用于社区互助。",
             ("treasurer-yemingzhu", "宋会计"), ("committee-yemingzhu", "唐委员")),
    DemoFund("西陵街道社区基金会", COMMUNITY_FOUNDATION, "西陵街道",
             "面向西陵街道各社区的社区基金会：资金募捐、定向捐赠和项目认捐，资助居民自治项目。",
             ("treasurer-xiling", "韩会计"), ("committee-xiling", "冯理事")),
    DemoFund("大公桥社区公益金", COMMUNITY_WELFARE_FUND, "大公桥社区",
             "大公桥社区的居民公益金，重点支持青少年课后服务和困难家庭帮扶。",
             ("treasurer-dagongqiao", "邓会计"), ("committee-dagongqiao", "曹委员")),
    DemoFund("万寿桥社区公益金", COMMUNITY_WELFARE_FUND, "万寿桥社区",
             "万寿桥社区志愿者和居民共同管理的公益金，支持邻里互助和环境整治。",
             ("treasurer-wanshouqiao", "彭会计"), ("committee-wanshouqiao", "曾委员")),
]

TITLES = [
    "为独居老人送热饭", "楼道声控灯更换", "四点半课堂", "老旧楼栋加装扶手", "儿童阅览角添新书", "助残康复器材",
    "暖冬棉被送高龄老人", "社区共享菜园", "垃圾分类督导员补贴", "爱心义剪进楼栋", "长者集体生日会",
    "留守儿童夏令营", "社区老年食堂餐具", "楼栋微花园", "防汛应急包", "困难家庭助学金", "社区电影夜",
    "居家养老呼叫器", "楼道杂物清理", "儿童安全座椅借用站", "社区义诊日", "二手玩具交换角", "独居老人探访包",
    "小区路灯维修", "社区合唱团服装", "残障人士出行陪护", "社区图书漂流站", "健康讲座茶歇", "邻里节百家宴",
    "老年智能手机课", "社区乒乓球台", "雨棚修缮", "单亲家庭亲子营", "社区跳蚤市场摊位", "楼栋议事会茶水",
    "失能老人助浴", "儿童防溺水宣传", "社区书法班纸墨", "环保袋替代塑料袋", "空巢老人节日慰问", "社区消防器材",
    "小区无障碍坡道", "青少年心理辅导", "社区志愿者保险", "旧衣物回收箱", "社区洗衣房", "老人防诈骗讲座",
    "社区晨练音响", "楼栋互助基金", "助餐点燃气费", "社区春晚",
]
TEAM_NAMES = ["夕阳红", "红马甲", "向日葵", "小蜜蜂", "暖心", "邻里守望", "银发", "巾帼", "青春", "书香",
              "爱心妈妈", "楼栋长", "晨练", "广场舞", "棋友", "同心", "手拉手", "微光", "石榴籽", "萤火虫"]
SPONSORS = ["宜昌三峡爱心超市", "夷陵物业服务公司", "西陵区商会", "宜昌银行夜明珠支行", "东山药房",
            "万寿桥菜市场商户联合会", "学院路书店", "大公桥驻区单位联合党支部"]
GIFT_AMOUNTS = [10, 20, 20, 50, 50, 66, 88, 100, 100, 100, 120, 200, 200, 300, 500, 500, 1000, 2000]
IN_KIND = [("goods", "手工糕点义卖 30 份", 600), ("skills", "周六义剪 20 人次", 400),
           ("time", "陪伴独居老人 10 小时", 300), ("goods", "二手儿童图书 60 本", 900),
           ("goods", "二手玩具一箱", 200), ("skills", "家电义修", 500),
           ("goods", "废旧纸箱回收", 150), ("time", "课后辅导 8 次", 800), ("goods", "冬季棉被 10 床", 1500)]


@dataclass
class PlannedGift:
    amount_minor: int
    at: object
    donor: User | None
    donor_name: str
    display_mode: str
    team: Team | None = None
    offline: bool = False
    refund_minor: int = 0


@dataclass
class PlannedCampaign:
    fund: Fund
    title: str
    outcome: str  # live | succeeded | ended | failed | closed | draft
    funding_model: str
    starts_at: object
    ends_at: object
    teams: int
    gifts: list = field(default_factory=list)
    campaign: Campaign | None = None


@contextmanager
def booked_at(clock: dict):
    """Ledger entries of the demo's history carry the moment their gift happened (clock["now"]).

    A before-insert hook, not an update: ledger rows stay append-only; only while seeding. (The audit log
    keeps the real time: it records when the demo was loaded.)
    """
    def stamp(_mapper, _connection, target):
        if clock.get("now") is not None:
            target.created_at = clock["now"]

    event.listen(LedgerEntry, "before_insert", stamp)
    try:
        yield clock
    finally:
        event.remove(LedgerEntry, "before_insert", stamp)


def _places_by_name() -> dict[str, Place]:

    codes = {planned.name: planned.code for planned in plan_city()}
    wanted = {fund.place: codes[fund.place] for fund in FUNDS}
    found = {place.code: place for place in db.session.scalars(select(Place).where(Place.code.in_(wanted.values())))}
    missing = [name for name, code in wanted.items() if code not in found]
    if missing:
        raise RuntimeError(f"run the places step of the demo first (missing: {', '.join(missing)})")
    return {name: found[code] for name, code in wanted.items()}


def _users_by_local_part(local_parts) -> dict[str, User]:
    emails = {_demo_email(part): part for part in local_parts}
    return {emails[user.email]: user for user in db.session.scalars(select(User).where(User.email.in_(emails)))}


def _new_users(specs: list[tuple[str, str]], password_hash: str) -> dict[str, User]:
    """Accounts the funds demo adds (treasurers, committees, team members), in one batch."""
    existing = _users_by_local_part([local for local, _name in specs])
    created = [User(email=_demo_email(local), password_hash=password_hash, display_name=name, locale="zh_CN",
                    privacy_consent_at=utcnow()) for local, name in specs if local not in existing]
    db.session.add_all(created)
    db.session.flush()
    return _users_by_local_part([local for local, _name in specs])


_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
_GIVEN = ["秀英", "桂英", "建华", "国强", "丽娟", "志刚", "海燕", "春梅", "文杰", "晓东", "玉兰",
          "德明", "佳怡", "子涵", "浩然", "雨桐", "俊杰", "欣怡", "明轩", "思远", "红霞", "永康"]


def _member_names(rng: random.Random, count: int) -> list[str]:
    return [rng.choice(_SURNAMES) + rng.choice(_GIVEN) for _ in range(count)]


def _split(total: int, parts: int, rng: random.Random, low: int) -> list[int]:
    """`total` split into `parts` whole numbers, each at least `low`, a little uneven."""
    sizes = [low] * parts
    for _ in range(total - low * parts):
        sizes[rng.randrange(parts)] += 1
    return sizes


def _stamp(row, **moments) -> None:
    """Back-date the plain timestamps of a demo row (never ledger rows) to when its story happened."""
    for name, moment in moments.items():
        setattr(row, name, moment)


def _nice_yuan(yuan: float) -> int:
    """A round amount, as people give: 10s below 100 yuan, 50s below 1,000, 100s above."""
    step = 10 if yuan < 100 else 50 if yuan < 1000 else 100
    return max(10, round(yuan / step) * step)


SUMMARIES = ["{place}居民在议事会上提出的小微项目，众筹所得全部用于{title}。",
             "居民投票选出的实事：{title}，让{place}更宜居。",
             "街坊们一起出钱出力：{title}。每一笔收支都在公开账本上。",
             "为{place}的老人、孩子和困难家庭做一件实事：{title}。"]


def _rail(rng: random.Random, plan, gift) -> str:
    """How a demo gift was paid: WeChat Pay for three in ten, Alipay for two in ten, the sandbox's card for the
    rest. Gifts the demo refunds (a donor's refund, a failed campaign giving everything back) stay on the sandbox,
    whose refunds settle without a provider to call; the demo enables neither WeChat Pay nor Alipay."""
    draw = rng.random()
    if gift.refund_minor or plan.outcome == FAILED:
        return gifts.SANDBOX
    return gifts.WECHATPAY if draw < 0.3 else gifts.ALIPAY if draw < 0.5 else gifts.SANDBOX


def _provider_orders(donations: list, rng: random.Random) -> None:
    """The order numbers each provider's code gives a gift (WeChat Pay's out_trade_no, Alipay's out_trade_no) and
    a transaction number of the provider's shape (28 digits), as a paid order of that rail carries."""
    from flask import current_app

    from portal.payments.providers.alipay_provider import AlipayProvider
    from portal.payments.providers.wechatpay_provider import WeChatPayProvider

    wechatpay, alipay = WeChatPayProvider(current_app.config), AlipayProvider(current_app.config)
    for donation in donations:
        if donation.provider == gifts.WECHATPAY:
            donation.provider_session_id = wechatpay.out_trade_no(donation)
            donation.provider_payment_id = f"4200{rng.randrange(10**24):024d}"
        elif donation.provider == gifts.ALIPAY:
            donation.provider_session_id = alipay.order_number(donation)
            donation.provider_payment_id = f"{donation.created_at:%Y%m%d}2200{rng.randrange(10**16):016d}"
    db.session.flush()


def fund_logins() -> list[tuple[str, str, str]]:
    """(email, role, fund) for the treasurers and committee members (for the demo command's table)."""
    return [(_demo_email(spec.treasurer[0]), roles.TREASURER, spec.name) for spec in FUNDS] + [
        (_demo_email(spec.committee[0]), roles.FUND_COMMITTEE, spec.name) for spec in FUNDS]


def seed_funds() -> list[str]:
    """Create the demo funds (once); returns summary lines for the demo command."""
    if db.session.scalar(select(Fund.id).where(Fund.name == FUNDS[0].name)) is not None:
        return funds_summary()
    rng = random.Random(SEED)
    now = utcnow()
    places = _places_by_name()
    staff = _users_by_local_part(["admin", "org-admin", "resident",
                                  *[f"resident{n:02d}" for n in range(1, 31)]])
    admin, requester = staff["admin"], staff["org-admin"]
    # the demo's one shared password hash (no Argon2 run per account): the same sign-in for everybody
    password_hash = admin.password_hash
    officers = _new_users([person for spec in FUNDS for person in (spec.treasurer, spec.committee)], password_hash)
    members = _new_users([(f"{MEMBER_PREFIX}{n:04d}", name)
                          for n, name in enumerate(_member_names(rng, TEAM_MEMBERS), start=1)], password_hash)
    member_list = [members[f"{MEMBER_PREFIX}{n:04d}"] for n in range(1, TEAM_MEMBERS + 1)]
    residents = [staff[f"resident{n:02d}"] for n in range(1, 31)] + [staff["resident"]]

    # --- funds and their committees ---
    funds = []
    for spec in FUNDS:
        fund = service.create_fund(admin, places[spec.place], spec.kind, spec.name, spec.description)
        service.grant_fund_role(fund, _demo_email(spec.treasurer[0]), roles.TREASURER, admin)
        service.grant_fund_role(fund, _demo_email(spec.committee[0]), roles.FUND_COMMITTEE, admin)
        funds.append(fund)
    treasurer_of = {fund.id: officers[spec.treasurer[0]] for fund, spec in zip(funds, FUNDS, strict=True)}
    committee_of = {fund.id: officers[spec.committee[0]] for fund, spec in zip(funds, FUNDS, strict=True)}

    # --- plan the campaigns: 51, of which one draft; outcomes like a contest half-way through its second round ---
    outcomes = ([LIVE] * 30 + [SUCCEEDED] * 11 + [ENDED] * 4 + [FAILED] * 2 + [CLOSED] * 3 + [DRAFT])
    rng.shuffle(outcomes)
    outcomes.sort(key=lambda outcome: outcome == DRAFT)  # the draft last: it takes no teams
    team_counts = [4] * 6 + [3] * 44  # 156 teams over the 50 published campaigns (3.1 each, as in Hubei)
    plans = []
    for index, (title, outcome) in enumerate(zip(TITLES, outcomes, strict=True)):
        fund = funds[index % len(funds)]
        if outcome in (LIVE, DRAFT):
            starts = now - timedelta(days=rng.randint(3, 25))
            ends = now + timedelta(days=rng.randint(10, 60))
        else:
            ends = now - timedelta(days=rng.randint(5, 120))
            starts = ends - timedelta(days=rng.randint(30, 60))
        model = ALL_OR_NOTHING if outcome == FAILED or (outcome == SUCCEEDED and index % 3 == 0) else KEEP_IT_ALL
        plans.append(PlannedCampaign(fund, title, outcome, model, starts, ends,
                                     0 if outcome == DRAFT else team_counts[index]))

    # --- campaigns, live while their gifts are taken (finished ones are closed at the end) ---
    for number, plan in enumerate(plans):
        plan.campaign = service.create_campaign(
            plan.fund, admin, title=plan.title,
            summary=SUMMARIES[number % len(SUMMARIES)].format(place=plan.fund.place.name, title=plan.title),
            story_md=(f"## 为什么\n\n{plan.title}是居民在议事会上提出的需求，**由居民众筹、居民管理**。\n\n"
                      "- 每一笔捐赠都在基金的公开账本上\n- 支出由管委会审批，用途公开\n"),
            goal_minor=1_000_000, starts_at=plan.starts_at, ends_at=max(plan.ends_at, now + timedelta(days=1)),
            funding_model=plan.funding_model,
            purpose_kind=[PURPOSE_GENERAL, PURPOSE_PROJECT, PURPOSE_NEED][len(plan.title) % 3],
            purpose_text="" if len(plan.title) % 3 == 0 else plan.title)
        if plan.outcome != DRAFT:
            service.publish_campaign(plan.campaign, admin)
            _stamp(plan.campaign, created_at=plan.starts_at - timedelta(days=3), published_at=plan.starts_at)

    # --- teams and their 1,672 members (batch) ---
    published = [plan for plan in plans if plan.outcome != DRAFT]
    sizes = _split(TEAM_MEMBERS, TEAMS, rng, low=5)
    member_iter = iter(member_list)
    size_iter = iter(sizes)
    teams_of: dict[int, list[tuple[Team, list[User]]]] = {}
    rows = []
    for plan in published:
        names = rng.sample(TEAM_NAMES, plan.teams)
        for name in names:
            people = [next(member_iter) for _ in range(next(size_iter))]
            team = Team(campaign_id=plan.campaign.id, name=f"{name}小分队",
                        goal_minor=rng.choice([3, 5, 8, 10]) * 100_000,
                        story=f"我们是{plan.fund.place.name}的{name}小分队，一起为“{plan.title}”出力。",
                        captain_id=people[0].id, created_at=plan.starts_at + timedelta(days=1))
            rows.append((plan, team, people))
    db.session.add_all([team for _plan, team, _people in rows])
    db.session.flush()
    db.session.add_all([TeamMember(team_id=team.id, user_id=person.id, joined_at=team.created_at)
                        for _plan, team, people in rows for person in people])
    for plan, team, people in rows:
        teams_of.setdefault(plan.campaign.id, []).append((team, people))

    # --- matching pools on ten campaigns ---
    for number, plan in enumerate(rng.sample([p for p in published if p.outcome != FAILED], 10)):
        db.session.add(MatchingPool(
            campaign_id=plan.campaign.id, sponsor_name=SPONSORS[number % len(SPONSORS)], ratio_numerator=1,
            ratio_denominator=1 if number % 2 == 0 else 2, cap_minor=rng.choice([1_000, 2_000, 3_000]) * 100,
            per_donor_cap_minor=rng.choice([None, 20_000]), starts_at=plan.starts_at, ends_at=plan.ends_at))
    db.session.flush()

    # --- plan the gifts: most members give through their team; neighbours give without a team ---
    def moment(plan):
        latest = min(plan.ends_at, now) - timedelta(minutes=5)
        return plan.starts_at + (latest - plan.starts_at) * rng.random()

    for plan in published:
        for team, people in teams_of[plan.campaign.id]:
            for person in people:
                if rng.random() < 0.6:
                    plan.gifts.append(PlannedGift(rng.choice(GIFT_AMOUNTS) * 100, moment(plan), person,
                                                  person.display_name, rng.choice(["named", "named", "initials"]),
                                                  team=team))
        for _ in range(rng.randint(4, 12)):
            donor = rng.choice(residents)
            plan.gifts.append(PlannedGift(rng.choice(GIFT_AMOUNTS) * 100, moment(plan), donor, donor.display_name,
                                          rng.choice(["named", "initials", "anonymous"])))
        for n in range(rng.randint(1, 4)):  # cash handed to the treasurer
            plan.gifts.append(PlannedGift(rng.choice([200, 500, 1000, 2000]) * 100, moment(plan), None,
                                          rng.choice(["宜昌爱心商户", "驻区单位工会", "热心居民", "夜市摊主联合会"])
                                          + f"{n + 1}", "named", offline=True))
    # scale to the contest's total (pools add their matches on top; refunds and failed campaigns take some back)
    counted = sum(g.amount_minor for plan in published if plan.outcome != FAILED for g in plan.gifts)
    pool_total = db.session.scalar(select(sum_minor(MatchingPool.cap_minor)))
    factor = (TARGET_RAISED_MINOR - pool_total * 0.8) / counted
    for plan in published:
        for gift in plan.gifts:
            gift.amount_minor = _nice_yuan(gift.amount_minor * factor / 100) * 100
        for gift in rng.sample(plan.gifts, min(len(plan.gifts), 1 if rng.random() < 0.5 else 0)):
            if not gift.offline and plan.outcome != FAILED:
                gift.refund_minor = gift.amount_minor // 2  # a donor asked for half back (wrong amount typed)

    # --- goals follow the plan, set before any money moves: succeeded campaigns reach theirs, the others miss ---
    caps = dict(db.session.execute(select(MatchingPool.campaign_id, sum_minor(MatchingPool.cap_minor))
                                   .group_by(MatchingPool.campaign_id)).all())
    for plan in published:
        planned = sum(gift.amount_minor - gift.refund_minor for gift in plan.gifts)
        if plan.outcome in (SUCCEEDED, CLOSED):
            goal = planned * 9 // 10
        elif plan.outcome in (ENDED, FAILED):
            goal = (planned + caps.get(plan.campaign.id, 0)) * 3 // 2
        else:
            goal = (planned + caps.get(plan.campaign.id, 0)) * rng.choice([12, 15, 20]) // 10
        rounding = 100_000  # whole thousands of yuan
        plan.campaign.goal_minor = max(rounding, goal // rounding * rounding if plan.outcome in (SUCCEEDED, CLOSED)
                                       else (goal // rounding + 1) * rounding)
    db.session.flush()

    # --- the money, through payments and the ledger, booked when it happened ---
    from portal.payments import offline
    from portal.payments import service as payments

    pending = []
    rails = random.Random(f"{SEED}-rails")  # its own numbers: which rail paid changes none of the figures above
    for plan in published:
        for gift in plan.gifts:
            if gift.offline:
                continue
            donation = gifts.Donation(fund_id=plan.fund.id, campaign_id=plan.campaign.id,
                                      team_id=getattr(gift.team, "id", None), donor_id=gift.donor.id,
                                      donor_name=gift.donor_name, display_mode=gift.display_mode,
                                      amount_minor=gift.amount_minor, provider=_rail(rails, plan, gift),
                                      status=gifts.PENDING, created_at=gift.at)
            pending.append((plan, gift, donation))
    db.session.add_all([donation for _plan, _gift, donation in pending])
    db.session.flush()
    _provider_orders([donation for _plan, _gift, donation in pending], rails)
    in_time = sorted(pending, key=lambda row: row[1].at)
    with booked_at({}) as clock:
        for plan, gift, donation in in_time:
            clock["now"] = gift.at
            payments.mark_donation_succeeded(donation, at=gift.at)
            if gift.refund_minor:
                clock["now"] = gift.at + timedelta(hours=3)
                payments.refund_donation(donation, gift.refund_minor, "捐款金额填错，退回一半",
                                         treasurer_of[plan.fund.id])
        receipts = 0
        for plan in published:
            for gift in plan.gifts:
                if not gift.offline:
                    continue
                receipts += 1
                clock["now"] = gift.at
                donation = offline.record_offline_gift(
                    plan.fund, plan.campaign, None, gift.donor_name, gift.display_mode, gift.amount_minor, "cash",
                    f"SJ-{plan.campaign.id:03d}-{receipts:04d}", treasurer_of[plan.fund.id])
                donation.created_at = gift.at
                offline.confirm_offline_gift(donation, committee_of[plan.fund.id])
                donation.succeeded_at = gift.at

        # --- gifts in kind: pledged, received, sold (then confirmed as cash), withdrawn ---
        for number, plan in enumerate(rng.sample(published, 24)):
            category, description, value = IN_KIND[number % len(IN_KIND)]
            donor = rng.choice(residents)
            clock["now"] = moment(plan)
            pledge = in_kind.pledge_in_kind(plan.fund, donor, donor=donor, display_mode="named", category=category,
                                            description=description, estimated_value_minor=value * 100,
                                            campaign=plan.campaign)
            _stamp(pledge, created_at=clock["now"])
            treasurer = treasurer_of[plan.fund.id]
            if number % 4 in (1, 2):
                in_kind.receive_in_kind(pledge, treasurer)
                _stamp(pledge, received_at=clock["now"])
            if number % 4 == 2 and category == "goods":
                sale = in_kind.sell_in_kind(pledge, treasurer, amount_minor=value * 80, method="cash",
                                            receipt_ref=f"YM-{pledge.id:04d}")
                offline.confirm_offline_gift(sale, committee_of[plan.fund.id])
                _stamp(sale, created_at=clock["now"], succeeded_at=clock["now"])
            if number % 4 == 3:
                in_kind.withdraw_in_kind(pledge, donor)

        # --- finish what has ended: set goals from what came in, then the lifecycle decides ---
        for plan in published:
            campaign = plan.campaign
            campaign.ends_at = plan.ends_at
            if plan.outcome == LIVE:
                continue
            clock["now"] = plan.ends_at + timedelta(hours=1)
            service.finish_campaign(campaign, admin)
            campaign.finished_at = clock["now"]
            if plan.outcome == CLOSED:
                service.close_campaign(campaign, admin)
            db.session.add(CampaignUpdate(campaign_id=campaign.id, author_id=committee_of[plan.fund.id].id,
                                          title=("项目完成，感谢每一位邻居" if campaign.status != FAILED
                                                 else "未达目标，善款已全部退回"),
                                          body_md="感谢大家！**每一笔钱的去向**都在基金公开账本上。",
                                          created_at=clock["now"]))
        for plan in published:
            if plan.outcome == LIVE and rng.random() < 0.4:
                db.session.add(CampaignUpdate(campaign_id=plan.campaign.id, author_id=admin.id, title="第一周进展",
                                              body_md="已有多支小分队加入，感谢街坊们的支持。",
                                              created_at=plan.starts_at + timedelta(days=2)))

        # --- disbursements: paid to projects, one approved, one waiting, one rejected per fund ---
        for fund in funds:
            db.session.refresh(fund)
            treasurer, committee = treasurer_of[fund.id], committee_of[fund.id]
            finished = [plan.campaign for plan in published if plan.fund is fund and plan.outcome != LIVE
                        and plan.campaign.status != FAILED]
            for number, campaign in enumerate(finished[:3]):
                amount = min(campaign.raised_minor * 7 // 10 // 100 * 100, disbursements.available_minor(fund))
                if amount <= 0:
                    continue
                asked = campaign.finished_at + timedelta(days=2)
                clock["now"] = asked + timedelta(days=4)  # paid four days after the request
                disbursement = disbursements.request_disbursement(
                    fund, requester, purpose=f"{campaign.title}：采购与服务费用（第{number + 1}批）",
                    payee="宜昌市西陵区阳光社会工作服务中心", amount_minor=amount, campaign=campaign)
                disbursements.approve_disbursement(disbursement, committee, "符合项目预算，同意拨付。")
                disbursements.pay_disbursement(disbursement, treasurer, f"ZZ{fund.id:02d}{disbursement.id:05d}")
                _stamp(disbursement, requested_at=asked, decided_at=asked + timedelta(days=1), paid_at=clock["now"])
            for days_ago, (purpose, amount, step) in enumerate((("社区公益金年度审计费", 80_000, "approve"),
                                                                ("楼栋议事会场地布置", 50_000, "wait"),
                                                                ("购买非必需的办公电脑", 600_000, "reject")), start=1):
                if amount > disbursements.available_minor(fund):
                    continue
                disbursement = disbursements.request_disbursement(fund, requester, purpose=purpose, payee="社区居委会",
                                                            amount_minor=amount)
                asked = now - timedelta(days=days_ago + 1)
                if step == "approve":
                    disbursements.approve_disbursement(disbursement, committee, "")
                elif step == "reject":
                    disbursements.reject_disbursement(disbursement, committee,
                                                "与公益金使用范围不符，请改由社区办公经费列支。")
                _stamp(disbursement, requested_at=asked,
                       decided_at=None if step == "wait" else asked + timedelta(hours=20))
        clock["now"] = None
    db.session.flush()
    return funds_summary()


def funds_summary() -> list[str]:
    numbers = db.session.execute(select(
        select(func.count()).select_from(Fund).scalar_subquery(),
        select(func.count()).select_from(Campaign).scalar_subquery(),
        select(func.count()).select_from(Team).scalar_subquery(),
        select(func.count()).select_from(TeamMember).scalar_subquery(),
        select(sum_minor(Fund.raised_minor)).scalar_subquery(),
        select(sum_minor(Fund.disbursed_minor)).scalar_subquery(),
        select(func.count()).select_from(gifts.Donation).where(gifts.Donation.status.in_(
            (gifts.SUCCEEDED, gifts.PARTIALLY_REFUNDED, gifts.REFUNDED))).scalar_subquery(),
        select(func.count()).select_from(InKindPledge).scalar_subquery())).one()
    funds, campaigns, teams, members, raised, disbursed, donations, pledges = numbers
    return [f"funds: {funds} funds, {campaigns} campaigns, {teams} teams, {members:,} team members",
            f"money: {donations:,} gifts, ¥{raised // 100:,} raised, ¥{disbursed // 100:,} paid out, "
            f"{pledges} gifts in kind"]
