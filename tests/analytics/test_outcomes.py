"""analytics.outcomes: attainment per group and money per verified unit on hand-made frames, and the datasets."""
import pandas as pd
import pytest

from analytics import outcomes
from portal.extensions import db
from tests.factories.accounts import UserFactory
from tests.factories.orgs import make_organisation
from tests.factories.places import make_tree
from tests.factories.projects import make_indicator, make_project, make_report


def _rows(*rows):
    """(indicator_id, project_id, category, place_path, baseline, target, actual) -> an indicator_rows frame."""
    frame = pd.DataFrame(rows, columns=["indicator_id", "project_id", "category", "place_path", "baseline", "target",
                                        "actual"])
    frame["direction"] = "increase"
    frame["place_id"] = frame["place_path"].map(lambda path: int(path.strip("/").split("/")[-1]))
    return outcomes.with_progress(frame)


def test_attainment_caps_each_indicator_and_counts_unreported_as_zero():
    rows = _rows((1, 10, "elderly_care", "/1/", 0, 100, 150),   # 150% -> capped at 100
                 (2, 10, "elderly_care", "/1/", 0, 100, 50),    # 50%
                 (3, 11, "elderly_care", "/1/", 0, 100, None))  # not reported: 0%
    table = outcomes.attainment_by(rows, "category").set_index("category")
    assert table.loc["elderly_care", "attainment"] == pytest.approx(50.0)
    assert table.loc["elderly_care", ["indicators", "reported", "met", "projects"]].tolist() == [3, 2, 1, 2]


def test_an_indicator_on_two_places_of_one_group_counts_once():
    rows = _rows((1, 10, "mutual_aid", "/1/4/", 0, 10, 10), (1, 10, "mutual_aid", "/1/5/", 0, 10, 10),
                 (2, 11, "mutual_aid", "/1/5/", 0, 10, 0))
    overall = outcomes.overall_attainment(rows)
    assert overall["indicators"] == 2 and overall["attainment"] == pytest.approx(50.0)


def test_each_place_path_is_given_the_child_of_the_parent_it_lies_in():
    paths = pd.Series(["/1/4/17/90/", "/1/4/", "/1/5/", "/2/"])
    assert outcomes.child_under(paths, "/1/").tolist()[:3] == [4, 4, 5]
    assert pd.isna(outcomes.child_under(paths, "/1/4/")[1])  # on the parent itself
    assert outcomes.child_under(paths, None).tolist() == [1, 1, 1, 2]  # the root level: districts


def test_the_latest_year_of_an_indicator_is_kept():
    frame = pd.DataFrame({"indicator_id": [1, 1, 1], "place_id": [7, 7, 7], "year": pd.array([2025, pd.NA, 2026],
                                                                                             dtype="Int64"),
                          "actual": [5.0, None, 9.0]})
    latest = outcomes.latest_per_indicator(frame)
    assert latest["actual"].tolist() == [9.0]


def test_a_contracts_payments_are_shared_among_its_units_by_verified_value():
    units = pd.DataFrame([
        # contract 1 paid 9,000: 100 hours worth 6,000 and 30 visits worth 3,000 at its prices
        (1, "open_tender", "hour", 100, 6_000, 9_000), (1, "open_tender", "visit", 30, 3_000, 9_000),
        # contract 2 paid 2,000 for 100 hours
        (2, "open_tender", "hour", 100, 4_000, 2_000)],
        columns=["contract_id", "mode", "unit", "verified_units", "verified_value_minor", "paid_minor"])
    table = outcomes.cost_per_verified_unit(units).set_index("unit")
    assert table.loc["hour", "paid_minor"] == 6_000 + 2_000 and table.loc["hour", "verified_units"] == 200
    assert table.loc["hour", "per_unit_minor"] == pytest.approx(40.0)
    assert table.loc["visit", "per_unit_minor"] == pytest.approx(100.0)


def test_budget_per_unit_reads_each_projects_headline_indicator_of_the_same_unit():
    rows = pd.DataFrame([
        (1, 10, "人", 0, "increase", 100.0, 1_000_000), (2, 10, "次", 1, "increase", 999.0, 1_000_000),
        (3, 11, "人", 0, "increase", 300.0, 3_000_000), (4, 12, "人", 0, "decrease", 5.0, 9_000_000),
        (5, 13, "%", 0, "increase", 80.0, 9_000_000)],
        columns=["indicator_id", "project_id", "unit", "position", "direction", "actual", "budget_minor"])
    table = outcomes.budget_per_outcome_unit(rows)
    assert table["unit"].tolist() == ["人"]  # decreasing and percent headlines are no unit of service
    assert table.loc[0, "per_unit_minor"] == pytest.approx(4_000_000 / 400)


def test_the_dataset_gives_each_year_its_latest_approved_actual_and_the_projects_mode():
    tree = make_tree()
    user = UserFactory()
    organisation = make_organisation(user, tree["community"], status="verified")
    project = make_project(organisation, user, [tree["grid"]], category="elderly_care")
    indicator = make_indicator(project, target=60)
    make_report(indicator, user, actual=30, status="approved", period_end=pd.Timestamp("2025-06-30").date())
    make_report(indicator, user, actual=40, status="approved", period_end=pd.Timestamp("2025-12-31").date())
    make_report(indicator, user, actual=55, status="submitted", period_end=pd.Timestamp("2026-03-31").date())
    other = make_project(make_organisation(user, tree["community"], status="verified"), user, [tree["street"]],
                         category="mutual_aid")
    make_indicator(other)
    rows = outcomes.indicator_rows(db.session, within_path=tree["community"].path)
    assert rows[["indicator_id", "year", "actual", "mode"]].values.tolist() == [[indicator.id, 2025, 40.0, "none"]]
    assert outcomes.indicator_rows(db.session, year=2026, category="elderly_care")["actual"].isna().all()
    assert outcomes.indicator_rows(db.session, mode="open_tender").empty
