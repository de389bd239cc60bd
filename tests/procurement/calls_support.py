"""What the calls tests share: a small purchasing world (a district bureau with a catalogue item, its official,
an official of another district, a verified organisation, an accepted resident need) and a valid call's
details. Test modules take the fixture with `calls_world = calls_support.calls_world`."""
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from flask_babel import force_locale

from portal.accounts import roles
from portal.core.time import utcnow
from portal.needs.models import ACCEPTED
from portal.orgs.models import VERIFIED
from portal.procurement.call_rules import CallDetails, CriterionDraft, LineDraft, LotDraft
from portal.procurement.models import PRICE, QUALITY
from tests.factories.accounts import UserFactory, grant
from tests.factories.needs import make_need
from tests.factories.orgs import make_organisation
from tests.factories.places import make_place, make_tree
from tests.factories.procurement import make_catalogue_item, make_department

EN = {"Accept-Language": "en"}
RUBRIC = "0 无 · 1 很弱 · 2 弱 · 3 合格 · 4 良好 · 5 优秀"


@dataclass
class CallsWorld:
    tree: dict
    department: object
    item: object
    official: object
    outsider: object  # an official of another district
    resident: object
    organisation: object
    org_admin: object
    need: object
    other: dict = field(default_factory=dict)


@pytest.fixture
def calls_world():
    tree = make_tree()
    department = make_department(tree["district"], "西陵区民政局")
    item = make_catalogue_item(department, ceiling_minor=8000, name="居家养老上门服务")
    official = UserFactory(display_name="采购科王科长", locale="en")
    grant(official, roles.OFFICIAL, tree["district"])
    other_district = make_place("district", "伍家岗区")
    outsider = UserFactory(display_name="别区官员", locale="en")
    grant(outsider, roles.OFFICIAL, other_district)
    resident = UserFactory(display_name="王大妈", locale="en")
    org_admin = UserFactory(display_name="社工站站长", locale="en")
    organisation = make_organisation(org_admin, tree["community"], status=VERIFIED, name="夷陵社工服务中心")
    grant(org_admin, roles.ORG_ADMIN, organisation)
    need = make_need(tree["community"], resident, title="独居老人需要上门照护", status=ACCEPTED)
    with force_locale("en"):  # services outside a request speak Chinese; the tests read the English messages
        yield CallsWorld(tree, department, item, official, outsider, resident, organisation, org_admin, need,
                         {"other_district": other_district})


def good_details(world: CallsWorld, **overrides) -> CallDetails:
    """An open tender that publishes: 300,000 yuan for 4,000 hours at a ceiling of 80 yuan (320,000)."""
    now = utcnow()
    values = {
        "mode": "open_tender", "category": "elderly_care", "title": "铁路坝社区居家养老上门服务",
        "place_id": world.tree["street"].id, "budget_cap_minor": 30_000_000, "price_floor_minor": 15_000_000,
        "description": "为辖区独居老人提供上门照护", "eligibility": "", "min_bids": 1,
        "questions_until": now + timedelta(days=5), "bids_until": now + timedelta(days=10), "publicity_days": 5,
        "need_ids": [world.need.id],
        "lots": [LotDraft(title="上门照护", cap_minor=30_000_000, max_awards=1,
                          lines=[LineDraft(item_id=world.item.id, quantity=4000)])],
        "criteria": [CriterionDraft(PRICE, "价格", 30), CriterionDraft(QUALITY, "服务方案", 40, RUBRIC),
                     CriterionDraft(QUALITY, "团队与经验", 30, RUBRIC)]}
    values.update(overrides)
    return CallDetails(**values)


def form_data(world: CallsWorld, **overrides) -> dict:
    """The draft form's fields for the same call (yuan, Beijing wall-clock times)."""
    from portal.procurement.call_forms import utc_to_local

    now = utcnow()
    data = {
        "mode": "open_tender", "category": "elderly_care", "title": "铁路坝社区居家养老上门服务",
        "place": str(world.tree["street"].id), "budget_cap": "300000", "price_floor": "150000", "min_bids": "1",
        "questions_until": utc_to_local(now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
        "bids_until": utc_to_local(now + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"), "publicity_days": "5",
        "needs": str(world.need.id), "description": "为辖区独居老人提供上门照护",
        "lots-0-title": "上门照护", "lots-0-budget_cap": "300000", "lots-0-max_awards": "1",
        "lots-0-lines-0-item": str(world.item.id), "lots-0-lines-0-quantity": "4000",
        "lots-0-lines-1-item": "", "lots-0-lines-1-quantity": "",
        "criteria-0-kind": "price", "criteria-0-title": "价格", "criteria-0-weight": "30",
        "criteria-1-kind": "quality", "criteria-1-title": "服务方案", "criteria-1-weight": "40",
        "criteria-1-rubric": RUBRIC,
        "criteria-2-kind": "quality", "criteria-2-title": "团队与经验", "criteria-2-weight": "30",
        "criteria-2-rubric": RUBRIC,
        "criteria-3-kind": "", "criteria-3-title": "", "criteria-3-weight": "",
    }
    data.update(overrides)
    return data
