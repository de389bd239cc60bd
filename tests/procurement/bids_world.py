"""A small world for the sealed-bid tests: a district buyer with a published call, and a verified, qualified
organisation whose admin bids. Imported by tests/procurement/test_bids*.py, test_opening.py, test_lowprice.py."""
import io
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from portal.accounts import roles
from portal.orgs.models import VERIFIED
from portal.procurement.bids import BidDraft, StaffLine
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import make_organisation
from tests.factories.places import make_tree
from tests.factories.procurement import make_call, make_department, qualify

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def bidder(tree, official, status=VERIFIED, qualified=True):
    """An organisation (verified and qualified on the district unless told) and its admin."""
    admin = UserFactory(locale="en")
    organisation = make_organisation(admin, tree["community"], status=status)
    grant(admin, roles.ORG_ADMIN, organisation)
    if qualified:
        qualify(organisation, tree["district"], official)
    return SimpleNamespace(org=organisation, admin=admin)


@pytest.fixture
def english():
    """Services outside a request speak Chinese (the default); these tests read the English messages."""
    with force_locale("en"):
        yield


@pytest.fixture
def market(english):
    tree = make_tree()
    official = UserFactory(locale="en")
    grant(official, roles.OFFICIAL, tree["district"])
    department = make_department(tree["district"])
    call = make_call(department, official)
    first = bidder(tree, official)
    return SimpleNamespace(tree=tree, official=official, department=department, call=call, lot=call.lots[0],
                           org=first.org, admin=first.admin, bidder=lambda **kw: bidder(tree, official, **kw))


def draft(people="2", hours="1000", rate="40", materials="10000", overheads="5000", approach="上门探访与助餐服务方案",
          files=(), indicators=None) -> BidDraft:
    """A bid as typed: by default 2 x 1,000 h x ¥40 staff + ¥10,000 materials + ¥5,000 overheads = ¥95,000."""
    return BidDraft(approach=approach, team="社工3名",
                    indicators=indicators if indicators is not None else
                    [{"name": "上门服务人次", "unit": "人次", "baseline": "0", "target": "2000"}],
                    staff=[StaffLine("护理员", people, hours, rate)], materials=materials, overheads=overheads,
                    files=list(files))


def upload(data: bytes, name: str):
    from werkzeug.datastructures import FileStorage

    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="application/octet-stream")


def form_data(lot, organisation, **overrides) -> dict:
    """The bid form's fields for the default draft."""
    data = {"organisation": str(organisation.id), "lot": str(lot.id), "approach": "上门探访与助餐服务方案",
            "team": "社工3名", "indicators-0-name": "上门服务人次", "indicators-0-unit": "人次",
            "indicators-0-baseline": "0", "indicators-0-target": "2000", "staff-0-role": "护理员",
            "staff-0-people": "2", "staff-0-hours": "1000", "staff-0-rate": "40", "materials": "10000",
            "overheads": "5000"}
    data.update(overrides)
    return data
