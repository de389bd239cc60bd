"""Resident needs, their backing (+1 once each) and links to the project, campaign or tender answering them."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db

OPEN, ACCEPTED, MERGED, DECLINED, ANSWERED = "open", "accepted", "merged", "declined", "answered"
NEED_STATUSES = {OPEN: _l("Open"), ACCEPTED: _l("Accepted"), MERGED: _l("Merged"), DECLINED: _l("Declined"),
                 ANSWERED: _l("Answered")}
LINK_TARGETS = {"project": _l("Service project"), "campaign": _l("Crowdfunding campaign"),
                "tender": _l("Call for services")}


class Need(db.Model):
    __tablename__ = "needs"
    __table_args__ = (CheckConstraint("affected_count >= 0", name="affected_not_negative"),
                      Index("ix_needs_place_status", "place_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    affected_group: Mapped[str] = mapped_column(String(120), default="")
    affected_count: Mapped[int] = mapped_column(default=0)
    category: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    posted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # a grid worker may post for a resident who does not use the portal
    on_behalf_of: Mapped[str | None] = mapped_column(String(80))
    created_at = mapped_column(UTCDateTime(), default=utcnow, index=True)
    triaged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    triaged_at = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id"))
    backing_count: Mapped[int] = mapped_column(default=0)  # cache of NeedBacking rows

    place = relationship("Place")
    posted_by = relationship("User", foreign_keys=[posted_by_id])
    triaged_by = relationship("User", foreign_keys=[triaged_by_id])
    merged_into = relationship("Need", remote_side=[id])
    links: Mapped[list["NeedLink"]] = relationship(back_populates="need", order_by="NeedLink.id")


class NeedBacking(db.Model):
    __tablename__ = "need_backings"

    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    created_at = mapped_column(UTCDateTime(), default=utcnow)


class NeedLink(db.Model):
    __tablename__ = "need_links"
    __table_args__ = (UniqueConstraint("need_id", "target_type", "target_id", name="uq_need_links_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int]
    note: Mapped[str] = mapped_column(String(300), default="")
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    linked_at = mapped_column(UTCDateTime(), default=utcnow)

    need: Mapped[Need] = relationship(back_populates="links")
