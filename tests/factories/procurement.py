"""Purchase-of-services factories: a department with a catalogue, qualified organisations, calls in any state
and sealed bids, built directly (the services' own rules are tested through the services)."""
import itertools
from datetime import timedelta

from sqlalchemy import select

from portal.core.time import utcnow
from portal.extensions import db
from portal.procurement import sealing
from portal.procurement.models import (
    CLOSED,
    OPEN_TENDER,
    PRICE,
    PUBLISHED,
    QUALITY,
    SUBMITTED,
    AwardCriterion,
    Bid,
    BidReceipt,
    Call,
    CatalogueItem,
    Department,
    Lot,
    LotLine,
    Qualification,
)

_serial = itertools.count(1)


def make_department(place, name: str | None = None) -> Department:
    department = Department(place_id=place.id, name=name or f"区民政局{next(_serial)}")
    db.session.add(department)
    db.session.flush()
    return department


def make_catalogue_item(department, category: str = "elderly_care", unit: str = "hour",
                        ceiling_minor: int = 8000, year: int | None = None, **fields) -> CatalogueItem:
    n = next(_serial)
    item = CatalogueItem(department_id=department.id, year=year or utcnow().year, code=fields.pop("code", f"C{n:03d}"),
                         name=fields.pop("name", f"居家养老上门服务{n}"), category=category, unit=unit,
                         unit_price_ceiling_minor=ceiling_minor,
                         quality_standard=fields.pop("quality_standard", "服务记录完整，回访满意率不低于90%"),
                         **fields)
    db.session.add(item)
    db.session.flush()
    return item


def qualify(organisation, place, official, category: str = "elderly_care") -> Qualification:
    """Put `organisation` on the qualified list (the same row again if it is already there: several
    matrix areas qualify the matrix's organisation)."""
    existing = db.session.scalar(select(Qualification).where(
        Qualification.organisation_id == organisation.id, Qualification.place_id == place.id,
        Qualification.category == category))
    if existing is not None:
        return existing
    qualification = Qualification(organisation_id=organisation.id, place_id=place.id, category=category,
                                  years_registered=3, past_delivery="两个社区的居家养老服务",
                                  recorded_by_id=official.id)
    db.session.add(qualification)
    db.session.flush()
    return qualification


def make_call(department, official, place=None, status: str = PUBLISHED, mode: str = OPEN_TENDER,
              category: str = "elderly_care", cap_minor: int = 30_000_000, floor_minor: int = 15_000_000,
              bids_until=None, min_bids: int = 1, item=None, quality_criteria=(("服务方案", 40), ("团队", 30)),
              price_weight: int = 30, **fields) -> Call:
    """A call with one lot (one catalogue line) and published criteria: price plus quality sub-criteria."""
    n = next(_serial)
    now = utcnow()
    bids_until = bids_until or now + timedelta(days=10)
    call = Call(reference=fields.pop("reference", f"T-{now.year}-{n:03d}"), department_id=department.id,
                place_id=(place or department.place).id, mode=mode, category=category,
                title=fields.pop("title", f"社区居家养老服务项目{n}"),
                description=fields.pop("description", "为辖区老人提供上门服务"),
                status=status, budget_cap_minor=cap_minor, price_floor_minor=floor_minor, min_bids=min_bids,
                questions_until=fields.pop("questions_until", bids_until - timedelta(days=3)), bids_until=bids_until,
                no_need_reason=fields.pop("no_need_reason", "年度购买计划"), created_by_id=official.id,
                published_at=None if status == "draft" else now - timedelta(days=1), **fields)
    db.session.add(call)
    db.session.flush()
    lot = Lot(call_id=call.id, number=1, title=call.title, budget_cap_minor=cap_minor)
    db.session.add(lot)
    db.session.flush()
    item = item or make_catalogue_item(department, category=category)
    db.session.add(LotLine(lot_id=lot.id, catalogue_item_id=item.id, quantity=2000))
    position = 0
    if price_weight:
        db.session.add(AwardCriterion(call_id=call.id, position=position, kind=PRICE, name="价格", weight=price_weight))
    for name, weight in quality_criteria:
        position += 1
        db.session.add(AwardCriterion(call_id=call.id, position=position, kind=QUALITY, name=name, weight=weight,
                                      rubric="0 无 · 1 很弱 · 2 弱 · 3 合格 · 4 良好 · 5 优秀"))
    db.session.flush()
    return call


def bid_content(price_minor: int = 25_000_000, staff_rate_minor: int = 4000, hours: int = 2000) -> dict:
    """A bid's content in the shape the bid form stores (portal/procurement/bids.py)."""
    staff = staff_rate_minor * hours
    materials = max(price_minor - staff, 0) // 2
    return {
        "approach": "以社区为平台、社工为支撑，开展上门探访与助餐服务。",
        "indicators": [{"name": "上门服务人次", "unit": "人次", "baseline": 0, "target": 2000}],
        "team": "项目主管1名，持证社工3名，护理员6名",
        "cost_lines": [
            {"kind": "staff", "label": "护理员", "people": 1, "hours": hours, "rate_minor": staff_rate_minor,
             "amount_minor": staff},
            {"kind": "materials", "label": "物资", "amount_minor": materials},
            {"kind": "overheads", "label": "管理费", "amount_minor": price_minor - staff - materials},
        ],
        "price_minor": price_minor,
        "files": [],
    }


def make_bid(call, organisation, user, price_minor: int = 25_000_000, status: str = SUBMITTED, lot=None,
             opened: bool | None = None, **content_fields) -> Bid:
    """A sealed bid; for a call already opened (status past published) the price is copied out as the
    opening does, unless `opened=False`."""
    lot = lot or call.lots[0]
    content = bid_content(price_minor, **content_fields)
    ciphertext, receipt = sealing.seal(content)
    bid = Bid(call_id=call.id, lot_id=lot.id, organisation_id=organisation.id, status=status,
              sealed_content=ciphertext, receipt_sha256=receipt, submitted_by_id=user.id)
    if opened or (opened is None and call.status not in ("draft", PUBLISHED)):
        bid.opened_price_minor = price_minor
    db.session.add(bid)
    db.session.flush()
    db.session.add(BidReceipt(bid_id=bid.id, version=1, action="submitted", receipt_sha256=receipt))
    db.session.flush()
    return bid


def opened_call(department, official, bidders, prices, user, **fields) -> Call:
    """A call opened (closed) with one valid bid per (organisation, price)."""
    from portal.procurement.models import VALID

    call = make_call(department, official, status=CLOSED, bids_until=utcnow() - timedelta(hours=1), **fields)
    call.opened_at = utcnow() - timedelta(minutes=50)
    for organisation, price in zip(bidders, prices, strict=True):
        make_bid(call, organisation, user, price_minor=price, status=VALID)
    db.session.flush()
    return call
