"""The base of every portal form: rules that hold for every field, checked once here rather than per field."""
import re
from functools import lru_cache

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms.i18n import messages_path

# C0 control characters and DEL, except tab, line feed and carriage return (browsers send a textarea's
# line breaks as CR LF). PostgreSQL refuses NUL in text, and none of these belongs in what a person types.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


def upload_size(file_storage: FileStorage) -> int:
    """The size of an uploaded file without reading it into memory (werkzeug spools big files to disk)."""
    stream = file_storage.stream
    position = stream.tell()
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(position)
    return size


def too_large_message(limit: int) -> str:
    return _("The file is too large (at most %(mb)s MB).", mb=round(limit / 1024 / 1024, 1))


@lru_cache(maxsize=8)
def _wtforms_catalogue(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class BaseForm(FlaskForm):
    """FlaskForm plus two checks on every field: no control characters in what was typed, and no uploaded
    file over MAX_UPLOAD_BYTES. The request body may be somewhat larger than one file's limit (see
    MAX_CONTENT_LENGTH in config.py), so an over-large file reaches the form and is named beside its field."""

    # the setting that caps one uploaded file; a form taking another kind of file names its own (a case's
    # photos: CASE_PHOTO_MAX_BYTES, phones take large pictures that are downsized before storing)
    upload_limit_setting = "MAX_UPLOAD_BYTES"

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            # WTForms' own messages in the page's language, with the catalogue read from disk once per
            # process and language: flask-wtf reads it again on every request that builds a form
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _wtforms_catalogue(str(get_locale()))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        limit = current_app.config[self.upload_limit_setting]
        for field in self:
            message = None
            for value in field.raw_data or ():
                if isinstance(value, str) and has_control_characters(value):
                    message = _("Remove the control characters (such as NUL) from this field; only text, "
                                "line breaks and tabs are accepted.")
                    break
                if isinstance(value, FileStorage) and value.filename and upload_size(value) > limit:
                    message = too_large_message(limit)
                    break
            if message:
                field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
                valid = False
        return valid
