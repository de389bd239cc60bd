"""The place tree. `path` ("/1/4/17/") makes subtree queries one indexed prefix match."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db

DISTRICT, STREET, COMMUNITY, GRID = "district", "street", "community", "grid"
KINDS = (DISTRICT, STREET, COMMUNITY, GRID)
PARENT_KIND = {DISTRICT: None, STREET: DISTRICT, COMMUNITY: STREET, GRID: COMMUNITY}
KIND_LABELS = {DISTRICT: _l("District"), STREET: _l("Street"), COMMUNITY: _l("Community"),
               GRID: _l("Grid")}


class Place(db.Model):
    __tablename__ = "places"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    population: Mapped[int | None]
    households: Mapped[int | None]
    created_at = mapped_column(UTCDateTime(), default=utcnow)

    parent: Mapped["Place | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Place"]] = relationship(back_populates="parent", order_by="Place.code")

    @property
    def depth(self) -> int:
        return KINDS.index(self.kind)

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to and including this place."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def is_within(self, other: "Place") -> bool:
        return self.path.startswith(other.path)

    def __repr__(self) -> str:
        return f"<Place {self.code} {self.name}>"
