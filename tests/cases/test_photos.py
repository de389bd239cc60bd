"""A case photo is stored bare: its EXIF time and place are read into the row, then everything the camera wrote
is gone from the stored file. Files that are not pictures, too large or too many pixels are refused."""
import io
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.cases import photos, service
from portal.cases.models import Case, CasePhoto
from portal.core.errors import ValidationFailed
from portal.extensions import db
from tests.factories.cases import photo_bytes, upload
from tests.factories.orgs import tiny_pdf


def _report(loop, *files):
    return service.report_case(loop.resident, category_id=loop.category.id, title="井盖缺失", place_id=loop.grid.id,
                               photos=list(files))[0]


def test_the_stored_file_carries_no_metadata_but_the_row_keeps_time_and_place(loop):
    original = photo_bytes(latitude=30.697917, longitude=111.286111, taken="2026:12:01 09:30:00")
    assert b"SecretPhoneMaker" in original
    case = _report(loop, upload(original))
    (photo,) = case.photos
    stored = photos.photo_path(photo).read_bytes()
    assert b"SecretPhoneMaker" not in stored and "张三".encode() not in stored and b"Exif" not in stored
    image = Image.open(io.BytesIO(stored))
    assert len(image.getexif()) == 0 and not image.info.get("exif")
    assert (photo.width, photo.height, photo.size, photo.content_type) == (64, 48, len(stored), "image/jpeg")
    assert (round(photo.latitude, 5), round(photo.longitude, 5)) == (30.69792, 111.28611)
    # 09:30 on the camera in China (UTC+8) is 01:30 UTC
    assert photo.taken_at == datetime(2026, 12, 1, 1, 30, tzinfo=UTC)


def test_a_png_stays_a_png_without_its_text_chunks(loop):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "SecretAuthor")
    buffer = io.BytesIO()
    Image.new("RGBA", (20, 10), (0, 0, 255, 128)).save(buffer, "PNG", pnginfo=info)
    case = _report(loop, upload(buffer.getvalue(), "x.png"))
    stored = photos.photo_path(case.photos[0]).read_bytes()
    assert case.photos[0].content_type == "image/png" and b"SecretAuthor" not in stored
    assert Image.open(io.BytesIO(stored)).mode == "RGBA"


def test_a_large_photo_is_downsized(loop):
    case = _report(loop, upload(photo_bytes(size=(4000, 3000))))
    assert (case.photos[0].width, case.photos[0].height) == (2048, 1536)


@pytest.mark.parametrize("data,name", [(tiny_pdf(), "photo.jpg"), (b"not an image at all", "x.jpg"),
                                       (photo_bytes()[:200], "cut.jpg")])
def test_what_is_not_a_photo_is_refused_and_nothing_is_stored(loop, data, name):
    with pytest.raises(ValidationFailed) as refused:
        _report(loop, upload(data, name))
    assert refused.value.field == "photos"
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    assert db.session.scalar(select(func.count()).select_from(CasePhoto)) == 0


def test_a_photo_over_the_size_limit_is_refused(loop, app):
    limit = app.config["CASE_PHOTO_MAX_BYTES"]
    with pytest.raises(ValidationFailed) as refused:
        _report(loop, upload(b"\xff\xd8\xff" + b"0" * limit))
    assert "MB" in refused.value.message


def test_a_decompression_bomb_is_refused_before_decoding(loop):
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, "PNG")  # 64 million pixels in a few kilobytes
    with pytest.raises(ValidationFailed) as refused:
        _report(loop, upload(buffer.getvalue(), "bomb.png"))
    assert refused.value.field == "photos"


def test_more_than_four_photos_are_refused(loop):
    with pytest.raises(ValidationFailed):
        _report(loop, *[upload(photo_bytes()) for _ in range(photos.MAX_PHOTOS + 1)])
    assert db.session.scalar(select(func.count()).select_from(CasePhoto)) == 0
