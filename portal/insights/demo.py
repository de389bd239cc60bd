"""Demo grid ledgers: every demo grid's resident counts (age bands, living alone, unable to care for themselves),
drawn from its population with a generator seeded by its code, so each run finds the same figures. Idempotent:
a grid that has a ledger keeps it."""
import random
from datetime import date

from sqlalchemy import select

from portal.core.time import utcnow
from portal.demo_city import plan_city
from portal.extensions import db
from portal.insights.models import GridProfile
from portal.places.models import GRID, Place

LEDGER_DAY = date(2026, 11, 30)


def figures_for(code: str, population: int) -> dict:
    """Plausible counts for a Yichang grid of `population` people: about a quarter over 60 (Yichang's ageing
    is above the national mean), a tenth of those living alone, a few unable to care for themselves."""
    rng = random.Random(f"grid-ledger:{code}")
    young = round(population * rng.uniform(0.12, 0.18))
    old = round(population * rng.uniform(0.16, 0.24))
    oldest = round(population * rng.uniform(0.03, 0.07))
    adult = max(0, population - young - old - oldest)
    elderly = old + oldest
    return {"age_0_17": young, "age_18_59": adult, "age_60_79": old, "age_80_plus": oldest,
            "living_alone": round(elderly * rng.uniform(0.06, 0.16)),
            "unable_to_self_care": round(elderly * rng.uniform(0.02, 0.07))}


def seed_grid_profiles() -> list[str]:
    """Add the ledgers the demo grids lack; the summary line for `portal demo`."""
    codes = [planned.code for planned in plan_city() if planned.kind == GRID]
    grids = list(db.session.scalars(select(Place).where(Place.code.in_(codes), Place.kind == GRID)))
    have = set(db.session.scalars(select(GridProfile.place_id).where(GridProfile.place_id.in_([g.id for g in grids]))))
    day = min(LEDGER_DAY, utcnow().date())
    added = [GridProfile(place_id=grid.id, as_of=day, **figures_for(grid.code, grid.population or 400))
             for grid in grids if grid.id not in have]
    db.session.add_all(added)
    db.session.flush()
    return [f"grid ledgers: {len(have) + len(added)} grids"]  # the same line on every run (the demo test compares)
