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


def tiny_pdf() -> bytes:
    """A real, minimal one-page PDF (readers open it; magic-byte checks see a PDF)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def tiny_png() -> bytes:
    """A real 1x1 PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


def make_document(organisation, uploader, title: str = "登记证书", data: bytes | None = None,
                  filename: str = "certificate.pdf"):
    """A stored document (the file is written to the test upload folder, as an upload would)."""
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from portal.core.uploads import store_upload
    from portal.orgs.models import OrganisationDocument

    stored = store_upload(FileStorage(BytesIO(tiny_pdf() if data is None else data), filename=filename))
    document = OrganisationDocument(organisation_id=organisation.id, title=title, original_name=stored.original_name,
                                    content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                                    storage_key=stored.storage_key, uploaded_by_id=uploader.id)
    db.session.add(document)
    db.session.flush()
    return document
