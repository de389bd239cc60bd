"""Account models: users, password-reset tokens and role assignments on scopes."""
import secrets

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # Changing it signs the user out everywhere (password reset): Flask-Login's alternative id.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    privacy_consent_at = mapped_column(UTCDateTime())
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at = mapped_column(UTCDateTime())

    role_assignments: Mapped[list["RoleAssignment"]] = relationship(
        back_populates="user", foreign_keys="RoleAssignment.user_id", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class RoleAssignment(db.Model):
    """`user` holds `role` on a scope: the platform (scope_id NULL), a place, an organisation or a fund."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "scope_type", "scope_id", name="uq_role_assignment"),
        Index("ix_role_assignments_scope", "scope_type", "scope_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    scope_type: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[int | None]
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_assignments", foreign_keys=[user_id])
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])


class PasswordResetToken(db.Model):
    """A single-use, expiring reset token; only its SHA-256 is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    expires_at = mapped_column(UTCDateTime(), nullable=False)
    used_at = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
