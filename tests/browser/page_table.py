"""One URL for every page template, on the demo city, signed in as an account that may open it.

test_accessibility_browser.py visits each row in both languages (axe-core and a phone-width check) and
fails when a template under templates/ has no row, so a new page cannot skip the checks.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from portal.accounts import roles
from portal.accounts.models import PasswordResetToken, User
from portal.core.time import utcnow
from portal.demo_city import DEMO_PASSWORD, demo_email
from portal.extensions import db
from portal.funds.models import LIVE, Campaign, Disbursement, Fund, InKindPledge, Team
from portal.needs.models import Need
from portal.orgs.models import Organisation, OrganisationInvitation
from portal.payments.models import PENDING, Donation
from portal.payments.providers.sandbox import checkout_token
from portal.places.models import Place
from portal.procurement.demo_data import BUYER
from portal.procurement.models import (
    CONTEST,
    Bid,
    Call,
    CatalogueItem,
    Department,
    LowPriceReview,
    Objection,
    Qualification,
)
from portal.projects.models import Indicator, IndicatorReport, ServiceProject
from portal.volunteering import service as volunteering_service
from portal.volunteering.models import Opportunity, Shift, ShiftSignup
from tests.factories.payments import make_donation, make_recurring_gift

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PASSWORD = DEMO_PASSWORD

# Accounts of the demo city (portal/demo.py, portal/funds/demo.py).
ADMIN = demo_email("admin")
OFFICIAL = demo_email("official-district")
COMMUNITY_WORKER = demo_email("community-worker")
ORG_ADMIN = demo_email("org-admin")
RESIDENT = demo_email("resident")
TREASURER = demo_email("treasurer")
EVALUATOR = demo_email("evaluator")  # submitted their scores on the call under evaluation
EVALUATOR_SCORING = demo_email("evaluator2")  # declared (one conflict) and scoring, not yet submitted
EVALUATOR_NEW = demo_email("evaluator3")  # has not declared yet
LOW_BIDDER = demo_email("bidder-kangtu")  # its price was flagged abnormally low on the call under evaluation
OBJECTOR = demo_email("org-admin3")  # 西陵区爱心助残服务社 bid on the awarded call and objected
BIDDER = demo_email("bidder-zhongyi")  # bid on the awarded call, has not objected
GRID_WORKER = demo_email("grid-worker")
GRID_WORKERS_GRID = "铁路坝社区第1网格"
LINLI_ADMIN = demo_email("bidder-linli")  # runs the active contract with reports and payments
WANSHOUQIAO_ADMIN = demo_email("org-admin3")  # its report was returned
DONOR = "{donor}"  # a resident who gave to the treasurer's fund (found in demo_values)
TREASURERS_FUND = "铁路坝社区公益金"
ORG_ADMINS_ORGANISATION = "宜昌市西陵区阳光社会工作服务中心"


@dataclass(frozen=True)
class Visit:
    template: str          # relative to templates/
    path: str
    account: str | None    # None: not signed in
    submit_empty: bool = False  # send the page's main form empty, to see it with its validation errors
    status: int = 200

    def resolved(self, values: dict) -> tuple[str | None, str]:
        """(account, path) with the demo's ids put in."""
        return (self.account.format(**values) if self.account else None), self.path.format(**values)


def page_templates() -> set[str]:
    """Every template that renders a whole page: partials (`_*.html`) and base.html come in through them."""
    return {str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")
            if not path.name.startswith("_") and path.name != "base.html"}


def _first(statement):
    row = db.session.scalars(statement.limit(1)).first()
    assert row is not None, f"the demo city has no row for {statement}"
    return row


def _user(email: str) -> User:
    return _first(select(User).where(User.email == email))


def _token() -> str:
    return secrets.token_urlsafe(32)


def _digest(token: str) -> str:
    """Invitation and password-reset links store the SHA-256 of their token."""
    return hashlib.sha256(token.encode()).hexdigest()


def demo_values() -> dict:
    """The ids and tokens VISITS' paths name, from the demo city (the tokens it lacks are made and committed)."""
    fund = _first(select(Fund).where(Fund.name == TREASURERS_FUND))
    campaign = _first(select(Campaign).where(Campaign.fund_id == fund.id, Campaign.status == LIVE)
                      .order_by(Campaign.id))
    team = _first(select(Team).join(Campaign).where(Campaign.fund_id == fund.id).order_by(Team.id))
    disbursement = _first(select(Disbursement).where(Disbursement.fund_id == fund.id).order_by(Disbursement.id))
    pledge = _first(select(InKindPledge).where(InKindPledge.fund_id == fund.id).order_by(InKindPledge.id))
    gift = _first(select(Donation).where(Donation.fund_id == fund.id, Donation.donor_id.is_not(None),
                                         Donation.status == "succeeded").order_by(Donation.id))
    donor = db.session.get(User, gift.donor_id)
    need = _first(select(Need).order_by(Need.id))
    organisation = _first(select(Organisation).where(Organisation.name == ORG_ADMINS_ORGANISATION))
    project = _first(select(ServiceProject).where(ServiceProject.organisation_id == organisation.id)
                     .join(Opportunity, Opportunity.project_id == ServiceProject.id).order_by(ServiceProject.id))
    indicator = _first(select(Indicator).where(Indicator.project_id == project.id).order_by(Indicator.id))
    report = _first(select(IndicatorReport).join(Indicator).where(Indicator.project_id == project.id)
                    .order_by(IndicatorReport.id))
    opportunity = _first(select(Opportunity).where(Opportunity.project_id == project.id).order_by(Opportunity.id))
    shift = _first(select(Shift).where(Shift.opportunity_id == opportunity.id).order_by(Shift.id))
    signup = _first(select(ShiftSignup).where(ShiftSignup.shift_id == shift.id).order_by(ShiftSignup.id))
    place = _first(select(Place).where(Place.kind == "community").order_by(Place.id))

    # What the demo city lacks: a gift waiting at the sandbox checkout, a monthly gift, links sent by mail.
    pending_gift = make_donation(fund, donor, status=PENDING)
    monthly = make_recurring_gift(fund, donor)
    wechat_gift = make_donation(fund, donor, status=PENDING, provider="wechatpay")  # its QR pay page
    invitation_token = _token()
    db.session.add(OrganisationInvitation(
        organisation_id=organisation.id, email="newcomer@example.org", role=roles.ORG_MEMBER,
        token_hash=_digest(invitation_token), invited_by_id=_user(ORG_ADMIN).id, created_at=utcnow(),
        expires_at=utcnow() + timedelta(days=1)))
    reset_token = _token()
    db.session.add(PasswordResetToken(user_id=_user(RESIDENT).id, token_hash=_digest(reset_token),
                                      expires_at=utcnow() + timedelta(hours=1)))
    db.session.flush()
    sandbox_token = checkout_token(pending_gift)
    check_in_token = volunteering_service.check_in_token(signup)
    db.session.commit()

    values = {"fund": fund.id, "campaign": campaign.id, "team": team.id, "disbursement": disbursement.id,
            "pledge": pledge.id, "gift": gift.id, "monthly": monthly.id, "donor": donor.email, "need": need.id,
            "organisation": organisation.id, "project": project.id, "indicator": indicator.id, "report": report.id,
            "opportunity": opportunity.id, "shift": shift.id, "place": place.id, "sandbox_token": sandbox_token,
            "wechat_gift": wechat_gift.id,
            "check_in_token": check_in_token, "invitation_token": invitation_token, "reset_token": reset_token}
    values.update(procurement_values())
    values.update(contracts_values())
    values.update(case_pages_values())
    return values


def case_pages_values() -> dict:
    """A case reported by the demo resident in the demo grid worker's grid, still to be filed (so the community
    worker's page shows the step forms), and its category; made and committed when the demo has none."""
    from portal.cases import service as cases
    from portal.cases.models import REPORTED, Case, CaseCategory

    grid = _first(select(Place).where(Place.name == GRID_WORKERS_GRID))
    category = db.session.scalars(select(CaseCategory).where(CaseCategory.place_id.in_(grid.ancestor_ids),
                                                             CaseCategory.is_active.is_(True))
                                  .order_by(CaseCategory.id)).first()
    if category is None:
        department = _first(select(Department).where(Department.name == BUYER))
        category = CaseCategory(place_id=department.place_id, code="PAGES", name="楼道堆物",
                                department_id=department.id)
        db.session.add(category)
        db.session.flush()
    case = db.session.scalars(select(Case).where(Case.place_id == grid.id, Case.status == REPORTED,
                                                 Case.category_id == category.id).order_by(Case.id)).first()
    if case is None:
        case, _created = cases.report_case(_user(RESIDENT), category_id=category.id, title="3栋楼道堆满杂物",
                                           description="旧家具挡住了消防通道。", place_id=grid.id,
                                           latitude=30.6979, longitude=111.2861)
    db.session.commit()
    return {"case_category": category.id, "case": case.id}


def contracts_values() -> dict:
    """The demo's contracts (portal/contracts/demo.py): active, completed and the award awaiting its contract."""
    from portal.contracts import sampling
    from portal.contracts.models import ACTIVE, COMPLETED, RETURNED, Contract, DeliveryReport, Sample, SampleItem

    linli = _first(select(Contract).where(Contract.status == ACTIVE).order_by(Contract.id))
    returned = _first(select(DeliveryReport).where(DeliveryReport.status == RETURNED))
    sample = _first(select(Sample).where(Sample.contract_id == linli.id).order_by(Sample.id))
    report = _first(select(DeliveryReport).where(DeliveryReport.contract_id == linli.id).order_by(DeliveryReport.id))
    # a sampled resident yet to answer, and one in the demo grid worker's grid: the sample of the report awaiting
    # verification, which nobody has answered yet
    pending = _first(select(DeliveryReport).where(DeliveryReport.contract_id == linli.id,
                                                  DeliveryReport.status == "submitted"))
    open_sample = _first(select(Sample).where(Sample.report_id == pending.id))
    item = sorted(open_sample.items, key=lambda row: row.id)[0]
    grid_item = next(row for row in open_sample.items if row.record.place is not None
                     and row.record.place.name == GRID_WORKERS_GRID)
    answered = _first(select(SampleItem).where(SampleItem.sample_id == sample.id, SampleItem.answer.is_not(None)))
    return {"contract": linli.id, "completed_contract": _first(select(Contract).where(Contract.status == COMPLETED)).id,
            "contract_org": linli.organisation_id, "returned_contract": returned.contract_id,
            "delivery_report": report.id, "returned_report": returned.id, "contract_sample": sample.id,
            "contract_milestone": linli.milestones[0].id, "unsigned_award": linli.award_id,
            "sample_token": sampling.item_token(open_sample.id, item.service_record_id, open_sample.seed),
            "answered_token": sampling.item_token(sample.id, answered.service_record_id, sample.seed),
            "visit_item": grid_item.id}


def procurement_values() -> dict:
    """The demo's purchasing year (portal/procurement/demo.py): a call in each state and what hangs on them."""
    calls = {call.status: call for call in db.session.scalars(select(Call).order_by(Call.id.desc()))}
    open_call, evaluated, awarded = calls["published"], calls["evaluation"], calls["awarded"]
    yangguang = _first(select(Organisation).where(Organisation.name == ORG_ADMINS_ORGANISATION))
    own_bid = _first(select(Bid).where(Bid.call_id == open_call.id, Bid.organisation_id == yangguang.id))
    low_bid = _first(select(Bid).join(LowPriceReview, LowPriceReview.bid_id == Bid.id)
                     .where(Bid.call_id == evaluated.id))
    scored_bid = _first(select(Bid).where(Bid.call_id == evaluated.id, Bid.organisation_id != low_bid.organisation_id)
                        .order_by(Bid.id))
    department = _first(select(Department).where(Department.name == BUYER))
    return {"open_call": open_call.id, "draft_call": calls["draft"].id, "opened_call": calls["closed"].id,
            "evaluated_call": evaluated.id, "awarded_call": awarded.id,
            "contest": _first(select(Call).where(Call.mode == CONTEST)).id,
            "own_bid": own_bid.id, "low_bid": low_bid.id, "scored_bid": scored_bid.id,
            "objection": _first(select(Objection).where(Objection.call_id == awarded.id)).id,
            "department": department.id,
            "item": _first(select(CatalogueItem).where(CatalogueItem.department_id == department.id)
                           .order_by(CatalogueItem.id)).id,
            "qualification": _first(select(Qualification).order_by(Qualification.id)).id}


VISITS = [
    Visit("main/index.html", "/", None),
    Visit("main/privacy.html", "/privacy", None),
    Visit("errors/error.html", "/no-such-page", None, status=404),
    Visit("accounts/login.html", "/login", None),
    Visit("accounts/register.html", "/register", None, submit_empty=True),
    Visit("accounts/forgot_password.html", "/password/forgot", None),
    Visit("accounts/reset_password.html", "/password/reset/{reset_token}", None),
    Visit("accounts/profile.html", "/profile", RESIDENT),
    Visit("accounts/erase.html", "/profile/erase", RESIDENT),
    Visit("accounts/roles.html", "/admin/roles", ADMIN),
    Visit("audit/log.html", "/admin/audit/", ADMIN),
    Visit("notifications/index.html", "/notifications", RESIDENT),
    Visit("places/browse.html", "/places/", None),
    Visit("places/detail.html", "/places/{place}", None),
    Visit("places/form.html", "/places/new", ADMIN),
    Visit("places/import.html", "/places/import", ADMIN),
    Visit("places/manage.html", "/places/manage", ADMIN),
    Visit("places/move.html", "/places/{place}/move", ADMIN),
    Visit("orgs/directory.html", "/organisations/", None),
    Visit("orgs/detail.html", "/organisations/{organisation}", None),
    Visit("orgs/documents.html", "/organisations/{organisation}/documents", ORG_ADMIN),
    Visit("orgs/edit.html", "/organisations/{organisation}/edit", ORG_ADMIN),
    Visit("orgs/members.html", "/organisations/{organisation}/members", ORG_ADMIN),
    Visit("orgs/mine.html", "/organisations/mine", ORG_ADMIN),
    Visit("orgs/register.html", "/organisations/register", RESIDENT),
    Visit("orgs/review_queue.html", "/organisations/review", OFFICIAL),
    Visit("orgs/invitation.html", "/invitations/{invitation_token}", None),
    Visit("funds/list.html", "/funds/", None),
    Visit("funds/detail.html", "/funds/{fund}", None),
    Visit("funds/manage.html", "/funds/{fund}/manage", TREASURER),
    Visit("funds/fund_form.html", "/funds/{fund}/edit", COMMUNITY_WORKER),
    Visit("funds/campaigns.html", "/campaigns/", None),
    Visit("funds/campaign.html", "/campaigns/{campaign}", None),
    Visit("funds/campaign_form.html", "/funds/{fund}/campaigns/new", TREASURER),
    Visit("funds/update_form.html", "/campaigns/{campaign}/updates/new", TREASURER),
    Visit("funds/pool_form.html", "/campaigns/{campaign}/matching/new", TREASURER),
    Visit("funds/team.html", "/teams/{team}", None),
    Visit("funds/team_form.html", "/campaigns/{campaign}/teams/new", RESIDENT),
    Visit("funds/pledge_form.html", "/funds/{fund}/in-kind/new", RESIDENT),
    Visit("funds/sale_form.html", "/in-kind/{pledge}/sell", TREASURER),
    Visit("funds/disbursement.html", "/disbursements/{disbursement}", TREASURER),
    Visit("funds/disbursement_form.html", "/funds/{fund}/disbursements/new", COMMUNITY_WORKER),
    Visit("payments/give.html", "/give/fund/{fund}", None),
    Visit("payments/sandbox_checkout.html", "/sandbox/checkout/{sandbox_token}", None),
    Visit("payments/pay_qr.html", "/give/{wechat_gift}/pay", DONOR),  # WeChat Pay in the local fake
    Visit("payments/fund_donations.html", "/funds/{fund}/donations", TREASURER),
    Visit("payments/manage_donation.html", "/donations/{gift}/manage", TREASURER),
    Visit("payments/offline_gifts.html", "/funds/{fund}/offline-gifts", TREASURER),
    Visit("payments/offline_gift_form.html", "/funds/{fund}/offline-gifts/new", TREASURER),
    Visit("payments/my_giving.html", "/me/giving", DONOR),
    Visit("payments/receipt.html", "/donations/{gift}/receipt", DONOR),
    Visit("payments/recurring_gift.html", "/me/giving/monthly/{monthly}", DONOR),
    Visit("cases/index.html", "/cases/", GRID_WORKER),
    Visit("cases/report.html", "/cases/report", RESIDENT, submit_empty=True),
    Visit("cases/detail.html", "/cases/{case}", COMMUNITY_WORKER),
    Visit("cases/categories.html", "/cases/categories", OFFICIAL),
    Visit("cases/category_form.html", "/cases/categories/new", OFFICIAL, submit_empty=True),
    Visit("needs/board.html", "/needs/", None),
    Visit("needs/detail.html", "/needs/{need}", None),
    Visit("needs/form.html", "/needs/new", RESIDENT, submit_empty=True),
    Visit("projects/index.html", "/projects/", None),
    Visit("projects/detail.html", "/projects/{project}", None),
    Visit("projects/form.html", "/projects/new", ORG_ADMIN),
    Visit("projects/no_organisation.html", "/projects/new", RESIDENT),
    Visit("projects/indicators.html", "/projects/{project}/indicators", ORG_ADMIN),
    Visit("projects/indicator_form.html", "/projects/{project}/indicators/{indicator}/edit", ORG_ADMIN),
    Visit("projects/report_form.html", "/projects/{project}/indicators/{indicator}/report", ORG_ADMIN),
    Visit("projects/report.html", "/projects/{project}/reports/{report}", ORG_ADMIN),
    Visit("projects/photos.html", "/projects/{project}/photos", ORG_ADMIN),
    Visit("projects/reviews.html", "/projects/reviews", COMMUNITY_WORKER),
    Visit("volunteering/index.html", "/volunteer/", None),
    Visit("volunteering/project.html", "/projects/{project}/volunteer", None),
    Visit("volunteering/me.html", "/volunteer/me", RESIDENT),
    Visit("volunteering/opportunity_form.html", "/projects/{project}/volunteer/new", ORG_ADMIN),
    Visit("volunteering/shift_form.html", "/opportunities/{opportunity}/shifts/new", ORG_ADMIN),
    Visit("volunteering/close_opportunity.html", "/opportunities/{opportunity}/close", ORG_ADMIN),
    Visit("volunteering/roster.html", "/shifts/{shift}/roster", ORG_ADMIN),
    Visit("volunteering/hours.html", "/projects/{project}/volunteer/hours", ORG_ADMIN),
    Visit("volunteering/check_in.html", "/volunteer/check-in/{check_in_token}", ORG_ADMIN),
    Visit("procurement/calls_list.html", "/procurement/", None),
    Visit("procurement/call_detail.html", "/procurement/calls/{open_call}", None),
    Visit("procurement/call_form.html", "/procurement/calls/{draft_call}/edit", OFFICIAL),
    Visit("procurement/call_amend.html", "/procurement/calls/{open_call}/amend", OFFICIAL),
    Visit("procurement/call_cancel.html", "/procurement/calls/{open_call}/cancel", OFFICIAL),
    Visit("procurement/workbench.html", "/procurement/workbench", OFFICIAL),
    Visit("procurement/catalogue_list.html", "/procurement/catalogue", None),
    Visit("procurement/catalogue_item_form.html", "/procurement/catalogue/items/{item}/edit", OFFICIAL),
    Visit("procurement/catalogue_import.html", "/procurement/departments/{department}/import", OFFICIAL),
    Visit("procurement/department_form.html", "/procurement/departments/new", OFFICIAL),
    Visit("procurement/qualified_list.html", "/procurement/qualified", None),
    Visit("procurement/qualified_form.html", "/procurement/qualified/new", OFFICIAL),
    Visit("procurement/qualified_revoke.html", "/procurement/qualified/{qualification}/revoke", OFFICIAL),
    Visit("procurement/minimum_wage.html", "/procurement/minimum-wages", OFFICIAL),
    Visit("procurement/bid_form.html", "/procurement/calls/{open_call}/bid", ORG_ADMIN),
    Visit("procurement/bid_receipt.html", "/procurement/calls/{open_call}/bids/{own_bid}/receipt", ORG_ADMIN),
    Visit("procurement/my_bids.html", "/procurement/my-bids", ORG_ADMIN),
    Visit("procurement/opening_record.html", "/procurement/calls/{opened_call}/opening", OFFICIAL),
    Visit("procurement/low_price_explain.html", "/procurement/calls/{evaluated_call}/bids/{low_bid}/low-price",
          LOW_BIDDER),
    Visit("procurement/low_price_decide.html",
          "/procurement/calls/{evaluated_call}/bids/{low_bid}/low-price/decide", OFFICIAL),
    Visit("procurement/panel.html", "/procurement/calls/{opened_call}/panel", OFFICIAL),
    Visit("procurement/evaluator_queue.html", "/procurement/evaluations", EVALUATOR_SCORING),
    Visit("procurement/evaluator_conflicts.html", "/procurement/calls/{evaluated_call}/conflicts", EVALUATOR_NEW),
    Visit("procurement/scoring_sheet.html", "/procurement/calls/{evaluated_call}/scoring", EVALUATOR_SCORING),
    Visit("procurement/scoring_bid.html", "/procurement/calls/{evaluated_call}/scoring/{scored_bid}",
          EVALUATOR_SCORING),
    Visit("procurement/ranking.html", "/procurement/calls/{awarded_call}/ranking", OFFICIAL),
    Visit("procurement/award_decision.html", "/procurement/calls/{evaluated_call}/award", OFFICIAL),
    Visit("procurement/award_notice.html", "/procurement/calls/{awarded_call}/award-notice", None),
    Visit("procurement/objection_form.html", "/procurement/calls/{awarded_call}/objections/new", BIDDER),
    Visit("procurement/objection_detail.html", "/procurement/calls/{awarded_call}/objections/{objection}",
          OFFICIAL),
    Visit("procurement/my_scores.html", "/procurement/calls/{awarded_call}/my-scores", OBJECTOR),
    Visit("procurement/roadshow.html", "/procurement/calls/{contest}/roadshow", None),
    Visit("procurement/roadshow_vote.html", "/procurement/calls/{contest}/roadshow/vote", RESIDENT),
    Visit("contracts/list.html", "/contracts/", None),
    Visit("contracts/detail.html", "/contracts/{contract}", OFFICIAL),
    Visit("contracts/scope.html", "/contracts/scope", None),
    Visit("contracts/scope_form.html", "/contracts/{contract}/scope/new", LINLI_ADMIN),
    Visit("contracts/amendment_form.html", "/contracts/{contract}/amendments/new", OFFICIAL),
    Visit("contracts/terminate.html", "/contracts/{contract}/terminate", OFFICIAL),
    Visit("contracts/sign.html", "/contracts/awards/{unsigned_award}/sign", OFFICIAL),
    Visit("contracts/report_form.html", "/contracts/{contract}/reports/new", LINLI_ADMIN),
    Visit("contracts/report_detail.html", "/contracts/{returned_contract}/reports/{returned_report}",
          WANSHOUQIAO_ADMIN),
    Visit("contracts/sample_detail.html", "/contracts/{contract}/samples/{contract_sample}", OFFICIAL),
    Visit("contracts/confirm_form.html", "/contracts/confirm/{sample_token}", None),
    Visit("contracts/confirm_done.html", "/contracts/confirm/{answered_token}", None),
    Visit("contracts/visits.html", "/contracts/visits", GRID_WORKER),
    Visit("contracts/visits_answer.html", "/contracts/visits/{visit_item}", GRID_WORKER),
    Visit("contracts/milestone_detail.html", "/contracts/{contract}/milestones/{contract_milestone}", OFFICIAL),
    Visit("contracts/payments_list.html", "/contracts/payments", None),
    Visit("contracts/evaluation_detail.html", "/contracts/{completed_contract}/evaluation", None),
    Visit("contracts/profile.html", "/contracts/organisations/{contract_org}", None),
    Visit("cases/app.html", "/cases/app", GRID_WORKER),  # my grid's cases, follow-ups, the report form
    Visit("cases/app.html", "/cases/app", RESIDENT),  # the report form and their own reports
    # grid cases: the board with the demo street's month of cases (its map, tables and trend)
    Visit("cases/board.html", "/cases/board", None),
    Visit("insights/red_flags.html", "/insights/red-flags", OFFICIAL),  # with the flags on non-public data
    Visit("insights/contractors.html", "/insights/contractors", None),
    Visit("insights/contractor.html", "/insights/contractors/{contract_org}", None),
    Visit("cases/api_keys.html", "/cases/api-keys", ADMIN, submit_empty=True),  # Open311 keys
    Visit("opendata/index.html", "/opendata/", None),
    # insights (issue 14): the dashboards are public; grid ledgers are imported by those who keep them
    Visit("insights/index.html", "/insights/", None),
    Visit("insights/outcomes.html", "/insights/outcomes?place={place}", None),
    Visit("insights/funds.html", "/insights/funds", None),
    Visit("insights/fund.html", "/insights/funds/{fund}", None),
    Visit("insights/profile.html", "/insights/profile?place={place}", None),
    Visit("insights/grid_profiles_import.html", "/insights/profile/import", GRID_WORKER, submit_empty=True),
    Visit("api/index.html", "/api/v1/", None),
]
