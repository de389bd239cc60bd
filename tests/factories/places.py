"""Place factories: build a small tree quickly."""
from portal.extensions import db
from portal.places.models import Place

_counter = {"n": 0}


def make_place(kind: str, name: str, parent: Place | None = None, code: str | None = None) -> Place:
    """Create a place and set its materialised path (the places service does the same)."""
    _counter["n"] += 1
    place = Place(kind=kind, name=name, code=code or f"T{_counter['n']:05d}", parent=parent)
    db.session.add(place)
    db.session.flush()
    place.path = (parent.path if parent else "/") + f"{place.id}/"
    db.session.flush()
    return place


def make_tree():
    """district > street > community > grid, returned as a dict by kind."""
    district = make_place("district", "西陵区")
    street = make_place("street", "夜明珠街道", district)
    community = make_place("community", "铁路坝社区", street)
    grid = make_place("grid", "铁路坝第1网格", community)
    return {"district": district, "street": street, "community": community, "grid": grid}
