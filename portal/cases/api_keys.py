"""Open311 API keys: issued and revoked by platform administrators; only a key's SHA-256 and first 8 characters
are kept, so the key itself is shown once, when it is issued."""
import hashlib
import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.models import User
from portal.audit import service as audit
from portal.cases import policy
from portal.cases.models import ApiKey
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db

PREFIX_LENGTH = 8
NAME_MAX = 80


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_key(actor, name: str) -> tuple[ApiKey, str]:
    """A new key for the outside system `name`: (the row, the key itself, never stored and shown only now)."""
    if not policy.can_manage_api_keys(actor):
        raise DomainError(_("Only platform administrators manage API keys."))
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationFailed(_("Name the system that will use the key (1 to %(n)s characters).", n=NAME_MAX),
                               field="name")
    raw = secrets.token_urlsafe(32)
    key = ApiKey(name=name, key_hash=_digest(raw), key_prefix=raw[:PREFIX_LENGTH], created_by_id=actor.id,
                 created_at=utcnow())
    db.session.add(key)
    db.session.flush()
    audit.record("api_key.issued", "api_key", key.id, actor=actor,
                 after={"name": key.name, "key_prefix": key.key_prefix})
    return key, raw


def revoke_key(key: ApiKey, actor) -> ApiKey:
    """From now on the key posts nothing (a 403 Open311 error); it stays listed, marked revoked."""
    if not policy.can_manage_api_keys(actor):
        raise DomainError(_("Only platform administrators manage API keys."))
    if key.revoked_at is not None:
        raise IllegalTransition(_("This key is already revoked."))
    key.revoked_at = utcnow()
    db.session.flush()
    audit.record("api_key.revoked", "api_key", key.id, actor=actor,
                 before={"revoked": False}, after={"revoked": True, "key_prefix": key.key_prefix})
    return key


def key_for(raw: str | None) -> ApiKey | None:
    """The live key whose hash matches `raw` (its use is stamped), or None for a missing, forged or revoked key.
    The lookup is by the hash's unique index, so a wrong guess costs the same whatever it shares with a key."""
    if not raw or len(raw) > 256:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(raw)))
    if key is None or key.revoked_at is not None:
        return None
    key.last_used_at = utcnow()
    return key


def list_keys() -> list[tuple[ApiKey, User]]:
    """Every key with the administrator who issued it, the newest first (one query)."""
    return list(db.session.execute(select(ApiKey, User).join(User, User.id == ApiKey.created_by_id)
                                   .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())))
