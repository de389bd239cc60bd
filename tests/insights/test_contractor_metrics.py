"""Contractor performance on small hand-made frames whose answer is known (analytics/contractors.py)."""
from datetime import date

import pandas as pd
import pytest

from analytics import contractors

T = pd.Timestamp
AS_OF = date(2026, 6, 30)


def contracts(*rows):
    columns = ["id", "organisation_id", "organisation", "category", "value_minor", "signed_at"]
    return pd.DataFrame(rows, columns=columns)


def milestones(*rows):
    return pd.DataFrame(rows, columns=["id", "contract_id", "number", "due_on", "first_report_at"])


def deliveries(*rows):
    return pd.DataFrame(rows, columns=["id", "contract_id", "milestone_id", "status", "submitted_at", "verified_at",
                                       "units", "value_minor"])


def answers(*rows):
    return pd.DataFrame(rows, columns=["contract_id", "answered", "confirmed"])


def evaluations(*rows):
    return pd.DataFrame(rows, columns=["id", "contract_id", "organisation_id", "overall", "evaluator_role",
                                       "final_at", "rebutted"])


WORLD = {
    "contracts": contracts((1, 7, "甲", "elderly_care", 1000, T("2025-03-01T00:00Z")),
                           (2, 7, "甲", "disability", 3000, T("2026-01-10T00:00Z")),
                           (3, 8, "乙", "elderly_care", 500, T("2026-02-01T00:00Z"))),
    "milestones": milestones(
        (11, 1, 1, date(2026, 3, 31), T("2026-03-31T15:00Z")),   # 23:00 in Shanghai on the due date: on time
        (12, 1, 2, date(2026, 5, 31), T("2026-06-01T00:30Z")),   # 08:30 on June 1 in Shanghai: late
        (13, 1, 3, date(2026, 6, 15), None),                     # due, never reported: late
        (14, 1, 4, date(2026, 9, 30), None),                     # not due yet: not counted
        (21, 2, 1, date(2026, 12, 31), T("2026-06-01T00:00Z")),  # reported before its due date: on time
        (31, 3, 1, date(2026, 4, 30), T("2026-04-01T00:00Z"))),
    "deliveries": deliveries((1, 1, 11, "verified", None, None, 100, 0), (2, 1, 12, "returned", None, None, 50, 0),
                             (3, 2, 21, "submitted", None, None, 30, 0), (4, 3, 31, "verified", None, None, 40, 0)),
    "answers": answers((1, 10, 9), (2, 0, 0), (3, 4, 1)),
    "evaluations": evaluations((1, 1, 7, 4.0, "official", T("2025-12-01T00:00Z"), False),
                               (2, 1, 7, 3.0, "third_party", T("2026-01-05T00:00Z"), False),
                               (3, 2, 7, 5.0, "official", T("2026-05-01T00:00Z"), True)),
}


def performance(category=None):
    w = WORLD
    rows = contractors.organisation_performance(w["contracts"], w["deliveries"], w["milestones"], w["answers"],
                                                w["evaluations"], AS_OF, category=category)
    return rows.set_index("organisation_id")


def test_contracts_and_value_per_organisation():
    rows = performance()
    assert (rows.loc[7, "contracts"], rows.loc[7, "value_minor"]) == (2, 4000)
    assert (rows.loc[8, "contracts"], rows.loc[8, "value_minor"]) == (1, 500)


def test_on_time_counts_due_or_reported_milestones_by_the_local_date():
    rows = performance()
    assert (rows.loc[7, "milestones_on_time"], rows.loc[7, "milestones_counted"]) == (2, 4)
    assert rows.loc[7, "on_time_share"] == 0.5


def test_verified_share_is_verified_units_over_all_reported_units():
    rows = performance()
    assert (rows.loc[7, "verified_units"], rows.loc[7, "reported_units"]) == (100, 180)
    assert rows.loc[7, "verified_share"] == pytest.approx(100 / 180)
    assert rows.loc[8, "verified_share"] == 1.0


def test_confirmation_rate_is_confirmed_over_answered():
    rows = performance()
    assert rows.loc[7, "confirmation_rate"] == 0.9 and rows.loc[8, "confirmation_rate"] == 0.25


def test_the_mean_final_rating_averages_final_evaluations():
    rows = performance()
    assert rows.loc[7, "mean_rating"] == 4.0 and rows.loc[7, "evaluations"] == 3
    assert pd.isna(rows.loc[8, "mean_rating"]) and rows.loc[8, "evaluations"] == 0


def test_a_category_counts_only_its_contracts():
    rows = performance(category="elderly_care")
    assert (rows.loc[7, "contracts"], rows.loc[7, "value_minor"]) == (1, 1000)
    assert rows.loc[7, "mean_rating"] == 3.5  # contract 2's rating is of another category
    assert rows.loc[7, "reported_units"] == 150


def test_an_organisation_without_answers_has_no_confirmation_rate():
    w = WORLD
    rows = contractors.organisation_performance(w["contracts"], w["deliveries"], w["milestones"], answers(),
                                                w["evaluations"], AS_OF).set_index("organisation_id")
    assert rows.loc[7, "confirmation_rate"] is None


def test_the_yearly_trend_counts_contracts_by_signing_and_ratings_by_the_year_they_became_final():
    trend = contractors.yearly_trend(WORLD["contracts"], WORLD["evaluations"])
    seven = trend[trend["organisation_id"] == 7].set_index("year")
    assert list(seven.index) == [2025, 2026]
    assert (seven.loc[2025, "contracts"], seven.loc[2025, "evaluations"], seven.loc[2025, "mean_rating"]) == (1, 1, 4.0)
    assert (seven.loc[2026, "contracts"], seven.loc[2026, "evaluations"], seven.loc[2026, "mean_rating"]) == (1, 2, 4.0)


def test_rank_within_puts_missing_values_last():
    rows = pd.DataFrame({"organisation_id": [1, 2, 3], "mean_rating": [3.0, None, 4.5]})
    ranked = contractors.rank_within(rows, "mean_rating")
    assert list(ranked["organisation_id"]) == [3, 1, 2] and list(ranked["rank"]) == [1, 2, 3]


def test_the_yearly_trend_without_any_final_evaluation_counts_contracts():
    trend = contractors.yearly_trend(WORLD["contracts"], evaluations())
    assert list(trend["contracts"]) == [1, 1, 1] and list(trend["evaluations"]) == [0, 0, 0]
