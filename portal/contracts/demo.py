"""The demo's contracts (portal/contracts/demo_data.py), built through the real services with the portal's clock
set back to each step's day, like the procurement demo that calls `on_call_confirmed` as each award is
confirmed: signing, delivery reports with the people served, residents sampled (answering by link or to their
grid worker), milestones accepted, payments by two officials on the ledger, amendments, the scope ledger, the
final rating with a rebuttal, termination."""
import math
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from portal.accounts import roles
from portal.accounts.models import RoleAssignment, User
from portal.accounts.passwords import hash_password
from portal.contracts import amendments, delivery, evaluation, payments, sampling, scope, service
from portal.contracts.delivery import ReportInput
from portal.contracts.demo_data import AREA_NARRATIVES, PLANS, RECORD_NAMES, SCOPE_REQUESTS, SECOND_OFFICIAL
from portal.contracts.models import RATED_AREAS, Contract, ContractPayment, DeliveryReport, ServiceRecord
from portal.contracts.payable import milestone_payable
from portal.contracts.service import MilestoneInput
from portal.core.time import utcnow
from portal.demo_city import DEMO_PASSWORD, demo_email, ensure_role
from portal.extensions import db
from portal.places.models import GRID, Place
from portal.procurement.demo import on_day
from portal.procurement.models import Award


def _user(local_part: str) -> User:
    return db.session.scalar(select(User).where(User.email == demo_email(local_part)))


def _second_official(place: Place) -> User:
    local_part, name = SECOND_OFFICIAL
    user = _user(local_part)
    if user is None:
        user = User(email=demo_email(local_part), password_hash=hash_password(DEMO_PASSWORD), display_name=name,
                    locale="zh_CN", privacy_consent_at=utcnow())
        db.session.add(user)
        db.session.flush()
    ensure_role(user, roles.OFFICIAL, roles.SCOPE_PLACE, place.id, granted_by=_user("admin"))
    return user


def _org_admin(organisation_id: int) -> User:
    return db.session.scalar(select(User).join(RoleAssignment, RoleAssignment.user_id == User.id).where(
        RoleAssignment.role == roles.ORG_ADMIN, RoleAssignment.scope_type == roles.SCOPE_ORGANISATION,
        RoleAssignment.scope_id == organisation_id).order_by(RoleAssignment.id).limit(1))


def on_call_confirmed(call, official, today) -> None:
    """Sign and run the contract of each award of a just-confirmed call that has a plan."""
    second = _second_official(call.department.place)
    for award in db.session.scalars(select(Award).where(Award.call_id == call.id, Award.cancelled_at.is_(None))
                                    .order_by(Award.id)):
        plan = PLANS.get((call.title, award.bid.organisation.name))
        if plan is not None:
            _run(call, award, plan, official, second, today)


def _run(call, award, plan, official, second, today) -> Contract:
    signed = call.confirmed_at + timedelta(days=3)
    starts_on = (signed + timedelta(days=1)).date()
    ends_on = starts_on + timedelta(days=plan.term_days)
    span = plan.term_days // len(plan.shares)
    with on_day(signed):
        milestones = [MilestoneInput(f"第{n}期（{share}%）", starts_on + timedelta(days=span * n), str(share))
                      for n, share in enumerate(plan.shares, start=1)]
        contract = service.create_from_award(award, official, starts_on, ends_on, milestones)
    contractor = _org_admin(contract.organisation_id)
    moment = signed
    for n in range(plan.delivered):
        first = starts_on + timedelta(days=span * n)
        length = 25 if plan.state == "active" else span  # an active contract reports its first weeks so far
        period = (first, first + timedelta(days=length - 1))
        moment = _deliver(contract, contract.milestones[n], contractor, official, second, period, plan,
                          plan.acceptance[n])
    if plan.scope_pattern:
        _scope_pattern(contract, official, contractor, signed)
    if plan.amendment[0]:
        with on_day(signed + timedelta(days=20)):
            amendments.propose(contract, official, plan.amendment[0], plan.amendment[1] * 100)
    if plan.next_report_pending:
        n = plan.delivered
        start = starts_on + timedelta(days=26)
        with on_day(utcnow() - timedelta(days=2)):
            pending = _report(contract, contract.milestones[n], contractor,
                              (start, (utcnow() - timedelta(days=3)).date()), 0.1)
        with on_day(utcnow() - timedelta(days=1)):  # its sample is out: residents and the grid worker to answer
            sampling.draw_sample(pending, official, seed=_seed_with_a_visit(pending))
    if plan.returned_report:
        with on_day(signed + timedelta(days=28)):
            report = _report(contract, contract.milestones[0], contractor,
                             (starts_on, starts_on + timedelta(days=24)), 0.1)
        with on_day(signed + timedelta(days=30)):
            delivery.return_report(report, official, plan.returned_report)
    if plan.termination:
        with on_day(signed + timedelta(days=21)):
            service.terminate_contract(contract, official, plan.termination)
    if plan.state in ("closed", "completed"):
        _rate(contract, official, plan, moment)
    return contract


def _seed_with_a_visit(report) -> str:
    """A seed whose sample includes someone in the demo grid worker's grid, so the grid worker has a visit to
    make: the demo stages it; a real sample's seed is random."""
    grids = set(db.session.scalars(select(RoleAssignment.scope_id).where(
        RoleAssignment.user_id == _user("grid-worker").id, RoleAssignment.role == roles.GRID_WORKER,
        RoleAssignment.scope_type == roles.SCOPE_PLACE)))
    records = sorted(db.session.execute(select(ServiceRecord.id, ServiceRecord.place_id)
                                        .where(ServiceRecord.report_id == report.id)).all())
    ids = [record_id for record_id, _place in records]
    in_grid = {record_id for record_id, place_id in records if place_id in grids}
    for attempt in range(100):
        seed = f"demo-{report.contract_id}-{report.id}-{attempt}"
        if in_grid & set(sampling.draw(ids, seed, sampling.sample_size(len(ids)))):
            return seed
    return seed


def _records(contract, line, start, end, count: int) -> list[dict]:
    """People served on the first line, in the grids of the contract's place (the demo grid worker's among them)."""
    grids = list(db.session.scalars(select(Place).where(Place.kind == GRID, Place.path.startswith(contract.place.path))
                                    .order_by(Place.id).limit(3)))
    days = max((end - start).days, 1)
    return [{"line": "1", "kind": "person", "label": RECORD_NAMES[i % len(RECORD_NAMES)],
             "grid_code": grids[i % len(grids)].code if grids else "", "phone": f"1390717{i:04d}",
             "served_on": (start + timedelta(days=i * days // count)).isoformat(), "units": "1"}
            for i in range(count)]


def _report(contract, milestone, contractor, period, share: float) -> DeliveryReport:
    """A report of `share` of each line's quantity over `period`, with twelve people served."""
    units = {line.id: max(math.floor(line.quantity * share), 12) for line in contract.lines}
    data = ReportInput(period_start=period[0], period_end=period[1], units=units,
                       narrative="按合同完成本期服务：入户服务、电话回访和小组活动均有签到记录和照片。",
                       records=tuple(_records(contract, contract.lines[0], period[0], period[1], 12)))
    return delivery.report_delivery(contract, milestone, contractor, data)


def _deliver(contract, milestone, contractor, official, second, period, plan, rating):
    """Report, verify, sample (residents answer), accept, and pay one milestone; the time it ended."""
    reported = datetime.combine(period[1] + timedelta(days=2), time(2, 0), tzinfo=UTC)  # 10:00 in Beijing
    share = milestone.share_bp / 10000
    with on_day(reported):
        report = _report(contract, milestone, contractor, period, share)
    with on_day(reported + timedelta(days=3)):
        delivery.verify_report(report, official)
        sample = sampling.draw_sample(report, official)
    grid_worker = _user("grid-worker")
    with on_day(reported + timedelta(days=6)):
        for i, item in enumerate(sorted(sample.items, key=lambda item: item.id)):
            happened = "no" if i < plan.denials else "yes"
            quality, comment = (None, "没有人来过，我也不认识这个社工。") if happened == "no" else (4 + i % 2, "")
            grid = item.record.place
            if grid is not None and grid_worker is not None and grid.is_within(_grid_of(grid_worker)):
                sampling.record_visit(item, grid_worker, happened, quality, comment)
            else:
                sampling.answer_by_link(item, happened, quality, comment)
    with on_day(reported + timedelta(days=8)):
        note = "按验收标准抽查服务记录，与居民回访结果一致。" if rating >= 4 else "部分服务记录不完整，按质量系数打折。"
        payments.accept_milestone(contract, milestone, official, rating, note)
        amount = milestone_payable(contract, milestone).remaining_minor
        payment = payments.request_payment(contract, milestone, official, amount) if amount > 0 else None
    if payment is not None and not (plan.payment_waiting and milestone.number == plan.delivered):
        with on_day(reported + timedelta(days=9)):
            payments.approve_payment(payment, second)
    return reported + timedelta(days=9)


def _grid_of(user) -> Place:
    assignment = db.session.scalar(select(RoleAssignment).where(RoleAssignment.user_id == user.id,
                                                                RoleAssignment.role == roles.GRID_WORKER))
    return db.session.get(Place, assignment.scope_id)


def _scope_pattern(contract, official, contractor, signed) -> None:
    line_id = contract.lines[0].id
    for n, (within, side, description) in enumerate(SCOPE_REQUESTS):
        with on_day(signed + timedelta(days=3 + 3 * n)):
            actor = official if side == "department" else contractor
            scope.log_request(contract, actor, line_id if within else None, utcnow().date(), description)


def _rate(contract, official, plan, delivered_at) -> None:
    """The final rating (and a third party's), the organisation's rebuttal, then the end of the window."""
    if contract.status == "active":
        with on_day(delivered_at + timedelta(days=1)):
            evaluation.mark_delivered(contract, official)
    rated_at = delivered_at + timedelta(days=2)
    if plan.state == "completed":
        rated_at = utcnow() - timedelta(days=3)  # still in the rebuttal window today
    with on_day(rated_at):
        given = evaluation.submit_evaluation(contract, official, _ratings(plan.official_rating))
        if plan.third_party_rating:
            evaluation.submit_evaluation(contract, _user("evaluator"), _ratings(plan.third_party_rating))
    if plan.rebuttal:
        with on_day(rated_at + timedelta(days=2)):
            evaluation.rebut(given, _org_admin(contract.organisation_id), plan.rebuttal)
    if plan.state == "closed":
        with on_day(rated_at + timedelta(days=evaluation.REBUTTAL_DAYS, hours=1)):
            evaluation.finalise_due_evaluations(contract_id=contract.id)


def _ratings(values) -> dict:
    return {area: {"rating": value, "narrative": AREA_NARRATIVES[value]} for area, value in zip(RATED_AREAS, values,
                                                                                                 strict=True)}


def contracts_summary() -> list[str]:
    contracts = db.session.scalars(select(Contract)).all()
    states = ", ".join(sorted({contract.status for contract in contracts}))
    paid = sum(contract.paid_minor for contract in contracts) // 100
    payments_count = db.session.scalar(select(db.func.count()).select_from(ContractPayment))
    return [f"contracts: {len(contracts)} ({states}), {payments_count} payments, ¥{paid:,} paid"]


def contract_logins() -> list[tuple[str, str, str, str]]:
    return [(demo_email(SECOND_OFFICIAL[0]), "official", "西陵区 (second official: approves payments)", DEMO_PASSWORD)]
