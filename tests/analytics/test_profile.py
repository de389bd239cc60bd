"""analytics.profile: suppression of small counts, sums per child place and the what-to-buy rules."""
import pandas as pd

from analytics import profile
from portal.extensions import db
from portal.insights.models import GridProfile
from tests.factories.places import make_place, make_tree


def test_counts_below_the_threshold_are_suppressed_and_zero_is_shown():
    assert [profile.suppress(n) for n in (0, 1, 4, 5, 12, None)] == [0, "<5", "<5", 5, 12, None]


def test_rows_add_up_to_the_child_of_the_place_they_lie_in():
    rows = pd.DataFrame({"path": ["/1/4/7/", "/1/4/8/", "/1/5/", "/1/"], "needs": [2, 3, 4, 1]})
    sums = profile.per_child(rows, "/1/", ["needs"]).set_index("child")
    assert sums.loc[4, "needs"] == 5 and sums.loc[5, "needs"] == 4
    assert len(sums) == 3 and sums["needs"].sum() == 10  # the row on the parent itself is its own group


CATALOGUE = pd.DataFrame([
    (1, 2025, "YL-01", "居家养老上门服务(旧)", "elderly_care", "hour", 4000, 9, "/1/"),
    (2, 2026, "YL-01", "居家养老上门服务", "elderly_care", "hour", 4500, 9, "/1/"),
    (3, 2026, "ER-01", "困境儿童个案管理", "children_youth", "person_month", 260000, 9, "/1/"),
    (4, 2026, "YL-09", "别区的养老服务", "elderly_care", "hour", 4000, 8, "/2/")],
    columns=["id", "year", "code", "name", "category", "unit", "unit_price_ceiling_minor", "department_id", "path"])
NO_NEEDS = pd.DataFrame(columns=["path", "category", "affected"])
NO_CONTRACTS = pd.DataFrame(columns=["id", "path", "category"])


def test_many_people_living_alone_without_an_elderly_care_contract_suggest_the_catalogues_items():
    units = [{"id": 7, "name": "第1网格", "path": "/1/4/7/", "living_alone": 15, "unable_to_self_care": 5}]
    (suggestion,) = profile.suggest(units, NO_NEEDS, NO_CONTRACTS, CATALOGUE)
    assert suggestion["category"] == "elderly_care" and suggestion["rule"] == "elderly" and suggestion["figure"] == 20
    assert [item["id"] for item in suggestion["items"]] == [2]  # the latest year, of a department above the grid


def test_an_active_contract_on_the_community_covers_its_grids():
    units = [{"id": 7, "name": "第1网格", "path": "/1/4/7/", "living_alone": 40, "unable_to_self_care": 10}]
    contracts = pd.DataFrame({"id": [1], "path": ["/1/4/"], "category": ["elderly_care"]})
    assert profile.suggest(units, NO_NEEDS, contracts, CATALOGUE) == []


def test_a_few_people_living_alone_suggest_nothing():
    units = [{"id": 7, "name": "第1网格", "path": "/1/4/7/", "living_alone": 10, "unable_to_self_care": 9}]
    assert profile.suggest(units, NO_NEEDS, NO_CONTRACTS, CATALOGUE) == []


def test_open_needs_affecting_many_people_suggest_their_categorys_items():
    units = [{"id": 4, "name": "铁路坝社区", "path": "/1/4/", "living_alone": 0, "unable_to_self_care": 0}]
    needs = pd.DataFrame({"path": ["/1/4/7/", "/1/4/8/", "/1/5/"], "category": ["children_youth"] * 3,
                          "affected": [6, 4, 50]})
    (suggestion,) = profile.suggest(units, needs, NO_CONTRACTS, CATALOGUE)
    assert (suggestion["category"], suggestion["rule"], suggestion["figure"]) == ("children_youth", "needs", 10)
    assert [item["code"] for item in suggestion["items"]] == ["ER-01"]


def test_the_grid_dataset_reads_each_grids_ledger():
    tree = make_tree()
    other = make_place("grid", "第2网格", tree["community"])
    db.session.add(GridProfile(place_id=tree["grid"].id, as_of=pd.Timestamp("2026-11-30").date(), age_0_17=10,
                               age_18_59=50, age_60_79=30, age_80_plus=10, living_alone=3, unable_to_self_care=2))
    db.session.flush()
    grids = profile.grid_rows(db.session, tree["community"].path).set_index("id")
    assert grids.loc[tree["grid"].id, "living_alone"] == 3 and pd.isna(grids.loc[other.id, "as_of"])
    totals = profile.profile_totals(grids.reset_index())
    assert (totals["grids"], totals["grids_with_ledger"], totals["age_60_79"]) == (2, 1, 30)
