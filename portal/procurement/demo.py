"""The demo purchasing year (portal/procurement/demo_data.py), built through the real services.

Every call walks its lifecycle through the same functions the pages call (drafting, publishing, questions,
sealed bids, the opening, the panel, scores, the award, publicity, objections), with the portal's clock set
back to the day each step happened (portal.core.time.move_clock), so dates, deadlines, receipts and the audit
log read like a real year and every figure on the pages comes out of the services' own arithmetic.

Idempotent: nothing happens when the buyer's department already exists. Run after seed_needs().
"""
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import select

from portal.accounts import roles
from portal.accounts.models import User
from portal.accounts.passwords import hash_password
from portal.core.time import move_clock, utcnow
from portal.demo_city import DEMO_DOMAIN, DEMO_PASSWORD, credit_code, demo_email, ensure_role
from portal.extensions import db
from portal.needs.models import Need
from portal.orgs.models import PRIVATE_NON_ENTERPRISE, VERIFIED, Organisation, OrganisationServiceArea
from portal.places.models import Place
from portal.procurement import awards, call_rules, catalogue, evaluation, lowprice, opening, questions, roadshow
from portal.procurement import bids as bid_service
from portal.procurement import calls as call_service
from portal.procurement.bids import BidDraft, StaffLine
from portal.procurement.call_rules import CallDetails, CriterionDraft, LineDraft, LotDraft
from portal.procurement.demo_data import (
    BIDDERS,
    BUYER,
    BUYER_PLACE,
    CALLS,
    CANCEL_REASON,
    CATALOGUE,
    EVALUATORS,
    STREET_BUYER,
    STREET_BUYER_PLACE,
    DemoCall,
)
from portal.procurement.models import CONTEST, DIRECT_GRANT, Bid, Call, CatalogueItem, Department
from portal.procurement.ranking import rank_call

HOURLY_MINIMUM_WAGE_YUAN = "22"  # Hubei's second-band hourly minimum wage (2024), which Yichang's districts use
YEAR_DAYS = {  # how long ago (days) each call was published, and where its deadline fell, relative to today
    "published": (5, -12), "closed": (30, 1), "evaluation": (40, 12), "awarded": (45, 20), "confirmed": (90, 60),
    "unsuccessful": (40, 15), "cancelled": (20, -10), "draft": (0, -30),
}


@contextmanager
def on_day(moment: datetime):
    """Run the block with the portal's clock at `moment` (in the past): what it stores carries that date."""
    shift = moment - utcnow()
    move_clock(shift)
    try:
        yield
    finally:
        move_clock(-shift)


def _place(name: str) -> Place:
    return db.session.scalars(select(Place).where(Place.name == name).order_by(Place.id)).first()


def _user(local_part: str) -> User:
    return db.session.scalar(select(User).where(User.email == demo_email(local_part)))


def seed_procurement(on_confirmed=None) -> list[str]:
    """Load the purchasing year once; the summary lines for `portal demo`.

    `on_confirmed(call, official, today)` is called as soon as a call's award is confirmed, still in the order of
    the year, so the layer above (contracts) can sign and run its contracts before later calls are evaluated:
    last year's delivered contracts then feed this year's past-performance scores, as they would in life."""
    district = _place(BUYER_PLACE)
    if db.session.scalar(select(Department.id).where(Department.name == BUYER)) is not None:
        return _summary()
    official = _user("official-district")
    today = utcnow()
    with on_day(today - timedelta(days=420)):  # before last year's calls
        department = catalogue.create_department(district, BUYER, actor=official)
        catalogue.create_department(_place(STREET_BUYER_PLACE), STREET_BUYER, actor=_user("official-street"))
        for year in (today.year - 1, today.year):  # last year's catalogue bought last year's calls
            for code, name, category, unit, ceiling, standard in CATALOGUE:
                catalogue.create_item(department, actor=official, year=year, code=code, name=name,
                                      category=category, unit=unit, ceiling=str(ceiling), quality_standard=standard)
        catalogue.set_minimum_wage(district, actor=official, hourly=HOURLY_MINIMUM_WAGE_YUAN)
        organisations = _bidding_organisations()
        _qualify(organisations, district, official)
        _evaluators(district)
    items: dict[int, dict] = {}
    for item in db.session.scalars(select(CatalogueItem).where(CatalogueItem.department_id == department.id)):
        items.setdefault(item.year, {})[item.code] = item
    for spec in CALLS:
        call = _walk(spec, department, official, organisations, items, today)
        if call.status == "confirmed" and on_confirmed is not None:
            on_confirmed(call, official, today)
    db.session.flush()
    return _summary()


def _summary() -> list[str]:
    calls = db.session.scalars(select(Call).order_by(Call.id)).all()
    bids = db.session.scalar(select(db.func.count()).select_from(Bid))
    states = ", ".join(sorted({call.status for call in calls}))
    return [f"purchase of services: {len(calls)} calls ({states}), {bids} bids"]


# --- people ------------------------------------------------------------------------------------------------
def _new_user(local_part: str, name: str, password_hash: str) -> User:
    user = _user(local_part)
    if user is None:
        user = User(email=demo_email(local_part), password_hash=password_hash, display_name=name, locale="zh_CN",
                    privacy_consent_at=utcnow())
        db.session.add(user)
        db.session.flush()
    return user


def _bidding_organisations() -> dict[str, Organisation]:
    """The demo city's verified organisations and six more that bid for the bureau's calls."""
    password_hash = hash_password(DEMO_PASSWORD)
    admin = _user("admin")
    found = {org.name: org for org in db.session.scalars(select(Organisation).where(Organisation.status == VERIFIED))}
    for serial, bidder in enumerate(BIDDERS, start=101):
        if bidder.name in found:
            continue
        user = _new_user(bidder.admin, bidder.admin_name, password_hash)
        home = _place(bidder.home)
        organisation = Organisation(
            name=bidder.name, legal_form=PRIVATE_NON_ENTERPRISE,
            credit_code=credit_code(PRIVATE_NON_ENTERPRISE, "420502", serial), home_place_id=home.id,
            description=bidder.description, contact_name=bidder.admin_name,
            contact_phone=f"0717-68{serial:03d}{serial % 10}", contact_email=f"{bidder.admin}@{DEMO_DOMAIN}",
            status=VERIFIED, created_by_id=user.id, verified_at=utcnow(),
            service_areas=[OrganisationServiceArea(area=area) for area in bidder.areas])
        db.session.add(organisation)
        db.session.flush()
        ensure_role(user, roles.ORG_ADMIN, roles.SCOPE_ORGANISATION, organisation.id, granted_by=admin)
        found[bidder.name] = organisation
    return found


def _qualify(organisations: dict[str, Organisation], district: Place, official: User) -> None:
    """Every organisation bidding in a call is on the list for the call's category (an official checked its
    registration years and past delivery)."""
    wanted = sorted({(bid.bidder, spec.category) for spec in CALLS for bid in spec.bids})
    for name, category in wanted:
        organisation = organisations[name]
        catalogue.record_qualification(
            organisation, district, category, actor=official, years_registered=3 + len(name) % 5,
            past_delivery="近两年承接区、街道购买服务项目，年度考核合格。", note="登记证书、年报和项目结项报告已核验。")


def _evaluators(district: Place) -> None:
    admin = _user("admin")
    password_hash = hash_password(DEMO_PASSWORD)
    for local_part, name in EVALUATORS:
        user = _new_user(local_part, name, password_hash)
        ensure_role(user, roles.EVALUATOR, roles.SCOPE_PLACE, district.id, granted_by=admin)
    ensure_role(_user("evaluator"), roles.EVALUATOR, roles.SCOPE_PLACE, district.id, granted_by=admin)


# --- one call through its lifecycle -----------------------------------------------------------------------
def _details(spec: DemoCall, items: dict, organisations: dict, published: datetime, deadline: datetime) -> CallDetails:
    criteria = [CriterionDraft("price", "价格", spec.price_weight, "价格分=权重×(最高限价−报价)/(最高限价−最低合理价)")]
    criteria += [CriterionDraft("quality", name, weight, rubric) for name, weight, rubric in spec.quality]
    if spec.past_performance_weight:
        criteria.append(CriterionDraft("past_performance", "以往履约评价", spec.past_performance_weight,
                                       "按以往合同的验收评级计分；无记录的按中间分计"))
    if spec.roadshow_weight:
        criteria.append(CriterionDraft("roadshow", "路演居民投票", spec.roadshow_weight, "按得票数与最高票数之比计分"))
    cap = sum(lot.cap_yuan for lot in spec.lots) * 100
    needs = [need.id for need in db.session.scalars(select(Need).where(Need.title.in_(spec.needs)))]
    return CallDetails(
        mode=spec.mode, category=spec.category, title=spec.title, place_id=_place(spec.place).id,
        budget_cap_minor=cap, price_floor_minor=int(cap * spec.floor_share), description=spec.description,
        eligibility=spec.eligibility, min_bids=spec.min_bids, questions_until=deadline - timedelta(days=4),
        bids_until=deadline, publicity_days=5,
        invited_organisation_id=organisations[spec.invited].id if spec.mode == DIRECT_GRANT else None,
        roadshow_starts_at=deadline + timedelta(days=5) if spec.mode == CONTEST else None,
        roadshow_ends_at=deadline + timedelta(days=5, hours=3) if spec.mode == CONTEST else None,
        roadshow_place="西陵区社区服务中心多功能厅" if spec.mode == CONTEST else "",
        consultation=spec.consultation, no_need_reason=spec.no_need_reason, need_ids=needs,
        lots=[LotDraft(lot.title, lot.cap_yuan * 100, lot.max_awards,
                       [LineDraft(items[code].id, quantity) for code, quantity in lot.lines]) for lot in spec.lots],
        criteria=criteria)


def _bid_draft(demo_bid) -> BidDraft:
    staff_yuan = demo_bid.hours * demo_bid.rate_yuan
    rest = demo_bid.price_yuan - staff_yuan
    materials = rest * 6 // 10
    return BidDraft(
        approach="以社区为平台、专业社工为支撑：入户评估建档，按需制定服务计划，每月回访并公开服务记录。",
        team="项目主管1名、持证社工3名、一线服务人员若干，均签订劳动合同并购买保险。",
        indicators=[{"name": "服务人次", "unit": "人次", "baseline": "0", "target": str(demo_bid.hours // 2)},
                    {"name": "服务对象满意率", "unit": "%", "baseline": "0", "target": "90"}],
        staff=[StaffLine("一线服务人员（合计工时）", "1", str(demo_bid.hours), str(demo_bid.rate_yuan))],
        materials=str(materials), overheads=str(rest - materials))


def _walk(spec: DemoCall, department, official, organisations, items, today) -> Call:
    published_days, deadline_days = spec.days or YEAR_DAYS[spec.state]
    published, deadline = today - timedelta(days=published_days), today - timedelta(days=deadline_days)
    items = items[call_rules.local_year(published)]
    with on_day(published - timedelta(days=2)):
        call = call_service.create_draft(department, official, _details(spec, items, organisations, published,
                                                                         deadline))
    if spec.state == "draft":
        return call
    with on_day(published):
        call_service.publish_call(call, official)
    for n, (question, answer) in enumerate(spec.questions):
        with on_day(published + timedelta(days=1, hours=n)):
            asked = questions.ask_question(call, _user(f"resident{n + 1:02d}"), question)
        if answer:
            with on_day(published + timedelta(days=2, hours=n)):
                questions.answer_question(asked, official, answer)
    if spec.amendment:
        with on_day(published + timedelta(days=3)):
            details = call_service.details_of(call)
            details.description += "\n\n" + spec.amendment  # the amendment's text joins the call's description
            call_service.amend_call(call, official, details, spec.amendment)
    for n, demo_bid in enumerate(spec.bids):
        organisation = organisations[demo_bid.bidder]
        admin = _org_admin(organisation)
        lot = call.lots[demo_bid.lot - 1]
        with on_day(published + timedelta(days=3, hours=n + 2)):
            receipt = bid_service.submit_bid(call, lot, organisation, admin, _bid_draft(demo_bid))
        if demo_bid.withdrawn:
            with on_day(published + timedelta(days=4, hours=n)):
                bid_service.withdraw_bid(db.session.get(Bid, receipt.bid_id), admin)
    if spec.state == "cancelled":
        with on_day(published + timedelta(days=8)):
            call_service.cancel_call(call, official, CANCEL_REASON)
        return call
    if spec.state == "published":
        return call
    with on_day(deadline + timedelta(minutes=1)):
        opening.open_due_calls()
    if spec.state in ("closed", "unsuccessful"):
        return call
    _evaluate_and_award(spec, call, official, organisations, deadline, today)
    return call


def _org_admin(organisation: Organisation) -> User:
    from portal.accounts.models import RoleAssignment

    return db.session.scalar(select(User).join(RoleAssignment, RoleAssignment.user_id == User.id).where(
        RoleAssignment.role == roles.ORG_ADMIN, RoleAssignment.scope_type == roles.SCOPE_ORGANISATION,
        RoleAssignment.scope_id == organisation.id).order_by(RoleAssignment.id).limit(1))


# How each member of the panel tends to differ from a bid's usual points, per quality criterion: a panel that
# mostly agrees, with one stricter and one kinder evaluator.
PANEL_LEAN = ((0, 0, 0, 0), (-1, 0, -1, 0), (0, 1, 0, 1))
COMMENTS = {5: "方案扎实，有数据支撑，明显优于要求。", 4: "较好地回应了需求，个别环节可再细化。",
            3: "基本满足要求，针对性一般。", 2: "内容较弱，关键环节缺少安排。", 1: "很弱，不能满足要求。",
            0: "未涉及。"}


def _evaluate_and_award(spec, call, official, organisations, deadline, today) -> None:
    """Low prices explained and decided, the panel named, conflicts declared, scores given, roadshow votes, the
    award, its publicity, an objection: as far as the call's demo state goes."""
    day = deadline + timedelta(minutes=5)
    for review in lowprice.reviews_of_call(call.id).values():
        with on_day(day + timedelta(days=1)):
            explanation = spec.low_price_note or "报价已按实际成本测算。"
            lowprice.explain(review, _org_admin(review.bid.organisation), explanation)
        with on_day(day + timedelta(days=2)):
            lowprice.decide(review, official, True, "说明与附件可信：公益岗位补贴和无偿场地确实降低了成本，"
                                                    "服务人员工资不低于最低工资标准。接受该报价，合同中按月核验人员在岗。")
    panel = [_user("evaluator")] if spec.mode == DIRECT_GRANT else [_user(p) for p in ("evaluator", "evaluator2",
                                                                                       "evaluator3")]
    with on_day(day + timedelta(days=2, hours=3)):
        evaluation.name_panel(call, official, [user.id for user in panel])
        evaluation.start_evaluation(call, official)
    if spec.mode == CONTEST:
        _roadshow_votes(spec, call, organisations)
    usual = {organisations[b.bidder].id: b.quality for b in spec.bids}
    for n, evaluator in enumerate(panel):
        if spec.state == "evaluation" and n == 2:
            break  # the third member has not started yet
        with on_day(day + timedelta(days=3, hours=n)):
            conflicted_with = organisations[spec.conflict[1]].id if spec.conflict[0] == _local(evaluator) else None
            evaluation.declare_conflicts(call, evaluator, {
                org.id: (org.id == conflicted_with, "曾在该机构兼任督导（2024年）" if org.id == conflicted_with else "")
                for org in evaluation.bidding_organisations(call)})
            recused = evaluation.recused_organisation_ids(call, evaluator)
            criteria = evaluation.quality_criteria(call)
            for bid in evaluation.evaluated_bids(call):
                if bid.organisation_id in recused:
                    continue
                entries = {}
                for i, criterion in enumerate(criteria):
                    base = usual[bid.organisation_id][i % len(usual[bid.organisation_id])]
                    points = max(0, min(5, base + PANEL_LEAN[n][i % 4]))
                    entries[criterion.id] = (points, COMMENTS[points])
                evaluation.save_scores(call, evaluator, bid, entries)
            if not (spec.state == "evaluation" and n == 1):
                evaluation.submit_sheet(call, evaluator)
    if spec.state == "evaluation":
        return
    awarded_on = today - timedelta(days=2) if spec.state == "awarded" else day + timedelta(days=9)
    with on_day(awarded_on):
        choices, reasons = {}, {}
        for lot_ranking in rank_call(call):
            best = [row.bid.id for row in lot_ranking.ranked][:lot_ranking.lot.max_awards]
            choices[lot_ranking.lot.id] = best
            reasons[lot_ranking.lot.id] = ("按公布的评审标准和权重综合得分排名靠前；报价在合理区间内，"
                                           "服务方案针对辖区需求，团队配置满足要求。")
        awards.decide_award(call, official, choices, reasons)
    if spec.objection:
        runner_up = next(row.bid for row in rank_call(call)[0].ranked if row.rank == 2)
        with on_day(today - timedelta(days=1)):
            awards.file_objection(call, _org_admin(runner_up.organisation), runner_up.organisation_id,
                                  spec.objection)
    if spec.state == "confirmed":
        with on_day(call.publicity_ends_at + timedelta(minutes=1)):
            awards.end_due_publicity()


def _local(user: User) -> str:
    return user.email.split("@", 1)[0]


def _roadshow_votes(spec, call, organisations) -> None:
    """Residents vote from their phones during the roadshow evening (one vote each)."""
    bids = {bid.organisation_id: bid for bid in evaluation.evaluated_bids(call)}
    voter = 0
    with on_day(call.roadshow_starts_at + timedelta(minutes=40)):
        for demo_bid in spec.bids:
            for _n in range(demo_bid.votes):
                voter += 1
                roadshow.vote(call, _user(f"resident{voter:02d}"), bids[organisations[demo_bid.bidder].id].id)


def procurement_logins() -> list[tuple[str, str, str, str]]:
    """(email, role, scope, password) of the bidders' admins and the panel's evaluators the demo adds."""
    rows = [(demo_email(bidder.admin), "org_admin", bidder.name, DEMO_PASSWORD) for bidder in BIDDERS]
    rows += [(demo_email(local_part), "evaluator", BUYER_PLACE, DEMO_PASSWORD) for local_part, _name in EVALUATORS]
    return rows
