"""Password hashing (Argon2id) and strength checks (zxcvbn, which carries common-password lists offline)."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from zxcvbn import zxcvbn

from portal.core.errors import ValidationFailed

MIN_LENGTH = 10
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_hasher = PasswordHasher()  # library defaults follow RFC 9106's recommendations


def _current_hasher() -> PasswordHasher:
    return _fast_hasher if current_app.config.get("PASSWORD_HASH_FAST") else _hasher


def hash_password(password: str) -> str:
    return _current_hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against a constant hash when the account does not exist, so timing does not reveal accounts.
_DUMMY_HASH = _fast_hasher.hash("not-a-real-password")


def burn_verification_time(password: str) -> None:
    verify_password(_DUMMY_HASH, password)


def check_password_strength(password: str, user_inputs: list[str] = ()) -> None:
    """Raise ValidationFailed for short, common (breached-list) or easily guessed passwords."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(_("Use at least %(n)d characters.", n=MIN_LENGTH), field="password")
    if len(password) > 256:
        raise ValidationFailed(_("Use at most 256 characters."), field="password")
    result = zxcvbn(password[:100], user_inputs=[value for value in user_inputs if value])
    common = any(m.get("pattern") == "dictionary" and m.get("dictionary_name") == "passwords"
                 and len(m.get("token", "")) >= len(password) - 2 for m in result["sequence"])
    if common:
        raise ValidationFailed(
            _("This password is on the lists of commonly used or breached passwords. Choose another."),
            field="password")
    if result["score"] < 3:
        raise ValidationFailed(
            _("This password is too easy to guess. Add more words or characters."), field="password")
