"""Uploaded files: type checked by content (magic bytes), size limited, stored by content hash."""
import hashlib
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import gettext as _

from portal.core.errors import ValidationFailed
from portal.core.forms import too_large_message

DOCUMENT_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png"}
# What a file's name says it is. A name that says PDF over a picture's bytes (or the reverse) is refused: the
# person meant to upload the other file. JPG and PNG mixed up are only a naming slip: stored as the bytes are.
CLAIMED_KINDS = {"pdf": "document", "jpg": "picture", "jpeg": "picture", "png": "picture"}
KIND_OF_TYPE = {"application/pdf": "document", "image/jpeg": "picture", "image/png": "picture"}


@dataclass
class StoredFile:
    original_name: str
    content_type: str
    size: int
    sha256: str
    storage_key: str


@dataclass
class CheckedFile:
    """An upload that passed the checks, still in memory (nothing written yet)."""
    original_name: str
    content_type: str
    extension: str
    data: bytes
    sha256: str


def check_upload(file_storage, allowed: dict[str, str] = DOCUMENT_TYPES, field: str = "file") -> CheckedFile:
    """Validate an uploaded werkzeug FileStorage by its content and size; raise ValidationFailed on bad input.
    Writes nothing: `store_upload` stores it as is, the bids service stores it encrypted."""
    if file_storage is None or not file_storage.filename:
        raise ValidationFailed(_("Choose a file to upload."), field=field)
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    data = file_storage.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed(too_large_message(limit), field=field)
    if not data:
        raise ValidationFailed(_("The file is empty."), field=field)
    kind = filetype.guess(data)
    if kind is None or kind.mime not in allowed:
        names = ", ".join(sorted(ext.upper() for ext in set(allowed.values())))
        raise ValidationFailed(
            _("This file is not a real %(types)s file (checked by its content, not its name).", types=names),
            field=field)
    extension = Path(file_storage.filename).suffix.lower().lstrip(".")
    if CLAIMED_KINDS.get(extension, KIND_OF_TYPE[kind.mime]) != KIND_OF_TYPE[kind.mime]:
        raise ValidationFailed(
            _("The file is named .%(extension)s but its content is a %(actual)s file. Upload the real "
              "%(claimed)s file, or rename this one.", extension=extension, actual=allowed[kind.mime].upper(),
              claimed=extension.upper()), field=field)
    return CheckedFile(original_name=Path(file_storage.filename).name[:200], content_type=kind.mime,
                       extension=allowed[kind.mime], data=data, sha256=hashlib.sha256(data).hexdigest())


def store_upload(file_storage, allowed: dict[str, str] = DOCUMENT_TYPES, field: str = "file") -> StoredFile:
    """Validate and store an uploaded werkzeug FileStorage; raise ValidationFailed on bad input."""
    checked = check_upload(file_storage, allowed, field)
    digest = checked.sha256
    key = f"{digest[:2]}/{digest}.{checked.extension}"
    path = Path(current_app.config["UPLOAD_DIR"]) / key
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(checked.data)
    return StoredFile(original_name=checked.original_name, content_type=checked.content_type,
                      size=len(checked.data), sha256=digest, storage_key=key)


def upload_path(storage_key: str) -> Path:
    root = Path(current_app.config["UPLOAD_DIR"]).resolve()
    path = (root / storage_key).resolve()
    if root not in path.parents:
        raise ValueError("storage key escapes the upload folder")
    return path
