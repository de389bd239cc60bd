"""Grid-case factories: a category with a handling department and SLA clocks, cases in any status."""
import itertools
from datetime import timedelta

from portal.cases.models import REPORTED, Case, CaseCategory
from portal.core.time import utcnow
from portal.extensions import db

_serial = itertools.count(1)


def make_category(place, department=None, code: str | None = None, name: str = "楼道堆物", is_public: bool = True,
                  **fields) -> CaseCategory:
    category = CaseCategory(place_id=place.id, code=code or f"C{next(_serial):03d}", name=name,
                            description=fields.pop("description", "楼道、消防通道堆放杂物"),
                            department_id=getattr(department, "id", None), is_public=is_public, **fields)
    db.session.add(category)
    db.session.flush()
    return category


def make_case(category, place, reporter, status: str = REPORTED, **fields) -> Case:
    """A case as the report makes it (no photo), moved straight to `status` (the service's steps are tested
    through the service)."""
    n = next(_serial)
    now = utcnow()
    case = Case(reference=fields.pop("reference", f"AJ-{now:%Y%m%d}-{n:04d}"), category_id=category.id,
                place_id=place.id, title=fields.pop("title", "3栋楼道堆满杂物"),
                description=fields.pop("description", "楼道里堆了旧家具，挡住了消防通道。"), status=status,
                reporter_id=getattr(reporter, "id", None), department_id=category.department_id,
                reported_at=fields.pop("reported_at", now - timedelta(hours=1)), **fields)
    db.session.add(case)
    db.session.flush()
    return case


def photo_bytes(latitude: float | None = 30.697917, longitude: float | None = 111.286111,
                taken: str | None = "2026:12:01 09:30:00", size=(64, 48), fmt: str = "JPEG") -> bytes:
    """A small picture as a phone makes it: EXIF with the maker, the owner's name, the time and (optionally) GPS."""
    import io

    from PIL import Image

    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretPhoneMaker"
    exif[0x013B] = "张三的手机"
    if taken:
        exif[0x8769] = {36867: taken}
    if latitude is not None:
        def dms(value):
            degrees = int(value)
            minutes = int((value - degrees) * 60)
            return (float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 3))
        exif[0x8825] = {1: "N", 2: dms(latitude), 3: "E", 4: dms(longitude)}
    buffer = io.BytesIO()
    image.save(buffer, fmt, exif=exif)
    return buffer.getvalue()


def upload(data: bytes, name: str = "photo.jpg"):
    """A werkzeug FileStorage, as a form's file input hands it to a service."""
    import io

    from werkzeug.datastructures import FileStorage

    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="image/jpeg")


def make_photo(case, stage: str, uploader):
    """A stored (stripped) photo of `case` at `stage`, through the photos module."""
    from portal.cases.photos import store_photos

    return store_photos(case, [upload(photo_bytes())], stage, uploader)[0]
