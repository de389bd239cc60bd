"""Organisation factories, with valid unified social credit codes."""
import itertools

from portal.extensions import db
from portal.orgs.models import PENDING, PRIVATE_NON_ENTERPRISE, Organisation

_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_serial = itertools.count(1)


def credit_code(type_digit: str = "2", seed: int | None = None) -> str:
    """A checksum-valid 18-character code for a civil-affairs-registered organisation (GB 32100-2015)."""
    n = next(_serial) if seed is None else seed
    body = f"5{type_digit}420500" + f"MJ{n:06d}"[:8] + "X"
    body = body[:17]
    total = sum(_CHARSET.index(ch) * w for ch, w in zip(body, _WEIGHTS, strict=True))
    return body + _CHARSET[(31 - total % 31) % 31]


def make_organisation(creator, home_place, status: str = PENDING, name: str | None = None, **fields) -> Organisation:
    n = next(_serial)
    organisation = Organisation(
        name=name or f"测试社会工作服务中心{n}", legal_form=fields.pop("legal_form", PRIVATE_NON_ENTERPRISE),
        credit_code=fields.pop("credit_code", credit_code("2", n)), home_place_id=home_place.id,
        contact_name="张老师", contact_phone="0717-6000000", contact_email=f"org{n}@example.org",
        status=status, created_by_id=creator.id, **fields)
    db.session.add(organisation)
    db.session.flush()
    return organisation
