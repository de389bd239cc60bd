"""Contractor performance (issue 14, item 3): analytics/contractors.py over the portal's contracts, stored as
a snapshot (portal/insights/snapshots.py), with the past-performance score each organisation's next bid gets.

The past-performance score is the contracts domain's own: `rating_to_share` of portal/contracts/evaluation.py
(the function its `past_performance` hook answers the ranking with) applied to the mean of the organisation's
final evaluations, and on the organisation's page the hook itself (`past_performance_rating`, as the ranking
calls it), so the number here is the number that scores the bid. The list shows verified organisations only,
as the directory does; a category compares organisations on their contracts of that category, while the
past-performance score stays organisation-wide (as the ranking uses it).
"""
import math
from datetime import timedelta

import pandas as pd
from sqlalchemy import select

from analytics import contractors as metrics
from analytics import procurement as datasets
from analytics.charts import figure_data
from portal.contracts.evaluation import rating_to_share
from portal.contracts.models import Contract, ContractEvaluation
from portal.core.time import utcnow
from portal.extensions import db
from portal.insights.snapshots import read, snapshot
from portal.orgs.models import VERIFIED
from portal.procurement.hooks import past_performance_rating
from portal.procurement.scoring import NEUTRAL_PAST_PERFORMANCE, past_performance_score

SNAPSHOT = "contractors.performance"
SORTS = ("value_minor", "contracts", "on_time_share", "verified_share", "confirmation_rate", "mean_rating",
         "past_performance", "organisation")


def _plain(value):
    if value is None or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{name: _plain(value) for name, value in row.items()} for row in frame.to_dict("records")]


def _with_past_performance(rows: pd.DataFrame, means: dict) -> list[dict]:
    records = _records(rows)
    for record in records:
        record["past_performance"] = rating_to_share(means.get(record["organisation_id"]))
    return records


@snapshot(SNAPSHOT, max_age=timedelta(minutes=30), defaults=[{}])
def compute_performance(params: dict) -> dict:
    """Every organisation's measures overall and per category, and its yearly trend."""
    connection = db.session
    contracts = datasets.contract_frame(connection)
    contracts = contracts[contracts["organisation_status"] == VERIFIED] if not contracts.empty else contracts
    deliveries = datasets.delivery_frame(connection)
    milestones = datasets.milestone_frame(connection)
    answers = datasets.sample_answer_frame(connection)
    evaluations = datasets.final_evaluation_frame(connection)
    today = utcnow().date()
    # organisation-wide means of every final evaluation: what the past-performance criterion reads
    means = (evaluations.groupby("organisation_id")["overall"].mean().to_dict() if not evaluations.empty else {})
    overall = metrics.organisation_performance(contracts, deliveries, milestones, answers, evaluations, today)
    categories = sorted(set(contracts["category"])) if not contracts.empty else []
    by_category = {category: _with_past_performance(
        metrics.organisation_performance(contracts, deliveries, milestones, answers, evaluations, today,
                                         category=category), means) for category in categories}
    trend = metrics.yearly_trend(contracts, evaluations)
    return {"rows": _with_past_performance(overall, means), "by_category": by_category,
            "trend": _records(trend), "categories": categories}


def performance_table(category: str | None, sort: str, descending: bool) -> tuple[dict, object]:
    """(rows with a rank, computed_at) of every organisation, or of one category's, sorted."""
    payload, computed_at = read(SNAPSHOT)
    rows = payload["by_category"].get(category, []) if category else payload["rows"]
    present = [row for row in rows if row.get(sort) is not None]
    missing = [row for row in rows if row.get(sort) is None]
    present.sort(key=lambda row: (row[sort], -row["organisation_id"]) if sort != "organisation"
                 else (row["organisation"], -row["organisation_id"]), reverse=descending)
    ranked = [{**row, "rank": position} for position, row in enumerate(present + missing, start=1)]
    return {"rows": ranked, "categories": payload["categories"]}, computed_at


def organisation_record(organisation, *, chart_title: str, axis_title: str) -> tuple[dict, object]:
    """One organisation's measures and yearly trend from the snapshot, its categories, and why its
    past-performance score is what it is (the hook's own answer and the final evaluations behind it)."""
    payload, computed_at = read(SNAPSHOT)
    row = next((r for r in payload["rows"] if r["organisation_id"] == organisation.id), None)
    in_categories = [(category, next(r for r in rows if r["organisation_id"] == organisation.id), len(rows))
                     for category, rows in payload["by_category"].items()
                     if any(r["organisation_id"] == organisation.id for r in rows)]
    ranks = []
    for category, own, size in in_categories:
        ordered = sorted(payload["by_category"][category], key=lambda r: (-(r["value_minor"] or 0),
                                                                          r["organisation_id"]))
        ranks.append({"category": category, "row": own, "organisations": size,
                      "rank_by_value": 1 + next(i for i, r in enumerate(ordered)
                                                if r["organisation_id"] == organisation.id)})
    trend = pd.DataFrame([r for r in payload["trend"] if r["organisation_id"] == organisation.id],
                         columns=metrics.TREND_COLUMNS)
    chart = (figure_data(metrics.rating_trend_chart(trend, title=chart_title, axis_title=axis_title))
             if not trend.empty and (trend["evaluations"] > 0).any() else None)
    return {"row": row, "categories": ranks, "trend": _records(trend), "chart": chart,
            "why": past_performance_why(organisation)}, computed_at


def past_performance_why(organisation) -> dict:
    """The score the ranking would give now, from the same hook, and the final evaluations it averages."""
    rating = past_performance_rating(organisation)
    evaluations = list(db.session.execute(
        select(ContractEvaluation.overall, ContractEvaluation.final_at, ContractEvaluation.evaluator_role,
               ContractEvaluation.contract_id, Contract.reference)
        .join(Contract, Contract.id == ContractEvaluation.contract_id)
        .where(ContractEvaluation.organisation_id == organisation.id, ContractEvaluation.final_at.is_not(None))
        .order_by(ContractEvaluation.final_at, ContractEvaluation.id)).all())
    mean = (sum(row.overall for row in evaluations) / len(evaluations)) if evaluations else None
    points, neutral = past_performance_score(rating, 100)
    return {"rating": rating, "mean": mean, "points_of_100": points, "neutral": neutral,
            "neutral_share": NEUTRAL_PAST_PERFORMANCE,
            "evaluations": [{"overall": row.overall, "final_at": row.final_at, "role": row.evaluator_role,
                             "contract_id": row.contract_id, "reference": row.reference} for row in evaluations]}
