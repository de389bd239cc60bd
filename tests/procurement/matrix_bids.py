"""Authorization-matrix rows for procurement: bids (see tests/procurement/matrix.py).

The world holds a published call with a sealed bid of the verified organisation (whose admin is the matrix's
org_member) carrying a distinctive price and phrase, which tests/procurement/test_bids_sealed.py looks for on
every page; and an opened call with a valid bid of the same organisation flagged abnormally low."""
from datetime import timedelta

LOGIN = "302 to sign-in"  # as tests/test_authorization_matrix.py names it (that module imports this one)
ROLES = ("anonymous", "resident", "org_member", "official", "admin", "treasurer", "committee", "community_worker",
         "grid_worker", "evaluator")


def _only(others=404, **codes):
    """Signed-in roles not named get `others`; anonymous is sent to sign in."""
    return {role: codes.get(role, LOGIN if role == "anonymous" else others) for role in ROLES}


ROUTES: dict = {
    "procurement.bid_new": ("GET", "/procurement/calls/{bids_call}/bid", _only(org_member=200)),
    "procurement.bid_receipt": ("GET", "/procurement/calls/{bids_call}/bids/{sealed_bid}/receipt",
                                _only(org_member=200)),
    "procurement.bid_replace": ("GET", "/procurement/calls/{bids_call}/bids/{sealed_bid}/replace",
                                _only(org_member=200)),
    # an empty form does not tick the confirmation: 400, and the bid stays
    "procurement.bid_withdraw": ("POST", "/procurement/calls/{bids_call}/bids/{sealed_bid}/withdraw",
                                 _only(org_member=400)),
    "procurement.bid_content": ("GET", "/procurement/calls/{opened_bids_call}/bids/{opened_bid}/content.json",
                                _only(org_member=200)),
    "procurement.bid_file": ("GET", "/procurement/calls/{opened_bids_call}/bids/{opened_bid}/files/{opened_bid_file}",
                             _only(org_member=200, official=200)),
    "procurement.my_bids": ("GET", "/procurement/my-bids", _only(others=403, org_member=200)),
    "procurement.opening_record": ("GET", "/procurement/calls/{opened_bids_call}/opening",
                                   _only(org_member=200, official=200)),
    "procurement.low_price_explain": ("GET", "/procurement/calls/{opened_bids_call}/bids/{opened_bid}/low-price",
                                      _only(org_member=200)),
    "procurement.low_price_decide": ("GET",
                                     "/procurement/calls/{opened_bids_call}/bids/{opened_bid}/low-price/decide",
                                     _only(official=200)),
}

# the distinctive sealed bid: 123,456.78 yuan and a phrase found nowhere else
SEALED_PRICE_MINOR = 12_345_678
SEALED_PHRASE = "SEALED-PHRASE 蓝色风车上门方案"


def sealed_content(price_minor: int = SEALED_PRICE_MINOR, phrase: str = SEALED_PHRASE) -> dict:
    from tests.factories.procurement import bid_content

    content = bid_content(price_minor)
    content["approach"] = f"{phrase}：以社区为平台开展上门探访。"
    return content


def make_sealed_bid(call, organisation, user, price_minor: int = SEALED_PRICE_MINOR, phrase: str = SEALED_PHRASE):
    """A submitted bid whose sealed content carries the distinctive price and phrase."""
    from portal.extensions import db
    from portal.procurement import sealing
    from portal.procurement.models import BidReceipt
    from tests.factories.procurement import make_bid

    bid = make_bid(call, organisation, user, price_minor=price_minor)
    bid.sealed_content, bid.receipt_sha256 = sealing.seal(sealed_content(price_minor, phrase))
    receipt = db.session.query(BidReceipt).filter_by(bid_id=bid.id).one()
    receipt.receipt_sha256 = bid.receipt_sha256
    db.session.flush()
    return bid


def world(tree, users, verified_org, department, values) -> dict:
    """Ids these rows need, made in the matrix's world."""
    from portal.core.time import utcnow
    from portal.extensions import db
    from portal.procurement.models import ASKED, LowPriceReview
    from tests.factories.procurement import make_call, opened_call, qualify

    official, member = users["official"], users["org_member"]
    qualify(verified_org, tree["district"], official)
    call = make_call(department, official, title="社区助餐服务（密封投标）")
    bid = make_sealed_bid(call, verified_org, member)
    opened = opened_call(department, official, [verified_org], [9_000_000], member, title="已开标的助餐服务")
    opened_bid = db.session.query(type(bid)).filter_by(call_id=opened.id).one()
    db.session.add(LowPriceReview(bid_id=opened_bid.id, status=ASKED, explain_by=utcnow() + timedelta(days=5),
                                  reasons=[{"rule": "staff_under_minimum_wage", "staff_cost_minor": 8_000_000,
                                            "staff_hours": 2000, "hourly_minimum_wage_minor": 4500,
                                            "minimum_staff_cost_minor": 9_000_000}]))
    db.session.flush()
    return {"bids_call": call.id, "sealed_bid": bid.id, "opened_bids_call": opened.id, "opened_bid": opened_bid.id,
            "opened_bid_file": attach_sealed_file(opened_bid).id}


def attach_sealed_file(bid, data: bytes | None = None, name: str = "budget.pdf"):
    """A PDF attached to `bid`'s current version, stored encrypted as the bids service stores files."""
    import hashlib
    from pathlib import Path

    from flask import current_app

    from portal.extensions import db
    from portal.procurement import sealing
    from portal.procurement.models import BidFile
    from tests.factories.orgs import tiny_pdf

    data = data or tiny_pdf()
    key = f"bids/test-{bid.id}-{hashlib.sha256(data).hexdigest()[:12]}.sealed"
    path = Path(current_app.config["UPLOAD_DIR"]) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(sealing.seal_bytes(data))
    bid_file = BidFile(bid_id=bid.id, bid_version=bid.version, original_name=name, content_type="application/pdf",
                       size=len(data), sha256=hashlib.sha256(data).hexdigest(), storage_key=key)
    db.session.add(bid_file)
    db.session.flush()
    return bid_file
