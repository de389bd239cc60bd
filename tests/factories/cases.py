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


def jpeg_bytes(latitude: float | None = None, longitude: float | None = None, size=(40, 30),
               camera: str = "TestCam") -> bytes:
    """A small JPEG as a phone makes it: a camera model and, when given, the GPS point in its EXIF."""
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[0x0110] = camera  # Model
    if latitude is not None and longitude is not None:
        def dms(value):
            degrees = int(abs(value))
            minutes = int((abs(value) - degrees) * 60)
            return (float(degrees), float(minutes), round((abs(value) - degrees - minutes / 60) * 3600, 2))

        exif.get_ifd(0x8825).update({1: "N" if latitude >= 0 else "S", 2: dms(latitude),
                                     3: "E" if longitude >= 0 else "W", 4: dms(longitude)})
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def photo_upload(data: bytes | None = None, filename: str = "photo.jpg"):
    """An upload as a form carries it (werkzeug's FileStorage)."""
    import io

    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(data if data is not None else jpeg_bytes()), filename=filename,
                       content_type="image/jpeg")


def make_photo(case, stage: str, uploader):
    """A stored (stripped) photo of `case` at `stage`, through the photos module."""
    from portal.cases.photos import store_photos

    return store_photos(case, [photo_upload()], stage, uploader)[0]
