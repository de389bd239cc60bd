"""Funds factories: funds, campaigns, teams, pools, and succeeded gifts posted through the real ledger."""
import itertools
from datetime import timedelta

from portal.core.time import utcnow
from portal.extensions import db
from portal.funds import ledger
from portal.funds.models import (
    COMMUNITY_WELFARE_FUND,
    KEEP_IT_ALL,
    LIVE,
    Campaign,
    Disbursement,
    Fund,
    MatchingPool,
    Team,
    TeamMember,
)
from portal.payments.models import NAMED, PARTIALLY_REFUNDED, REFUNDED, SANDBOX, SUCCEEDED, Donation, Refund

_serial = itertools.count(1)


def make_fund(place, name: str | None = None, **fields) -> Fund:
    fund = Fund(place_id=place.id, kind=fields.pop("kind", COMMUNITY_WELFARE_FUND),
                name=name or f"测试社区公益金{next(_serial)}", **fields)
    db.session.add(fund)
    db.session.flush()
    return fund


def make_campaign(fund, creator, status: str = LIVE, goal_minor: int = 1_000_000, **fields) -> Campaign:
    now = utcnow()
    campaign = Campaign(fund_id=fund.id, title=fields.pop("title", f"为老人送餐{next(_serial)}"),
                        summary=fields.pop("summary", "每天为独居老人送一顿热饭"), goal_minor=goal_minor,
                        starts_at=fields.pop("starts_at", now - timedelta(days=1)),
                        ends_at=fields.pop("ends_at", now + timedelta(days=30)),
                        funding_model=fields.pop("funding_model", KEEP_IT_ALL), status=status,
                        created_by_id=creator.id, published_at=now if status != "draft" else None, **fields)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def make_team(campaign, captain, name: str | None = None, goal_minor: int = 100_000, members=()) -> Team:
    team = Team(campaign_id=campaign.id, name=name or f"小分队{next(_serial)}", goal_minor=goal_minor,
                captain_id=captain.id)
    db.session.add(team)
    db.session.flush()
    for user in (captain, *members):
        db.session.add(TeamMember(team_id=team.id, user_id=user.id))
    db.session.flush()
    return team


def make_pool(campaign, cap_minor: int = 50_000, numerator: int = 1, denominator: int = 1,
              per_donor_cap_minor: int | None = None, sponsor_name: str = "宜昌爱心企业") -> MatchingPool:
    now = utcnow()
    pool = MatchingPool(campaign_id=campaign.id, sponsor_name=sponsor_name, ratio_numerator=numerator,
                        ratio_denominator=denominator, cap_minor=cap_minor, per_donor_cap_minor=per_donor_cap_minor,
                        starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30))
    db.session.add(pool)
    db.session.flush()
    return pool


def make_gift(fund, amount_minor: int, campaign=None, team=None, donor=None, display_mode: str = NAMED,
              donor_name: str | None = None, provider: str = SANDBOX) -> Donation:
    """A succeeded gift, posted through the real ledger (so caches and matching move as in production)."""
    donation = Donation(fund_id=fund.id, campaign_id=getattr(campaign, "id", None), team_id=getattr(team, "id", None),
                        donor_id=getattr(donor, "id", None),
                        donor_name=donor_name or getattr(donor, "display_name", None) or "王大妈",
                        display_mode=display_mode, amount_minor=amount_minor, provider=provider, status=SUCCEEDED,
                        succeeded_at=utcnow())
    db.session.add(donation)
    db.session.flush()
    ledger.post_gift(donation)
    return donation


def make_refund(donation, amount_minor: int) -> Refund:
    """A confirmed refund (as payments records one), posted through the ledger."""
    refund = Refund(donation_id=donation.id, amount_minor=amount_minor, status=SUCCEEDED, succeeded_at=utcnow())
    db.session.add(refund)
    db.session.flush()
    ledger.post_refund(donation, refund)
    donation.refunded_minor += amount_minor
    donation.status = REFUNDED if donation.refunded_minor == donation.amount_minor else PARTIALLY_REFUNDED
    db.session.flush()
    return refund


def make_disbursement(fund, requester, amount_minor: int, status: str = "requested", **fields) -> Disbursement:
    disbursement = Disbursement(fund_id=fund.id, purpose=fields.pop("purpose", "老人助餐 5 月"),
                                payee=fields.pop("payee", "夕阳红助餐点"), amount_minor=amount_minor, status=status,
                                requested_by_id=requester.id, **fields)
    db.session.add(disbursement)
    db.session.flush()
    return disbursement


# a tiny valid PNG (1x1), for campaign pictures
PNG_BYTES = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
             b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND"
             b"\xaeB`\x82")


def funds_matrix_world(community, resident, org_admin, platform_admin) -> dict:
    """The funds rows tests/test_authorization_matrix.py visits: a fund on `community` with a treasurer
    (nobody of the matrix's roles), campaigns in each state, a team captained by the resident, a picture,
    a disbursement requested by the organisation's administrator and an in-kind pledge by the resident."""
    import io

    from werkzeug.datastructures import FileStorage

    from portal.accounts import roles
    from portal.core.uploads import IMAGE_TYPES, store_upload
    from portal.funds.models import DRAFT, ENDED, CampaignImage, InKindPledge
    from tests.factories.accounts import UserFactory, grant

    fund = make_fund(community, name="矩阵社区公益金")
    treasurer_assignment = grant(UserFactory(), roles.TREASURER, fund)
    campaign = make_campaign(fund, platform_admin, title="矩阵众筹")
    to_finish = make_campaign(fund, platform_admin, title="矩阵待结束")
    draft = make_campaign(fund, platform_admin, status=DRAFT, title="矩阵草稿")
    ended = make_campaign(fund, platform_admin, status=ENDED, title="矩阵已结束")
    team = make_team(campaign, resident, name="矩阵小分队")
    stored = store_upload(FileStorage(io.BytesIO(PNG_BYTES), "picture.png"), IMAGE_TYPES)
    image = CampaignImage(campaign_id=campaign.id, storage_key=stored.storage_key, caption="")
    pledge = InKindPledge(fund_id=fund.id, donor_id=resident.id, donor_name="居民", category="goods",
                          description="图书", estimated_value_minor=1_000)
    db.session.add_all([image, pledge])
    db.session.flush()
    disbursement = make_disbursement(fund, org_admin, 100)
    return {"fund": fund.id, "fund_assignment": treasurer_assignment.id, "campaign": campaign.id,
            "campaign_to_finish": to_finish.id, "draft_campaign": draft.id, "ended_campaign": ended.id,
            "team": team.id, "campaign_image": image.id, "pledge": pledge.id, "disbursement": disbursement.id}
