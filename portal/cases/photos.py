"""A case's photos: checked by their bytes, their EXIF time and place read, then re-encoded from the pixels
alone so that nothing else the camera wrote (device, owner, thumbnails, the GPS tags themselves) is stored.

Pillow is the kept library that reads and writes the image formats; the stored file is a fresh JPEG or PNG
of at most 2048 px a side, named by the hash of its own bytes.
"""
import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.cases.models import CasePhoto
from portal.core.errors import ValidationFailed
from portal.core.forms import too_large_message
from portal.core.time import utcnow
from portal.core.uploads import upload_path
from portal.extensions import db

MAX_PHOTOS = 4  # per step
MAX_SIDE = 2048
MAX_PIXELS = 50_000_000  # a larger picture is refused before its pixels are decoded (a decompression bomb)
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}
GPS_IFD, EXIF_IFD = 0x8825, 0x8769
DATE_TIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 36867, 36881


@dataclass
class StrippedPhoto:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str
    taken_at: datetime | None
    latitude: float | None
    longitude: float | None


def _degrees(value, ref) -> float | None:
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    return -result if str(ref).upper() in ("S", "W") else result


def _place(exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(GPS_IFD)
    if not gps or 2 not in gps or 4 not in gps:
        return None, None
    latitude, longitude = _degrees(gps[2], gps.get(1, "N")), _degrees(gps[4], gps.get(3, "E"))
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None
    return round(latitude, 6), round(longitude, 6)


def _time(exif) -> datetime | None:
    """DateTimeOriginal is the camera's local time; its offset tag says which, else the portal's own zone."""
    tags = exif.get_ifd(EXIF_IFD)
    try:
        local = datetime.strptime(str(tags.get(DATE_TIME_ORIGINAL) or exif.get(306) or ""), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = str(tags.get(OFFSET_TIME_ORIGINAL) or "")
    try:
        sign = -1 if offset.startswith("-") else 1
        hours, minutes = offset.lstrip("+-").split(":")
        zone = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
    except ValueError:
        zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    taken = local.replace(tzinfo=zone).astimezone(UTC)
    return taken if taken <= utcnow() + timedelta(days=1) else None  # a camera clock in the future says nothing


def strip_photo(file_storage, field: str = "photos") -> StrippedPhoto:
    """Check one upload is a picture of a sane size; read its EXIF time and place; re-encode it bare."""
    limit = current_app.config["CASE_PHOTO_MAX_BYTES"]
    data = file_storage.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed(too_large_message(limit), field=field)
    if not data:
        raise ValidationFailed(_("The photo is empty."), field=field)
    not_a_photo = ValidationFailed(_("This file is not a photo (JPEG or PNG, checked by its content)."), field=field)
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise not_a_photo from None
    if image.format not in FORMATS:
        raise not_a_photo
    content_type, extension = FORMATS[image.format]
    if image.width * image.height > MAX_PIXELS:
        raise ValidationFailed(_("The photo has too many pixels; take it again at a lower resolution."), field=field)
    try:
        exif = image.getexif()
        latitude, longitude = _place(exif)
        taken_at = _time(exif)
        image = ImageOps.exif_transpose(image)  # keep the picture upright once the orientation tag is gone
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        has_alpha = image.mode in ("RGBA", "LA") or "transparency" in image.info
        mode = "RGBA" if extension == "png" and has_alpha else "RGB"
        # A new image from the pixels alone: no EXIF, XMP, ICC, comments or thumbnails are carried over.
        bare = Image.new(mode, image.size)
        bare.paste(image.convert(mode))
        output = io.BytesIO()
        if extension == "png":
            bare.save(output, format="PNG", optimize=True)
        else:
            bare.save(output, format="JPEG", quality=85, optimize=True)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise not_a_photo from None
    stored = output.getvalue()
    return StrippedPhoto(data=stored, content_type=content_type, extension=extension, width=bare.width,
                         height=bare.height, sha256=hashlib.sha256(stored).hexdigest(), taken_at=taken_at,
                         latitude=latitude, longitude=longitude)


def chosen(files) -> list:
    """The uploads a form really carried (a file input sends one empty part when nothing was chosen)."""
    return [file for file in (files or ()) if file is not None and getattr(file, "filename", "")]


def strip_photos(files, field: str = "photos") -> list[StrippedPhoto]:
    """Check every chosen upload before anything is stored, so a bad third photo stores none of them."""
    files = chosen(files)
    if len(files) > MAX_PHOTOS:
        raise ValidationFailed(_("Attach at most %(n)d photos.", n=MAX_PHOTOS), field=field)
    return [strip_photo(file, field) for file in files]


def store_stripped(case, photos: list[StrippedPhoto], stage: str, uploader) -> list[CasePhoto]:
    rows = []
    for photo in photos:
        key = f"cases/{photo.sha256[:2]}/{photo.sha256}.{photo.extension}"
        path = upload_path(key)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(photo.data)
        row = CasePhoto(case_id=case.id, stage=stage, storage_key=key, content_type=photo.content_type,
                        width=photo.width, height=photo.height, size=len(photo.data), sha256=photo.sha256,
                        taken_at=photo.taken_at, latitude=photo.latitude, longitude=photo.longitude,
                        uploaded_by_id=getattr(uploader, "id", None), uploaded_at=utcnow())
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def store_photos(case, files, stage: str, uploader) -> list[CasePhoto]:
    """Strip and store a step's photos (uploads from a form); skips empty file inputs."""
    return store_stripped(case, strip_photos(files), stage, uploader)


def photo_path(photo: CasePhoto) -> Path:
    return upload_path(photo.storage_key)
