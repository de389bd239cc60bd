"""Organisation models."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db

SOCIAL_GROUP, PRIVATE_NON_ENTERPRISE, FOUNDATION = "social_group", "private_non_enterprise", "foundation"
LEGAL_FORMS = {
    SOCIAL_GROUP: _l("Social group (社会团体)"),
    PRIVATE_NON_ENTERPRISE: _l("Private non-enterprise unit (民办非企业单位)"),
    FOUNDATION: _l("Foundation (基金会)"),
}

PENDING, VERIFIED, REJECTED, SUSPENDED = "pending", "verified", "rejected", "suspended"
STATUS_LABELS = {PENDING: _l("Pending verification"), VERIFIED: lazy_pgettext("organisation status", "Verified"),
                 REJECTED: _l("Rejected"), SUSPENDED: _l("Suspended")}

# Service areas match the service-project categories (issue 4), so the directory filters line up.
SERVICE_AREAS = {
    "elderly_care": _l("Elderly care"),
    "children_youth": _l("Children and youth"),
    "disability": _l("Disability"),
    "social_assistance": _l("Social assistance"),
    "mental_health": _l("Mental health"),
    "community_safety": _l("Community safety"),
    "environment": _l("Environment"),
    "culture_sports": _l("Culture and sports"),
    "employment": _l("Employment"),
    "mutual_aid": _l("Mutual aid"),
    "other": _l("Other"),
}


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    legal_form: Mapped[str] = mapped_column(String(32))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    home_place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(80))
    contact_phone: Mapped[str] = mapped_column(String(32))
    contact_email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    verified_at = mapped_column(UTCDateTime())

    home_place = relationship("Place")
    created_by = relationship("User")
    service_areas: Mapped[list["OrganisationServiceArea"]] = relationship(
        cascade="all, delete-orphan", order_by="OrganisationServiceArea.area")
    documents: Mapped[list["OrganisationDocument"]] = relationship(
        back_populates="organisation", order_by="OrganisationDocument.id")

    @property
    def area_codes(self) -> list[str]:
        return [row.area for row in self.service_areas]

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name} {self.status}>"


class OrganisationServiceArea(db.Model):
    __tablename__ = "organisation_service_areas"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    area: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class OrganisationDocument(db.Model):
    """A registration certificate, charter or similar; checked by content, stored by hash."""

    __tablename__ = "organisation_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(128))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="documents")


class OrganisationInvitation(db.Model):
    """An emailed invitation to join an organisation; single use, expiring, token stored hashed."""

    __tablename__ = "organisation_invitations"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_organisation_invitations_token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64))
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    expires_at = mapped_column(UTCDateTime(), nullable=False)
    accepted_at = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()
    invited_by = relationship("User", foreign_keys=[invited_by_id])
