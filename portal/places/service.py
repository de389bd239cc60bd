"""The only code that changes places: create, edit, move (with the whole subtree) and CSV import."""
import re
from dataclasses import dataclass, field

import pandas as pd
from flask_babel import gettext as _
from sqlalchemy import case, func, literal, select, update

from analytics.datasets import place_rollup
from analytics.metrics import fill_from_children, rollup_to_ancestors
from portal.audit import service as audit
from portal.core import csv_import
from portal.core.csv_import import RowError, check_size, decode_csv, reject_if_any
from portal.core.errors import DomainError, ValidationFailed
from portal.extensions import db
from portal.places.models import COMMUNITY, DISTRICT, GRID, KIND_LABELS, KINDS, PARENT_KIND, STREET, Place

NAME_MAX = 100
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")
COUNT_MAX = 100_000_000  # far above any district, far below the 32-bit column limit
IMPORT_MAX_BYTES = 1024 * 1024
IMPORT_MAX_ROWS = 5000
CSV_REQUIRED = ("kind", "name", "code", "parent_code")
CSV_OPTIONAL = ("population", "households")
# Spreadsheets prepared in Chinese often name the kind in Chinese; both spellings are accepted.
KIND_ALIASES = {"区": DISTRICT, "街道": STREET, "社区": COMMUNITY, "网格": GRID}


# --- queries other domains use --------------------------------------------------------------------

def subtree_ids_query(place: Place):
    """SELECT of the ids of `place` and everything under it (one indexed prefix match on `path`)."""
    return select(Place.id).where(Place.path.startswith(place.path, autoescape=True))


def subtree_condition(column, place: Place):
    """A WHERE condition: `column` (a place id column, e.g. Organisation.home_place_id) lies within `place`."""
    return column.in_(subtree_ids_query(place))


def get_place(place_id: int) -> Place | None:
    return db.session.get(Place, place_id)


def ancestors_of(place: Place) -> list[Place]:
    """The places above `place`, root first, in one query."""
    ids = place.ancestor_ids[:-1]
    if not ids:
        return []
    found = {p.id: p for p in db.session.scalars(select(Place).where(Place.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


_KIND_ORDER = case({kind: index for index, kind in enumerate(KINDS)}, value=Place.kind)


def possible_parents(kind: str | None = None) -> list[Place]:
    """Places that can hold children (everything but grids), or only the right parents for `kind`."""
    statement = select(Place).order_by(_KIND_ORDER, Place.code)
    if kind is not None:
        parent_kind = PARENT_KIND[kind]
        if parent_kind is None:
            return []
        statement = statement.where(Place.kind == parent_kind)
    else:
        statement = statement.where(Place.kind != GRID)
    return list(db.session.scalars(statement))


def search_places(query: str | None = None, kind: str | None = None):
    """A SELECT of places matching a name or code fragment, ordered by code (division codes follow the tree)."""
    statement = select(Place).order_by(Place.code)
    if kind in KINDS:
        statement = statement.where(Place.kind == kind)
    if query and query.strip():
        text = query.strip()
        statement = statement.where(Place.name.icontains(text, autoescape=True)
                                    | Place.code.icontains(text, autoescape=True))
    return statement


@dataclass
class PlaceNode:
    """One place with its figures (for itself and everything under it), for tree and detail pages."""

    id: int
    kind: str
    name: str
    code: str
    parent_id: int | None
    population: int | None
    households: int | None
    child_places: int
    streets: int
    communities: int
    grids: int
    organisations: int
    verified_organisations: int
    role_holders: int
    children: list["PlaceNode"] = field(default_factory=list)


def place_figures(within: Place | None = None) -> pd.DataFrame:
    """The rolled-up counts of every place (or of `within` and its subtree), read in one query.

    Population and households are filled upwards where a level has no figure of its own.
    """
    frame = place_rollup(db.session, within_path=within.path if within is not None else None)
    if frame.empty:
        return frame
    for kind, column in ((STREET, "streets"), (COMMUNITY, "communities")):
        frame[column] = rollup_to_ancestors(frame.assign(_is=(frame["kind"] == kind).astype("int64")), "_is")
        frame.loc[frame["kind"] == kind, column] = 0  # "streets in a street" would read oddly
    for column in ("population", "households"):
        frame[column] = fill_from_children(frame, column)
    return frame


def _optional_int(value) -> int | None:
    return None if pd.isna(value) else int(value)


def build_tree(frame: pd.DataFrame) -> list[PlaceNode]:
    """Nested nodes from a place_figures() frame; roots are the rows whose parent is not in the frame."""
    nodes: dict[int, PlaceNode] = {}
    ordered = frame.sort_values(["depth", "code"]) if not frame.empty else frame
    for row in ordered.to_dict("records"):
        node = PlaceNode(
            id=int(row["id"]), kind=row["kind"], name=row["name"], code=row["code"],
            parent_id=_optional_int(row["parent_id"]), population=_optional_int(row["population"]),
            households=_optional_int(row["households"]),
            **{name: int(row[name]) for name in ("child_places", "streets", "communities", "grids", "organisations",
                                                 "verified_organisations", "role_holders")})
        nodes[node.id] = node
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id is not None else None
        (parent.children if parent is not None else roots).append(node)
    return roots


# --- validation shared by the forms and the CSV import -------------------------------------------

def _clean_kind(kind: str | None) -> str:
    kind = (kind or "").strip()
    kind = KIND_ALIASES.get(kind, kind.lower())
    if kind not in KINDS:
        raise ValidationFailed(_("Choose a kind: district, street, community or grid."), field="kind")
    return kind


def _clean_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Enter a name."), field="name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(_("The name is too long (at most %(max)d characters).", max=NAME_MAX), field="name")
    return name


def _clean_code(code: str | None) -> str:
    code = (code or "").strip()
    if not code:
        raise ValidationFailed(_("Enter a code."), field="code")
    if not CODE_RE.match(code):
        raise ValidationFailed(_("A code has 1 to 32 letters, digits, dots, dashes or underscores."), field="code")
    return code


def _clean_count(value, field_name: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isascii() or not value.isdigit():
            raise ValidationFailed(_("Enter a whole number of 0 or more."), field=field_name)
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationFailed(_("Enter a whole number of 0 or more."), field=field_name)
    if value > COUNT_MAX:
        raise ValidationFailed(_("The number is too large."), field=field_name)
    return value


def _code_taken(code: str, exclude: Place | None = None) -> bool:
    statement = select(Place.id).where(Place.code == code)
    if exclude is not None and exclude.id is not None:
        statement = statement.where(Place.id != exclude.id)
    return db.session.scalar(statement.limit(1)) is not None


def _parent_kind_message(kind: str) -> str:
    parent_kind = PARENT_KIND[kind]
    if parent_kind is None:
        return _("A district has no parent place.")
    return _("A %(kind)s must be placed under a %(parent)s.", kind=KIND_LABELS[kind].lower(),
             parent=KIND_LABELS[parent_kind].lower())


def _check_parent_kind(kind: str, parent_kind: str | None) -> None:
    if PARENT_KIND[kind] != parent_kind:
        raise ValidationFailed(_parent_kind_message(kind), field="parent")


def _snapshot(place: Place) -> dict:
    return {"kind": place.kind, "name": place.name, "code": place.code, "parent_id": place.parent_id,
            "path": place.path, "population": place.population, "households": place.households}


# --- state changes --------------------------------------------------------------------------------

def create_place(kind: str, name: str, code: str, parent: Place | None, population=None, households=None, *,
                 actor=None) -> Place:
    kind = _clean_kind(kind)
    name = _clean_name(name)
    code = _clean_code(code)
    _check_parent_kind(kind, parent.kind if parent is not None else None)
    population = _clean_count(population, "population")
    households = _clean_count(households, "households")
    if _code_taken(code):
        raise ValidationFailed(_("Another place already uses the code %(code)s.", code=code), field="code")
    place = Place(kind=kind, name=name, code=code, parent=parent, population=population, households=households)
    db.session.add(place)
    db.session.flush()
    place.path = (parent.path if parent is not None else "/") + f"{place.id}/"
    db.session.flush()
    audit.record("place.created", "place", place.id, actor=actor, after=_snapshot(place))
    return place


def update_place(place: Place, name: str, code: str, population=None, households=None, *, actor=None) -> Place:
    name = _clean_name(name)
    code = _clean_code(code)
    population = _clean_count(population, "population")
    households = _clean_count(households, "households")
    if _code_taken(code, exclude=place):
        raise ValidationFailed(_("Another place already uses the code %(code)s.", code=code), field="code")
    before = _snapshot(place)
    place.name, place.code, place.population, place.households = name, code, population, households
    after = _snapshot(place)
    if after != before:
        db.session.flush()
        audit.record("place.updated", "place", place.id, actor=actor, before=before, after=after)
    return place


def move_place(place: Place, new_parent: Place | None, *, actor=None) -> Place:
    """Hang `place` (and everything under it) on `new_parent`; every path in the subtree is rewritten in SQL."""
    if new_parent is not None and (new_parent.id == place.id or new_parent.is_within(place)):
        raise DomainError(_("A place cannot be moved under itself or under a place inside it."), field="parent")
    _check_parent_kind(place.kind, new_parent.kind if new_parent is not None else None)
    if (new_parent.id if new_parent is not None else None) == place.parent_id:
        return place
    before = _snapshot(place)
    old_prefix = place.path
    new_prefix = (new_parent.path if new_parent is not None else "/") + f"{place.id}/"
    db.session.flush()
    # One UPDATE for the whole subtree: new prefix + the rest of each path after the old prefix.
    db.session.execute(
        update(Place)
        .where(Place.path.startswith(old_prefix, autoescape=True))
        .values(path=literal(new_prefix).concat(func.substr(Place.path, len(old_prefix) + 1)))
        .execution_options(synchronize_session="fetch"))
    place.parent = new_parent
    db.session.flush()
    db.session.refresh(place, ["path"])
    audit.record("place.moved", "place", place.id, actor=actor, before=before, after=_snapshot(place))
    return place


# --- CSV import -----------------------------------------------------------------------------------

@dataclass
class ImportResult:
    places: list[Place] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.places)


@dataclass
class _Row:
    line: int
    kind: str
    name: str
    code: str
    parent_code: str
    population: int | None
    households: int | None


def _clean_row(line: int, values: dict, errors: list[RowError]) -> _Row:
    """Every row is kept, even with bad cells (None), so the tree check still sees its code and parent."""
    parsed = {}
    for column, clean in (("kind", _clean_kind), ("name", _clean_name), ("code", _clean_code),
                          ("population", lambda v: _clean_count(v, "population")),
                          ("households", lambda v: _clean_count(v, "households"))):
        try:
            parsed[column] = clean(values.get(column))
        except ValidationFailed as error:
            errors.append(RowError(line, column, error.message))
            parsed[column] = None
    return _Row(line=line, kind=parsed["kind"], name=parsed["name"], code=parsed["code"],
                parent_code=(values.get("parent_code") or "").strip(),
                population=parsed["population"], households=parsed["households"])


def _parse_rows(text: str) -> tuple[list[_Row], list[RowError]]:
    """Check every row on its own (format, lengths, numbers) and collect every problem."""
    return csv_import.parse_rows(
        text, required=CSV_REQUIRED, known=CSV_REQUIRED + CSV_OPTIONAL, clean_row=_clean_row,
        max_rows=IMPORT_MAX_ROWS, too_many=_("A file may hold at most %(max)d places.", max=IMPORT_MAX_ROWS),
        no_rows=_("The file has a header but no places."))


def _check_tree(rows: list[_Row]) -> list[RowError]:
    """Codes unique in the file and the database; each parent exists (earlier in the file or already
    saved) and is of the right kind. Two queries, whatever the size of the file."""
    errors = []
    codes = {row.code for row in rows if row.code}
    parent_codes = {row.parent_code for row in rows if row.parent_code}
    taken = set(db.session.scalars(select(Place.code).where(Place.code.in_(codes)))) if codes else set()
    saved_kinds = dict(db.session.execute(select(Place.code, Place.kind).where(Place.code.in_(parent_codes))).all()
                       ) if parent_codes else {}
    seen: dict[str, tuple[int, str | None]] = {}
    for row in rows:
        if row.code:
            if row.code in seen:
                errors.append(RowError(row.line, "code", _("The code %(code)s is already used on line %(line)d.",
                                                            code=row.code, line=seen[row.code][0])))
            elif row.code in taken:
                errors.append(RowError(row.line, "code", _("Another place already uses the code %(code)s.",
                                                            code=row.code)))
        if row.kind is None:
            if row.code and row.code not in seen:
                seen[row.code] = (row.line, None)
            continue
        if PARENT_KIND[row.kind] is None:
            if row.parent_code:
                errors.append(RowError(row.line, "parent_code", _parent_kind_message(row.kind)))
        elif not row.parent_code:
            errors.append(RowError(row.line, "parent_code", _parent_kind_message(row.kind)))
        else:
            if row.parent_code in seen:
                parent_kind = seen[row.parent_code][1]
            elif row.parent_code in saved_kinds:
                parent_kind = saved_kinds[row.parent_code]
            else:
                parent_kind = None
                errors.append(RowError(row.line, "parent_code", _(
                    "No place with the code %(code)s exists or appears on an earlier line.", code=row.parent_code)))
            # a parent whose own kind was unreadable was already reported on its own line
            if parent_kind is not None and parent_kind != PARENT_KIND[row.kind]:
                errors.append(RowError(row.line, "parent_code", _parent_kind_message(row.kind)))
        if row.code and row.code not in seen:
            seen[row.code] = (row.line, row.kind)
    return errors


def import_places_csv(data: bytes | str, *, actor=None) -> ImportResult:
    """Create the places listed in a CSV, all or nothing.

    Header: kind,name,code,parent_code[,population,households]; line 1 is the header. A parent is
    named by its code and must already exist or appear on an earlier line. Raises ImportRejected
    with every bad line when anything is wrong; then nothing is saved.
    """
    check_size(data, IMPORT_MAX_BYTES)
    rows, errors = _parse_rows(decode_csv(data))
    errors += _check_tree(rows)
    reject_if_any(errors)

    by_code = {p.code: p for p in db.session.scalars(
        select(Place).where(Place.code.in_({row.parent_code for row in rows if row.parent_code})))}
    created = []
    for row in rows:
        place = Place(kind=row.kind, name=row.name, code=row.code, parent=by_code.get(row.parent_code),
                      population=row.population, households=row.households, path="")
        db.session.add(place)
        by_code[row.code] = place
        created.append(place)
    db.session.flush()  # ids for every new place; parents come before children, so paths follow in order
    for place in created:
        place.path = (place.parent.path if place.parent is not None else "/") + f"{place.id}/"
        audit.record("place.created", "place", place.id, actor=actor, after=_snapshot(place))
    db.session.flush()
    audit.record("places.imported", "place", None, actor=actor, after={"count": len(created),
                                                                       "codes": [p.code for p in created[:50]]})
    return ImportResult(places=created)


def import_template_csv() -> str:
    """A small example file admins download and fill in (UTF-8 with BOM, so Excel shows Chinese right)."""
    lines = [",".join(CSV_REQUIRED + CSV_OPTIONAL),
             "district,西陵区,420502,,,",
             "street,夜明珠街道,420502001,420502,52000,17300",
             "community,铁路坝社区,420502001001,420502001,3200,1050",
             "grid,铁路坝第1网格,420502001001-01,420502001001,420,150"]
    return "\ufeff" + "\r\n".join(lines) + "\r\n"
