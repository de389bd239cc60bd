"""An organisation's public performance record: the contracts it won, their value and what was paid, the
delivery rate (verified units / contracted units), the verified share (residents' confirmations / answers),
and its final ratings over time — the same final evaluations that answer procurement's past-performance
criterion (portal/contracts/evaluation.py). A fixed number of queries however many contracts it has."""
from dataclasses import dataclass, field

import plotly.graph_objects as go
from sqlalchemy import func, select

from analytics.charts import FONT, RED, figure_data
from portal.contracts.evaluation import final_mean, rating_to_share
from portal.contracts.models import (
    CONFIRMED,
    VERIFIED,
    Contract,
    ContractEvaluation,
    ContractLine,
    DeliveryReport,
    ReportLine,
    Sample,
    SampleItem,
)
from portal.extensions import db


@dataclass
class Profile:
    contracts: list[Contract] = field(default_factory=list)
    value_minor: int = 0
    paid_minor: int = 0
    contracted_units: int = 0
    verified_units: int = 0
    confirmations: int = 0
    answers: int = 0
    evaluations: list[tuple] = field(default_factory=list)  # (evaluation, contract reference)
    mean_rating: float | None = None
    past_performance: float | None = None
    chart: dict | None = None

    @property
    def delivery_rate(self) -> float | None:
        return None if not self.contracted_units else self.verified_units / self.contracted_units

    @property
    def verified_share(self) -> float | None:
        return None if not self.answers else self.confirmations / self.answers


def ratings_chart(rows: list[tuple], *, title: str, axis_title: str) -> dict | None:
    """Final ratings (1-5) over time, one marker per final evaluation, labelled with its contract."""
    if not rows:
        return None
    figure = go.Figure(go.Scatter(
        x=[evaluation.final_at.date().isoformat() for evaluation, _ref in rows],
        y=[round(evaluation.overall, 2) for evaluation, _ref in rows], mode="lines+markers",
        line={"color": RED, "width": 2}, marker={"size": 9},
        hovertext=[f"{ref}: {evaluation.overall:.1f}" for evaluation, ref in rows], hoverinfo="text"))
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        font={"family": FONT, "size": 13, "color": "#1f2328"}, height=320,
        margin={"l": 8, "r": 16, "t": 48, "b": 40}, paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"type": "date", "gridcolor": "#d8dde3"},
        yaxis={"title": {"text": axis_title}, "range": [0.5, 5.5], "dtick": 1, "gridcolor": "#d8dde3"})
    return figure_data(figure)


def organisation_profile(organisation, *, chart_title: str = "", axis_title: str = "") -> Profile:
    org_id = organisation.id
    contracts = list(db.session.scalars(select(Contract).where(Contract.organisation_id == org_id)
                                        .order_by(Contract.signed_at.desc(), Contract.id.desc())))
    contract_ids = select(Contract.id).where(Contract.organisation_id == org_id).scalar_subquery()
    contracted = db.session.scalar(select(func.coalesce(func.sum(ContractLine.quantity), 0))
                                   .where(ContractLine.contract_id.in_(contract_ids)))
    verified = db.session.scalar(select(func.coalesce(func.sum(ReportLine.units), 0))
                                 .join(DeliveryReport, DeliveryReport.id == ReportLine.report_id)
                                 .where(DeliveryReport.contract_id.in_(contract_ids),
                                        DeliveryReport.status == VERIFIED))
    confirmations, answers = db.session.execute(
        select(func.count(SampleItem.id).filter(SampleItem.answer == CONFIRMED),
               func.count(SampleItem.id).filter(SampleItem.answer.is_not(None)))
        .join(Sample, Sample.id == SampleItem.sample_id).where(Sample.contract_id.in_(contract_ids))).one()
    evaluations = list(db.session.execute(
        select(ContractEvaluation, Contract.reference).join(Contract, Contract.id == ContractEvaluation.contract_id)
        .where(ContractEvaluation.organisation_id == org_id, ContractEvaluation.final_at.is_not(None))
        .order_by(ContractEvaluation.final_at, ContractEvaluation.id)).all())
    mean = final_mean(org_id)
    return Profile(contracts=contracts, value_minor=sum(c.value_minor for c in contracts),
                   paid_minor=sum(c.paid_minor for c in contracts), contracted_units=int(contracted),
                   verified_units=int(verified), confirmations=int(confirmations), answers=int(answers),
                   evaluations=[tuple(row) for row in evaluations], mean_rating=mean,
                   past_performance=rating_to_share(mean),
                   chart=ratings_chart([tuple(row) for row in evaluations], title=chart_title, axis_title=axis_title))
