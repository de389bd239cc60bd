"""A stored result of a heavy aggregate (a dashboard's dataset), computed by the background worker or on first
read, shown with the time it was computed. One row per (name, params)."""
from sqlalchemy import JSON, CheckConstraint, Date, Float, ForeignKey, String, UniqueConstraint
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


class GridProfile(db.Model):
    """A grid's resident figures as its grid worker keeps them in the grid ledger (网格台账): counts per age band,
    people living alone and people unable to care for themselves. Aggregates only, never a person; the profile
    page suppresses small counts. One row per grid, replaced by each import."""
    __tablename__ = "grid_profiles"
    __table_args__ = (CheckConstraint("age_0_17 >= 0 AND age_18_59 >= 0 AND age_60_79 >= 0 AND age_80_plus >= 0 "
                                      "AND living_alone >= 0 AND unable_to_self_care >= 0",
                                      name="counts_not_negative"),)

    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), primary_key=True)
    as_of = mapped_column(Date, nullable=False)  # the day the ledger was counted
    age_0_17: Mapped[int] = mapped_column(default=0)
    age_18_59: Mapped[int] = mapped_column(default=0)
    age_60_79: Mapped[int] = mapped_column(default=0)
    age_80_plus: Mapped[int] = mapped_column(default=0)
    living_alone: Mapped[int] = mapped_column(default=0)  # 独居
    unable_to_self_care: Mapped[int] = mapped_column(default=0)  # 失能、半失能
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
