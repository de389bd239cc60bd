"""The grid ledgers' aggregate figures (portal/insights/models.py GridProfile): a CSV import, all or nothing with
line-numbered errors (portal/core/csv_import.py), one row per grid replacing its previous figures."""
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import FileField, TextAreaField
from wtforms.validators import Length, Optional

from portal.audit import service as audit
from portal.core import csv_import
from portal.core.csv_import import RowError, check_size, decode_csv, reject_if_any
from portal.core.forms import BaseForm
from portal.core.time import utcnow
from portal.extensions import db
from portal.insights.models import GridProfile
from portal.insights.policy import can_enter_grid_profile
from portal.places.models import GRID, Place

IMPORT_MAX_BYTES = 512 * 1024
IMPORT_MAX_ROWS = 2000
MAX_COUNT = 1_000_000
COUNT_COLUMNS = ("age_0_17", "age_18_59", "age_60_79", "age_80_plus", "living_alone", "unable_to_self_care")
CSV_COLUMNS = ("grid_code", "as_of", *COUNT_COLUMNS)


class ImportGridProfilesForm(BaseForm):
    file = FileField(_l("CSV file"), description=_l("UTF-8 (with or without BOM) or GB18030, at most 512 KB."))
    text = TextAreaField(_l("Or paste the CSV text"), validators=[Optional(), Length(max=IMPORT_MAX_BYTES)])


@dataclass
class ImportResult:
    profiles: list

    @property
    def count(self) -> int:
        return len(self.profiles)


def _count(value: str) -> int:
    value = (value or "").strip()
    if not value.isdigit() or int(value) > MAX_COUNT:
        raise ValueError(_("Enter a whole number of people from 0 to %(max)d.", max=MAX_COUNT))
    return int(value)


def _as_of(value: str) -> date:
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        raise ValueError(_("Enter the day the ledger was counted as YYYY-MM-DD.")) from None
    if day > utcnow().date() or day.year < 2000:
        raise ValueError(_("The day the ledger was counted cannot be in the future or before 2000."))
    return day


def _clean_row(line: int, raw: dict, errors: list[RowError]):
    values, bad = {"grid_code": (raw.get("grid_code") or "").strip()}, False
    if not values["grid_code"]:
        errors.append(RowError(line, "grid_code", _("Enter the grid's code.")))
        bad = True
    for column, clean in (("as_of", _as_of), *((name, _count) for name in COUNT_COLUMNS)):
        try:
            values[column] = clean(raw.get(column))
        except ValueError as error:
            errors.append(RowError(line, column, str(error)))
            bad = True
    if not bad:
        people = sum(values[name] for name in ("age_0_17", "age_18_59", "age_60_79", "age_80_plus"))
        for column in ("living_alone", "unable_to_self_care"):
            if values[column] > people:
                errors.append(RowError(line, column, _("More than the people counted in the age bands.")))
                bad = True
    return None if bad else (line, values)


def import_grid_profiles_csv(data: bytes | str, *, actor) -> ImportResult:
    """Set the figures of the grids listed in a CSV (header CSV_COLUMNS), all or nothing: every grid must exist,
    be a grid, appear once and be within the actor's places."""
    check_size(data, IMPORT_MAX_BYTES)
    rows, errors = csv_import.parse_rows(
        decode_csv(data), required=CSV_COLUMNS, known=CSV_COLUMNS, clean_row=_clean_row, max_rows=IMPORT_MAX_ROWS,
        too_many=_("A file may hold at most %(max)d grids.", max=IMPORT_MAX_ROWS),
        no_rows=_("The file has a header but no grids."))
    codes = {values["grid_code"] for _line, values in rows}
    grids = {place.code: place for place in db.session.scalars(select(Place).where(Place.code.in_(codes)))} \
        if codes else {}
    seen = {}
    for line, values in rows:
        grid = grids.get(values["grid_code"])
        if grid is None or grid.kind != GRID:
            errors.append(RowError(line, "grid_code", _("No grid has the code %(code)s.", code=values["grid_code"])))
        elif not can_enter_grid_profile(actor, grid):
            errors.append(RowError(line, "grid_code", _("The grid %(code)s is not one of your places.",
                                                        code=values["grid_code"])))
        elif values["grid_code"] in seen:
            errors.append(RowError(line, "grid_code", _("The grid %(code)s is already on line %(line)d.",
                                                        code=values["grid_code"], line=seen[values["grid_code"]])))
        seen.setdefault(values["grid_code"], line)
    reject_if_any(errors)
    existing = {profile.place_id: profile for profile in db.session.scalars(
        select(GridProfile).where(GridProfile.place_id.in_([grid.id for grid in grids.values()])))}
    saved = []
    for _line, values in rows:
        grid = grids[values["grid_code"]]
        profile = existing.get(grid.id) or GridProfile(place_id=grid.id)
        before = _snapshot(profile) if grid.id in existing else None
        profile.as_of = values["as_of"]
        for name in COUNT_COLUMNS:
            setattr(profile, name, values[name])
        profile.updated_by_id, profile.updated_at = getattr(actor, "id", None), utcnow()
        db.session.add(profile)
        saved.append((grid, profile, before))
    db.session.flush()
    audit.record("grid_profiles.imported", "place", None, actor=actor,
                 after={"count": len(saved), "grids": [grid.code for grid, _p, _b in saved[:50]],
                        "changed": {grid.code: {"before": before, "after": _snapshot(profile)}
                                    for grid, profile, before in saved[:50] if before is not None}})
    return ImportResult(profiles=[profile for _grid, profile, _before in saved])


def _snapshot(profile: GridProfile) -> dict:
    return {"as_of": str(profile.as_of), **{name: getattr(profile, name) for name in COUNT_COLUMNS}}


def import_template_csv() -> str:
    """An example file (UTF-8 with BOM, so Excel shows Chinese right)."""
    lines = [",".join(CSV_COLUMNS), "420502001001001,2026-11-30,62,198,91,24,17,6",
             "420502001001002,2026-11-30,55,210,77,19,12,4"]
    return "\ufeff" + "\r\n".join(lines) + "\r\n"
