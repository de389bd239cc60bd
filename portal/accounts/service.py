"""The only code that changes accounts: registration, sign-in, password reset, profile, roles."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.accounts import personal_data, roles
from portal.accounts.models import PasswordResetToken, RoleAssignment, User, new_session_token
from portal.accounts.passwords import (
    burn_verification_time,
    check_password_strength,
    hash_password,
    verify_password,
)
from portal.accounts.personal_data import plain
from portal.accounts.scopes import forget_assignments, scope_model
from portal.audit import service as audit
from portal.core.errors import DomainError, ValidationFailed
from portal.core.mail import send_mail
from portal.core.time import utcnow
from portal.extensions import db

SUPPORTED_LOCALES = ("zh_CN", "en")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register_user(email: str, password: str, display_name: str, phone: str | None = None,
                  locale: str = "zh_CN", consent: bool = True) -> User:
    email = normalise_email(email)
    display_name = (display_name or "").strip()
    if not consent:
        raise ValidationFailed(_("Please agree to the privacy notice to create an account."), field="consent")
    if not display_name:
        raise ValidationFailed(_("Enter a display name."), field="display_name")
    if find_user_by_email(email):
        raise ValidationFailed(_("An account with this email already exists. Sign in or reset the password."),
                               field="email")
    check_password_strength(password, [email, display_name, phone or ""])
    user = User(email=email, password_hash=hash_password(password), display_name=display_name,
                phone=(phone or "").strip() or None, locale=locale if locale in SUPPORTED_LOCALES else "zh_CN",
                privacy_consent_at=utcnow())
    db.session.add(user)
    db.session.flush()
    audit.record("user.registered", "user", user.id, actor=user, after={"email": email})
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the user when the credentials are right; record a failed attempt otherwise."""
    user = find_user_by_email(email)
    if user is None:
        burn_verification_time(password)
        audit.record("login.failed", "user", None, after={"email": normalise_email(email)[:254],
                                                          "reason": "unknown_account"})
        return None
    if not verify_password(user.password_hash, password) or not user.is_active_account:
        audit.record("login.failed", "user", user.id, after={"reason": "bad_password"
                                                                if user.is_active_account else "inactive"})
        return None
    user.last_login_at = utcnow()
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(email: str) -> None:
    """Email a single-use reset link. Says nothing about whether the account exists."""
    user = find_user_by_email(email)
    if user is None:
        return
    token = secrets.token_urlsafe(32)
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    db.session.add(PasswordResetToken(user_id=user.id, token_hash=_hash_token(token),
                                      expires_at=utcnow() + timedelta(seconds=max_age)))
    link = url_for("accounts.reset_password", token=token, _external=True)
    with force_locale(user.locale):
        send_mail(user.email, _("Reset your password"),
                  _("Someone asked to reset the password of your account.\n\n"
                    "Open this link within %(minutes)d minutes to choose a new password:\n%(link)s\n\n"
                    "If it was not you, ignore this message; your password stays the same.",
                    minutes=max_age // 60, link=link))
    audit.record("password.reset_requested", "user", user.id, actor=user)


def _usable_reset_token(token: str) -> PasswordResetToken:
    row = db.session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == _hash_token(token)))
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        raise DomainError(_("This reset link is invalid, expired or already used. Ask for a new one."),
                          code="invalid_token")
    return row


def check_reset_token(token: str) -> User:
    return _usable_reset_token(token).user


def reset_password(token: str, new_password: str) -> User:
    row = _usable_reset_token(token)
    user = row.user
    check_password_strength(new_password, [user.email, user.display_name])
    row.used_at = utcnow()
    user.password_hash = hash_password(new_password)
    user.session_token = new_session_token()  # signs out every other session
    audit.record("password.reset", "user", user.id, actor=user)
    return user


def update_profile(user: User, display_name: str, phone: str | None, locale: str) -> User:
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationFailed(_("Enter a display name."), field="display_name")
    if locale not in SUPPORTED_LOCALES:
        raise ValidationFailed(_("Choose a language from the list."), field="locale")
    user.display_name = display_name
    user.phone = (phone or "").strip() or None
    user.locale = locale
    return user


def set_locale(user: User, locale: str) -> None:
    if locale in SUPPORTED_LOCALES:
        user.locale = locale


def change_password(user: User, current_password: str, new_password: str) -> User:
    if not verify_password(user.password_hash, current_password):
        raise ValidationFailed(_("The current password is not right."), field="current_password")
    check_password_strength(new_password, [user.email, user.display_name])
    user.password_hash = hash_password(new_password)
    user.session_token = new_session_token()
    audit.record("password.changed", "user", user.id, actor=user)
    return user


# --- roles ---------------------------------------------------------------------------------------

def scope_names(scopes) -> dict[tuple[str, int], str]:
    """{(scope_type, scope_id): the scope's name} for pairs shown on one page: one query per kind of scope,
    however many rows the page lists. A scope that no longer exists is left out."""
    wanted: dict[str, set[int]] = {}
    for scope_type, scope_id in scopes:
        if scope_id is not None:
            wanted.setdefault(scope_type, set()).add(int(scope_id))
    names = {}
    for scope_type, ids in wanted.items():
        model = scope_model(scope_type)
        if model is None:
            continue
        for scope_id, name in db.session.execute(select(model.id, model.name).where(model.id.in_(ids))):
            names[(scope_type, scope_id)] = name
    return names


def user_names(user_ids) -> dict[int, str]:
    """{user id: display name} for the ids shown on one page, in one query (erased users show as erased)."""
    ids = {int(user_id) for user_id in user_ids if user_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _scope_exists(scope_type: str, scope_id: int | None) -> bool:
    if scope_type == roles.SCOPE_PLATFORM:
        return scope_id is None
    if scope_id is None:
        return False
    model = scope_model(scope_type)
    return model is not None and db.session.get(model, scope_id) is not None


def _assignment_snapshot(assignment: RoleAssignment) -> dict:
    return {"user_id": assignment.user_id, "role": assignment.role, "scope_type": assignment.scope_type,
            "scope_id": assignment.scope_id}


def grant_role(user: User, role: str, scope_type: str, scope_id: int | None, granted_by: User | None) -> RoleAssignment:
    if role not in roles.ROLE_SCOPES:
        raise ValidationFailed(_("Unknown role."), field="role")
    if scope_type not in roles.ROLE_SCOPES[role]:
        raise ValidationFailed(_("This role cannot be granted on that kind of scope."), field="scope_type")
    if scope_type == roles.SCOPE_PLATFORM:
        scope_id = None
    if not _scope_exists(scope_type, scope_id):
        raise ValidationFailed(_("The scope does not exist."), field="scope_id")
    existing = db.session.scalar(select(RoleAssignment).where(
        RoleAssignment.user_id == user.id, RoleAssignment.role == role, RoleAssignment.scope_type == scope_type,
        RoleAssignment.scope_id.is_(None) if scope_id is None else RoleAssignment.scope_id == scope_id))
    if existing:
        raise DomainError(_("%(name)s already holds this role on this scope.", name=user.display_name))
    assignment = RoleAssignment(user_id=user.id, role=role, scope_type=scope_type, scope_id=scope_id,
                                granted_by_id=getattr(granted_by, "id", None))
    db.session.add(assignment)
    db.session.flush()
    audit.record("role.granted", "role_assignment", assignment.id, actor=granted_by,
                 after=_assignment_snapshot(assignment))
    forget_assignments()
    return assignment


def revoke_role(assignment: RoleAssignment, revoked_by: User | None) -> None:
    if assignment.role == roles.PLATFORM_ADMIN:
        admins = db.session.scalar(select(func.count()).select_from(RoleAssignment).where(
            RoleAssignment.role == roles.PLATFORM_ADMIN))
        if admins <= 1:
            raise DomainError(_("The last platform administrator cannot be removed."))
    audit.record("role.revoked", "role_assignment", assignment.id, actor=revoked_by,
                 before=_assignment_snapshot(assignment))
    db.session.delete(assignment)
    db.session.flush()
    forget_assignments()


def create_admin(email: str, password: str, display_name: str = "Administrator") -> User:
    """Bootstrap: make (or promote) a platform administrator. Used by `portal create-admin`."""
    user = find_user_by_email(email)
    if user is None:
        user = register_user(email, password, display_name)
    already = any(a.role == roles.PLATFORM_ADMIN for a in user.role_assignments)
    if not already:
        grant_role(user, roles.PLATFORM_ADMIN, roles.SCOPE_PLATFORM, None, granted_by=None)
    return user


# --- personal data (PIPL): download and erasure ------------------------------------------------------

def export_personal_data(user: User) -> dict:
    """What the portal holds about the user, as plain data for a download (PIPL): the account here, the rest
    from each domain's registered part (portal/accounts/personal_data.py)."""
    data = {
        "account": {"email": user.email, "display_name": user.display_name, "phone": user.phone,
                    "locale": user.locale, "created_at": plain(user.created_at),
                    "privacy_consent_at": plain(user.privacy_consent_at)},
        "roles": [{"role": a.role, "scope_type": a.scope_type, "scope_id": a.scope_id}
                  for a in user.role_assignments],
    }
    for part in personal_data.registered_parts():
        data.update(part.export(user))
    return data


def erase_account(user: User, password: str) -> None:
    """Erase the person, keep the accountability: rows that record money or actions stay, pseudonymised."""
    if not verify_password(user.password_hash, password):
        raise ValidationFailed(_("The current password is not right."), field="password")
    admins = [a for a in user.role_assignments if a.role == roles.PLATFORM_ADMIN]
    if admins:
        others = db.session.scalar(select(func.count()).select_from(RoleAssignment).where(
            RoleAssignment.role == roles.PLATFORM_ADMIN, RoleAssignment.user_id != user.id))
        if not others:
            raise DomainError(_("The last platform administrator cannot be removed."))
    for part in personal_data.registered_parts():
        if part.erase is not None:
            part.erase(user)  # gifts stay in the ledger, pseudonymised; refused while a monthly gift runs
    audit.record("user.erased", "user", user.id, actor=user)
    for assignment in list(user.role_assignments):
        db.session.delete(assignment)
    user.email = f"erased-{user.id}@invalid.example"
    user.display_name = _("Erased user")
    user.phone = None
    user.password_hash = "!"  # matches no password
    user.session_token = new_session_token()
    user.is_active_account = False
    db.session.flush()
