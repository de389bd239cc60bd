"""seed_projects() and seed_needs(): enough, varied, plausible demo data, and a second run adds nothing.

How long the demo takes is measured by bench/bench_demo.py, not here."""
from collections import Counter

import pytest
from sqlalchemy import func, select

from portal.contracts.models import Contract
from portal.extensions import db
from portal.needs.demo import seed_needs
from portal.needs.models import Need, NeedBacking, NeedLink
from portal.projects.demo import seed_projects
from portal.projects.models import IndicatorReport, ProjectFollower, ProjectRating, ProjectUpdate, ServiceProject


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return seed_projects(), seed_needs()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_sixty_plus_projects_in_every_status_category_and_type(seeded):
    projects, _needs = seeded
    rows = list(db.session.scalars(select(ServiceProject)))
    # the contracts demo carries each contract's indicators into a project of its own (its results framework)
    from_contracts = set(db.session.scalars(select(Contract.project_id).where(Contract.project_id.is_not(None))))
    assert len(from_contracts) >= 1
    assert len(rows) - len(from_contracts) == len(projects) >= 60
    assert set(Counter(p.status for p in rows)) == {"draft", "published", "in_progress", "completed", "cancelled"}
    assert len({p.category for p in rows}) >= 10 and len({p.service_type for p in rows}) == 4


def test_budgets_match_the_studies_averages(seeded):
    averages = dict(db.session.execute(select(ServiceProject.delivery_model, func.avg(ServiceProject.budget_minor))
                                       .group_by(ServiceProject.delivery_model)).all())
    assert averages["resident_self_help"] / 100 == pytest.approx(28_000, rel=0.05)
    assert averages["professional_social_work"] / 100 == pytest.approx(198_000, rel=0.05)


def test_results_updates_followers_and_ratings_are_there_and_consistent(seeded):
    reports = Counter(db.session.scalars(select(IndicatorReport.status)))
    assert reports["approved"] > 100 and reports["returned"] > 0 and reports["submitted"] > 0
    assert _count(ProjectUpdate) > 60 and _count(ProjectFollower) > 100 and _count(ProjectRating) > 100
    for project in db.session.scalars(select(ServiceProject)):
        ratings = db.session.execute(select(func.count(), func.coalesce(func.sum(ProjectRating.score), 0))
                                     .where(ProjectRating.project_id == project.id)).one()
        assert (project.rating_count, project.rating_sum) == tuple(ratings)
        assert project.follower_count == db.session.scalar(
            select(func.count()).select_from(ProjectFollower).where(ProjectFollower.project_id == project.id))


def test_needs_in_every_state_with_consistent_backing_and_links(seeded):
    assert set(db.session.scalars(select(Need.status))) == {"open", "accepted", "merged", "declined", "answered"}
    for need in db.session.scalars(select(Need)):
        assert need.backing_count == db.session.scalar(
            select(func.count()).select_from(NeedBacking).where(NeedBacking.need_id == need.id))
    assert _count(NeedLink) >= 10
    assert db.session.scalar(select(func.count()).select_from(Need).where(Need.on_behalf_of.is_not(None))) >= 2


def test_a_second_run_adds_nothing(seeded):
    before = {model: _count(model) for model in (ServiceProject, IndicatorReport, ProjectRating, Need, NeedBacking)}
    seed_projects()
    seed_needs()
    assert {model: _count(model) for model in before} == before
