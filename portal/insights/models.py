"""A stored result of a heavy aggregate (a dashboard's dataset), computed by the background worker or on first
read, shown with the time it was computed. One row per (name, params)."""
from sqlalchemy import JSON, Float, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db


class InsightSnapshot(db.Model):
    __tablename__ = "insight_snapshots"
    __table_args__ = (UniqueConstraint("name", "params", name="uq_insight_snapshots_name_params"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    params: Mapped[str] = mapped_column(String(255), default="")  # canonical JSON of the filters
    payload = mapped_column(JSON, nullable=False)
    computed_at = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)  # how long the computation took
