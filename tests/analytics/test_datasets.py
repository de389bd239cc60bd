"""analytics.datasets: counts rolled up the place tree, computed in SQL."""
import subprocess
import sys

from analytics.datasets import PLACE_ROLLUP_COLUMNS, place_rollup
from portal.accounts import roles
from portal.extensions import db
from portal.orgs.models import PENDING, REJECTED, VERIFIED
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import make_organisation
from tests.factories.places import make_place


def _city():
    district = make_place("district", "西陵区", code="D")
    street_a = make_place("street", "夜明珠街道", district, code="SA")
    street_b = make_place("street", "西陵街道", district, code="SB")
    community = make_place("community", "铁路坝社区", street_a, code="CA")
    grid_1 = make_place("grid", "第1网格", community, code="G1")
    grid_2 = make_place("grid", "第2网格", community, code="G2")
    return {"D": district, "SA": street_a, "SB": street_b, "CA": community, "G1": grid_1, "G2": grid_2}


def _by_code(frame):
    return frame.set_index("code")


def test_counts_roll_up_from_each_place_to_its_ancestors(count_queries):
    city = _city()
    creator = UserFactory()
    make_organisation(creator, city["G1"], status=VERIFIED)
    make_organisation(creator, city["G1"], status=PENDING)
    make_organisation(creator, city["CA"], status=VERIFIED)
    make_organisation(creator, city["SB"], status=REJECTED)
    with count_queries() as statements:
        frame = place_rollup(db.session)
    assert len(statements) == 1
    assert list(frame.columns) == list(PLACE_ROLLUP_COLUMNS)
    rows = _by_code(frame)
    assert rows.loc["D", ["organisations", "verified_organisations", "grids", "child_places"]].tolist() == [4, 2, 2, 2]
    assert rows.loc["SA", ["organisations", "verified_organisations", "grids"]].tolist() == [3, 2, 2]
    assert rows.loc["SB", ["organisations", "verified_organisations", "grids"]].tolist() == [1, 0, 0]
    assert rows.loc["CA", ["organisations", "verified_organisations", "child_places"]].tolist() == [3, 2, 2]
    assert rows.loc["G1", ["organisations", "verified_organisations", "grids", "child_places"]].tolist() == [2, 1, 1, 0]
    assert rows.loc["G2", ["organisations", "grids"]].tolist() == [0, 1]
    assert rows.loc["SA", "parent_id"] == city["D"].id and rows.loc["D", "depth"] == 0 and rows.loc["G1", "depth"] == 3


def test_role_holders_are_distinct_people_in_the_subtree():
    city = _city()
    grid_worker = UserFactory()
    grant(grid_worker, roles.GRID_WORKER, city["G1"])
    grant(grid_worker, roles.GRID_WORKER, city["G2"])  # one person on two grids counts once above them
    community_worker = UserFactory()
    grant(community_worker, roles.COMMUNITY_WORKER, city["CA"])
    grant(UserFactory(), roles.PLATFORM_ADMIN)  # platform roles belong to no place
    rows = _by_code(place_rollup(db.session))
    assert rows.loc["G1", "role_holders"] == 1
    assert rows.loc["CA", "role_holders"] == 2
    assert rows.loc["D", "role_holders"] == 2
    assert rows.loc["SB", "role_holders"] == 0


def test_population_is_as_entered():
    city = _city()
    city["G1"].population, city["G1"].households = 420, 150
    db.session.flush()
    rows = _by_code(place_rollup(db.session))
    assert rows.loc["G1", "population"] == 420
    assert rows.loc["G2", "population"] is None or str(rows.loc["G2", "population"]) == "<NA>"


def test_within_path_keeps_one_subtree():
    city = _city()
    frame = place_rollup(db.session, within_path=city["SA"].path)
    assert sorted(frame["code"]) == ["CA", "G1", "G2", "SA"]
    assert _by_code(frame).loc["SA", "grids"] == 2


def test_an_empty_database_gives_an_empty_frame_with_the_columns():
    frame = place_rollup(db.session)
    assert frame.empty and list(frame.columns) == list(PLACE_ROLLUP_COLUMNS)


def test_analytics_does_not_import_flask_or_the_portal():
    code = ("import sys, analytics.datasets, analytics.metrics, analytics.charts; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'portal', 'werkzeug', 'flask_babel')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
