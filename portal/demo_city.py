"""The demo city's foundation: places, users for every role and organisations, and the helpers every domain's
demo uses (SEED, demo_email, ensure_role, plan_city). Idempotent.

It sits below the domain demos (portal/<domain>/demo.py import it) and below portal/demo.py, the command
that runs them all, so no demo module imports one above it.

The city is modelled on Yichang (宜昌), whose grid management CONTEXT.md describes: two districts, six
streets, twenty communities and 150 grids of 300-500 people each. Every row is found again by a stable
key (place code, email, organisation name), so running the command again adds nothing and changes
nothing. Numbers come from seeded random generators, so every run builds the same city.
"""
import random
from dataclasses import dataclass, field

from sqlalchemy import select

from portal.accounts import roles
from portal.accounts.models import RoleAssignment, User
from portal.accounts.passwords import check_password_strength, hash_password
from portal.accounts.service import grant_role, normalise_email
from portal.core.time import utcnow
from portal.extensions import db
from portal.orgs.credit_code import CIVIL_AFFAIRS, TYPE_OF_LEGAL_FORM, check_character
from portal.orgs.models import (
    FOUNDATION,
    PENDING,
    PRIVATE_NON_ENTERPRISE,
    REJECTED,
    SOCIAL_GROUP,
    SUSPENDED,
    VERIFIED,
    Organisation,
    OrganisationServiceArea,
)
from portal.places.models import COMMUNITY, DISTRICT, GRID, KINDS, STREET, Place

# One password for every demo account: it passes check_password_strength and is printed by the command.
DEMO_PASSWORD = "Demo-Portal-2026!"
DEMO_DOMAIN = "demo.example.org"
SEED = 2026


def demo_email(local_part: str) -> str:
    return f"{local_part}@{DEMO_DOMAIN}"


# --- places --------------------------------------------------------------------------------------

# district code, district, streets: (street, communities)
CITY = [
    ("420502", "西陵区", [
        ("夜明珠街道", ["铁路坝社区", "东山花园社区", "夜明珠社区", "珍珠路社区"]),
        ("西陵街道", ["夷陵路社区", "解放路社区", "二马路社区", "环城南路社区"]),
        ("学院街道", ["西陵二路社区", "学院路社区", "大学路社区"]),
        ("云集街道", ["云集路社区", "四方堰社区", "樵湖岭社区"]),
    ]),
    ("420503", "伍家岗区", [
        ("大公桥街道", ["大公桥社区", "沿江社区", "胜利三路社区"]),
        ("万寿桥街道", ["万寿桥社区", "桔城路社区", "东艳路社区"]),
    ]),
]
GRIDS_PER_COMMUNITY = 7  # plus one more in half of the communities: 150 grids in all


@dataclass
class PlanPlace:
    kind: str
    name: str
    code: str
    parent_code: str | None
    population: int = 0
    households: int = 0
    children: list["PlanPlace"] = field(default_factory=list)


def plan_city() -> list[PlanPlace]:
    """The whole tree as plain data, root first, with grid numbers drawn from a seeded generator."""
    rng = random.Random(f"{SEED}-places")
    communities = [community for _code, _name, streets in CITY for _street, names in streets for community in names]
    with_extra_grid = set(rng.sample(communities, len(communities) // 2))
    plan = []
    for district_code, district_name, streets in CITY:
        district = PlanPlace(DISTRICT, district_name, district_code, None)
        plan.append(district)
        for street_number, (street_name, community_names) in enumerate(streets, start=1):
            street = PlanPlace(STREET, street_name, f"{district_code}{street_number:03d}", district_code)
            district.children.append(street)
            plan.append(street)
            for community_number, community_name in enumerate(community_names, start=1):
                community = PlanPlace(COMMUNITY, community_name, f"{street.code}{community_number:03d}", street.code)
                street.children.append(community)
                plan.append(community)
                grid_count = GRIDS_PER_COMMUNITY + (community_name in with_extra_grid)
                for grid_number in range(1, grid_count + 1):
                    grid = PlanPlace(GRID, f"{community_name}第{grid_number}网格", f"{community.code}{grid_number:03d}",
                                     community.code, population=rng.randint(300, 500),
                                     households=rng.randint(230, 270))
                    community.children.append(grid)
                    plan.append(grid)
    for place in reversed(plan):  # grids first, so each parent adds up finished children
        if place.children:
            place.population = sum(child.population for child in place.children)
            place.households = sum(child.households for child in place.children)
    return plan


def seed_places() -> dict[str, Place]:
    """Create the places that are missing (found by code); returns every demo place by name."""
    plan = plan_city()
    existing = {place.code: place for place in db.session.scalars(
        select(Place).where(Place.code.in_([planned.code for planned in plan])))}
    by_code = dict(existing)
    for kind in KINDS:  # level by level: one flush gives the level its ids, then the paths follow
        created = []
        for planned in (p for p in plan if p.kind == kind and p.code not in existing):
            parent = by_code[planned.parent_code] if planned.parent_code else None
            place = Place(kind=kind, name=planned.name, code=planned.code, parent=parent,
                          population=planned.population, households=planned.households)
            db.session.add(place)
            by_code[planned.code] = place
            created.append(place)
        db.session.flush()
        for place in created:
            # the same materialised path the places service writes: the parent's path plus our id
            place.path = (place.parent.path if place.parent else "/") + f"{place.id}/"
    db.session.flush()
    return {by_code[planned.code].name: by_code[planned.code] for planned in plan}


# --- users ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoUser:
    local_part: str
    display_name: str
    role: str | None = None  # a platform or place role; organisation roles come with seed_organisations
    place: str | None = None  # the place the role is held on (by name); None for a platform role


ROLE_USERS = [
    DemoUser("admin", "周敏", roles.PLATFORM_ADMIN),
    DemoUser("official-district", "陈建国（西陵区民政局）", roles.OFFICIAL, "西陵区"),
    DemoUser("official-street", "刘芳（夜明珠街道办）", roles.OFFICIAL, "夜明珠街道"),
    DemoUser("evaluator", "郑晓燕（评审专家）", roles.EVALUATOR),
    DemoUser("community-worker", "王丽", roles.COMMUNITY_WORKER, "铁路坝社区"),
    DemoUser("community-worker2", "黄磊", roles.COMMUNITY_WORKER, "大公桥社区"),
    DemoUser("grid-worker", "李娟", roles.GRID_WORKER, "铁路坝社区第1网格"),
    DemoUser("grid-worker2", "张伟", roles.GRID_WORKER, "大公桥社区第2网格"),
    DemoUser("org-admin", "赵敏"),
    DemoUser("org-admin2", "钱志强"),
    DemoUser("org-admin3", "孙红梅"),
    DemoUser("org-member", "吴磊"),
    DemoUser("org-member2", "何静"),
    DemoUser("resident", "马小梅"),
    # Treasurers and fund committee members hold their role on a fund: they arrive with the funds issue,
    # in a seed_funds() step after seed_organisations() (demo-treasurer@..., demo-committee@...).
]
RESIDENT_COUNT = 30
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
_GIVEN = ["秀英", "桂英", "建华", "国强", "丽娟", "志刚", "海燕", "春梅", "文杰", "晓东", "玉兰", "德明",
          "佳怡", "子涵", "浩然", "雨桐", "俊杰", "欣怡", "明轩", "思远", "红霞", "永康", "淑珍", "立新",
          "宇航", "梓萱", "家豪", "美玲", "振华", "凤英"]


def resident_users() -> list[DemoUser]:
    """Thirty ordinary residents with Chinese names, the same ones on every run."""
    rng = random.Random(f"{SEED}-residents")
    names: list[str] = []
    while len(names) < RESIDENT_COUNT:
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
        if name not in names:
            names.append(name)
    return [DemoUser(f"resident{n:02d}", name) for n, name in enumerate(names, start=1)]


def ensure_role(user: User, role: str, scope_type: str, scope_id: int | None, granted_by: User | None) -> bool:
    """Grant through the accounts service unless the user already holds the role there; True if granted."""
    held = db.session.scalar(select(RoleAssignment.id).where(
        RoleAssignment.user_id == user.id, RoleAssignment.role == role, RoleAssignment.scope_type == scope_type,
        RoleAssignment.scope_id.is_(None) if scope_id is None else RoleAssignment.scope_id == scope_id))
    if held:
        return False
    grant_role(user, role, scope_type, scope_id, granted_by=granted_by)
    return True


def seed_users(places: dict[str, Place]) -> dict[str, User]:
    """The demo accounts (by email local part) with their platform and place roles."""
    specs = [*ROLE_USERS, *resident_users()]
    emails = [normalise_email(demo_email(spec.local_part)) for spec in specs]
    existing = {user.email: user for user in db.session.scalars(select(User).where(User.email.in_(emails)))}
    password_hash = None
    users = {}
    for spec, email in zip(specs, emails, strict=True):
        user = existing.get(email)
        if user is None:
            if password_hash is None:
                # One strength check and one Argon2 hash for all: hashing each account would take seconds.
                check_password_strength(DEMO_PASSWORD, [DEMO_DOMAIN])
                password_hash = hash_password(DEMO_PASSWORD)
            # Rows as accounts.service.register_user makes them, with the shared hash.
            user = User(email=email, password_hash=password_hash, display_name=spec.display_name,
                        locale="zh_CN", privacy_consent_at=utcnow())
            db.session.add(user)
        users[spec.local_part] = user
    db.session.flush()
    admin = users["admin"]
    for spec in ROLE_USERS:
        if spec.role is None:
            continue
        if spec.place is None:
            ensure_role(users[spec.local_part], spec.role, roles.SCOPE_PLATFORM, None,
                        granted_by=None if spec.role == roles.PLATFORM_ADMIN else admin)
        else:
            ensure_role(users[spec.local_part], spec.role, roles.SCOPE_PLACE, places[spec.place].id, granted_by=admin)
    return users


# --- organisations -------------------------------------------------------------------------------

_ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def _organisation_code_check(body: str) -> str:
    """GB 11714 check character of the 8-character organisation code inside the credit code."""
    total = sum(int(ch, 36) * weight for ch, weight in zip(body, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code(legal_form: str, division: str, serial: int) -> str:
    """A unified social credit code (GB 32100-2015) for an organisation registered with civil affairs (5).

    5 + legal-form digit + 6-digit administrative division + organisation code (MJ + 6 digits + its
    GB 11714 check) + the GB 32100 check character.
    """
    organisation_code = f"MJ{serial:06d}"
    body = (f"{CIVIL_AFFAIRS}{TYPE_OF_LEGAL_FORM[legal_form]}{division}"
            f"{organisation_code}{_organisation_code_check(organisation_code)}")
    return body + check_character(body)


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    legal_form: str
    status: str
    home: str  # place name: a street or a community
    areas: tuple[str, ...]
    admin: str  # demo user local part
    contact: str
    slug: str
    description: str
    reason: str | None = None  # why it was rejected or suspended
    members: tuple[str, ...] = ()


ORGANISATIONS = [
    DemoOrganisation(
        "宜昌市西陵区阳光社会工作服务中心", PRIVATE_NON_ENTERPRISE, VERIFIED, "夜明珠街道",
        ("elderly_care", "social_assistance", "mental_health"), "org-admin", "赵敏", "yangguang",
        "专业社工机构，扎根夜明珠街道，为独居和失能老人提供上门探访、个案管理与心理支持，协助社区开展困难群众帮扶。",
        members=("org-member",)),
    DemoOrganisation(
        "夜明珠街道老年协会", SOCIAL_GROUP, VERIFIED, "铁路坝社区", ("elderly_care", "culture_sports"),
        "org-admin", "李德明", "laonian",
        "由社区老年人自发组织，开展健身操、书画、合唱等文体活动，组织低龄老人结对探访高龄老人。"),
    DemoOrganisation(
        "宜昌市夷陵社区基金会", FOUNDATION, VERIFIED, "西陵街道", ("mutual_aid", "social_assistance"),
        "org-admin2", "钱志强", "yiling-foundation",
        "面向西陵街道各社区募集资金，通过资金募捐、定向捐赠和项目认捐支持居民自治项目与社区公益金。",
        members=("org-member2",)),
    DemoOrganisation(
        "宜昌市伍家岗区春晖青少年服务中心", PRIVATE_NON_ENTERPRISE, VERIFIED, "大公桥社区",
        ("children_youth", "mental_health"), "org-admin2", "陈春晖", "chunhui",
        "为社区青少年提供课后托管、四点半课堂、亲子活动和青春期心理辅导，重点关注留守和单亲家庭儿童。",
        members=("org-member",)),
    DemoOrganisation(
        "西陵区爱心助残服务社", PRIVATE_NON_ENTERPRISE, VERIFIED, "学院路社区", ("disability", "employment"),
        "org-admin3", "孙红梅", "zhucan",
        "为残障人士提供康复训练、辅具适配和辅助性就业，组织志愿者上门陪护与无障碍出行服务。"),
    DemoOrganisation(
        "万寿桥街道志愿者协会", SOCIAL_GROUP, VERIFIED, "万寿桥社区",
        ("mutual_aid", "community_safety", "environment"), "org-admin3", "周志愿", "wanshouqiao-volunteers",
        "组织街道志愿者参与楼栋巡查、垃圾分类宣传、防汛值守和邻里互助，常年开展义剪、义诊等便民服务。",
        members=("org-member2",)),
    DemoOrganisation(
        "宜昌市西陵区红叶社区基金会", FOUNDATION, VERIFIED, "东山花园社区", ("elderly_care", "mutual_aid"),
        "org-admin", "叶红", "hongye-foundation",
        "支持东山花园一带的社区公益金，资助老旧小区加装扶手、老年食堂和居民众筹项目。"),
    DemoOrganisation(
        "宜昌市绿色家园环保促进会", SOCIAL_GROUP, PENDING, "云集路社区", ("environment",),
        "org-admin", "林绿", "lvse-jiayuan",
        "推动社区垃圾分类、旧物回收和楼道绿化，带领居民把回收收益投入社区公益金。"),
    DemoOrganisation(
        "学院街道书香文化协会", SOCIAL_GROUP, PENDING, "西陵二路社区", ("culture_sports", "children_youth"),
        "org-admin2", "许书香", "shuxiang",
        "在社区图书角开展亲子共读、读书会和传统文化讲座，收集居民捐赠的二手图书。"),
    DemoOrganisation(
        "宜昌市伍家岗区邻里互助社区基金会", FOUNDATION, PENDING, "沿江社区", ("mutual_aid",),
        "org-admin3", "邓邻里", "linli-foundation",
        "筹建中的社区基金会，计划以项目认捐方式支持沿江一带居民互助小组。"),
    DemoOrganisation(
        "宜昌市西陵区康乐居家养老服务中心", PRIVATE_NON_ENTERPRISE, REJECTED, "夷陵路社区", ("elderly_care",),
        "org-admin", "康乐", "kangle",
        "为居家老人提供助餐、助洁、助浴服务。",
        reason="登记证书照片不清晰，且申报的服务领域超出登记的业务范围。请补充清晰的证书并修改服务领域后重新申请。"),
    DemoOrganisation(
        "云集街道广场舞爱好者协会", SOCIAL_GROUP, REJECTED, "云集街道", ("culture_sports",),
        "org-admin2", "唐舞", "guangchangwu",
        "组织街道广场舞队伍开展日常活动和比赛。",
        reason="未提供民政部门登记证书。尚未登记的群众性文体团队请由所在社区备案，以社区社会组织身份参与活动。"),
    DemoOrganisation(
        "宜昌市心桥心理咨询服务中心", PRIVATE_NON_ENTERPRISE, SUSPENDED, "大公桥街道", ("mental_health",),
        "org-admin3", "曾心桥", "xinqiao",
        "为社区居民提供心理咨询、情绪疏导和危机干预热线。",
        reason="2025年度检查未通过，项目执行报告逾期未交。暂停承接新项目，整改完成后可申请恢复。"),
    DemoOrganisation(
        "伍家岗区就业创业服务中心", PRIVATE_NON_ENTERPRISE, SUSPENDED, "万寿桥街道", ("employment",),
        "org-admin", "彭创业", "jiuye",
        "为失业人员和高校毕业生提供就业指导、技能培训和创业孵化。",
        reason="合同项目的服务对象名单与实际服务记录不一致，正在核查中，暂停期间不得承接新项目。"),
]


def _division_code(place: Place, places_by_id: dict[int, Place]) -> str:
    district_id = place.ancestor_ids[0]
    return places_by_id[district_id].code


def seed_organisations(users: dict[str, User], places: dict[str, Place]) -> dict[str, Organisation]:
    """Organisations in every status and legal form, with their admins and members (found again by name)."""
    existing = {organisation.name: organisation for organisation in db.session.scalars(
        select(Organisation).where(Organisation.name.in_([spec.name for spec in ORGANISATIONS])))}
    places_by_id = {place.id: place for place in places.values()}
    admin = users["admin"]
    organisations = {}
    for serial, spec in enumerate(ORGANISATIONS, start=1):
        organisation = existing.get(spec.name)
        if organisation is None:
            home = places[spec.home]
            # Organisations named for the city (宜昌市…) register with the city, the rest with their district.
            division = "420500" if spec.name.startswith("宜昌市") else _division_code(home, places_by_id)
            organisation = Organisation(
                name=spec.name, legal_form=spec.legal_form, credit_code=credit_code(spec.legal_form, division, serial),
                home_place_id=home.id, description=spec.description, contact_name=spec.contact,
                contact_phone=f"0717-6{serial:02d}{(serial * 7919) % 10000:04d}",
                contact_email=f"{spec.slug}@{DEMO_DOMAIN}", status=spec.status,
                status_reason=spec.reason, created_by_id=users[spec.admin].id,
                verified_at=utcnow() if spec.status in (VERIFIED, SUSPENDED) else None,
                service_areas=[OrganisationServiceArea(area=area) for area in spec.areas])
            db.session.add(organisation)
            db.session.flush()
        organisations[spec.name] = organisation
        ensure_role(users[spec.admin], roles.ORG_ADMIN, roles.SCOPE_ORGANISATION, organisation.id, granted_by=admin)
        for member in spec.members:
            ensure_role(users[member], roles.ORG_MEMBER, roles.SCOPE_ORGANISATION, organisation.id,
                        granted_by=users[spec.admin])
    return organisations
