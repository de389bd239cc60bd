"""The organisation's public performance record: contracts won, value, paid, delivery rate, verified share and
final ratings over time (with the chart) — the same numbers that score its past performance."""
import json
import re

import pytest
from sqlalchemy import select

from portal.contracts import evaluation, profile
from portal.contracts.models import CONFIRMED, DENIED, RATED_AREAS, Sample, SampleItem, ServiceRecord
from portal.extensions import db
from portal.orgs.models import PENDING
from portal.procurement.hooks import past_performance_rating
from tests.contracts.payments_world import accepted, verified_report, world_fixture  # noqa: F401
from tests.factories.contracts import make_contract
from tests.factories.orgs import make_organisation


@pytest.fixture(autouse=True)
def _english(client):
    client.get("/lang/en").close()


def _answers(world, report, confirmed: int, denied: int):
    sample = Sample(contract_id=world.contract.id, report_id=report.id, seed="seed", size=confirmed + denied,
                    drawn_by_id=world.official.id)
    db.session.add(sample)
    db.session.flush()
    for n in range(confirmed + denied):
        record = ServiceRecord(report_id=report.id, contract_line_id=world.contract.lines[0].id, label=f"对象{n}")
        db.session.add(record)
        db.session.flush()
        db.session.add(SampleItem(sample_id=sample.id, service_record_id=record.id, token_hash=f"p{report.id}-{n}",
                                  answer=CONFIRMED if n < confirmed else DENIED))
    db.session.flush()


def _final(world, value: int):
    evaluation.mark_delivered(world.contract, world.official)
    evaluation.submit_evaluation(world.contract, world.official, {
        area: {"rating": value, "narrative": "依据回访"} for area in RATED_AREAS})


def test_the_record_counts_value_delivery_and_residents_answers(world):
    milestone = world.contract.milestones[0]
    report = verified_report(world, milestone, {world.contract.lines[0].id: 500})
    _answers(world, report, confirmed=9, denied=1)
    record = profile.organisation_profile(world.organisation)
    assert (len(record.contracts), record.value_minor, record.paid_minor) == (1, 8_000_000, 0)
    assert (record.verified_units, record.contracted_units) == (500, 2000)
    assert record.delivery_rate == pytest.approx(0.25)
    assert record.verified_share == pytest.approx(0.9)
    assert (record.mean_rating, record.past_performance, record.chart) == (None, None, None)


def test_the_record_scores_what_the_past_performance_criterion_reads(world, clock):
    _final(world, 4)
    clock.move(days=evaluation.REBUTTAL_DAYS, minutes=1)
    evaluation.finalise_due_evaluations()
    record = profile.organisation_profile(world.organisation, chart_title="t", axis_title="a")
    assert record.mean_rating == pytest.approx(4.0)
    assert record.past_performance == pytest.approx(0.75) == past_performance_rating(world.organisation)
    assert record.chart["data"][0]["y"] == [4.0]


def test_the_profile_page_shows_the_figures_and_the_chart_data(world, client, clock):
    accepted(world, world.contract.milestones[0])
    _final(world, 5)
    clock.move(days=evaluation.REBUTTAL_DAYS, minutes=1)
    page = client.get(f"/contracts/organisations/{world.organisation.id}").get_data(as_text=True)
    assert world.organisation.name in page and world.contract.reference in page
    assert "5.00 / 5" in page  # the page took the due step itself: the rating is final
    assert "100.0%" in page  # the past-performance score
    block = re.search(r'<script type="application/json" id="ratings-chart-data">(.*?)</script>', page, re.S)
    assert block is not None and json.loads(block.group(1))["data"][0]["y"] == [5.0]


def test_an_organisation_without_contracts_has_an_empty_record(world, client):
    other = make_organisation(world.org_admin, world.tree["community"], status="verified")
    response = client.get(f"/contracts/organisations/{other.id}")
    assert response.status_code == 200
    assert "No final rating yet" in response.get_data(as_text=True)


def test_a_pending_organisations_record_is_not_public(world, client):
    pending = make_organisation(world.org_admin, world.tree["community"], status=PENDING)
    assert client.get(f"/contracts/organisations/{pending.id}").status_code == 404


def test_the_profile_runs_a_fixed_number_of_queries(world, client, count_queries, clock):
    _final(world, 3)
    clock.move(days=evaluation.REBUTTAL_DAYS, minutes=1)
    evaluation.finalise_due_evaluations()
    db.session.flush()
    url = f"/contracts/organisations/{world.organisation.id}"
    client.get(url)
    with count_queries() as one:
        client.get(url)
    for _ in range(3):
        make_contract(world.department, world.organisation, world.official, place=world.tree["community"])
    db.session.flush()
    with count_queries() as four:
        client.get(url)
    assert len(four) == len(one)
    assert db.session.scalar(select(db.func.count()).select_from(ServiceRecord)) == 0
