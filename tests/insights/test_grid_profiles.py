"""The grid ledgers' CSV import: all or nothing, each grid within the importer's places, replacing earlier figures."""
import pytest

from portal.accounts import roles
from portal.core.csv_import import ImportRejected
from portal.extensions import db
from portal.insights.grid_profiles import CSV_COLUMNS, import_grid_profiles_csv
from portal.insights.models import GridProfile
from tests.factories.accounts import UserFactory, grant
from tests.factories.places import make_place, make_tree

HEADER = ",".join(CSV_COLUMNS)


@pytest.fixture
def keeper():
    tree = make_tree()
    worker = UserFactory()
    grant(worker, roles.GRID_WORKER, tree["grid"])
    return tree, worker


def test_the_grid_worker_imports_their_grids_ledger(keeper):
    tree, worker = keeper
    result = import_grid_profiles_csv(f"{HEADER}\n{tree['grid'].code},2026-11-30,50,200,80,20,12,6\n", actor=worker)
    assert result.count == 1
    profile = db.session.get(GridProfile, tree["grid"].id)
    assert (profile.age_60_79, profile.living_alone, profile.updated_by_id) == (80, 12, worker.id)


def test_a_new_import_replaces_the_grids_figures(keeper):
    tree, worker = keeper
    import_grid_profiles_csv(f"{HEADER}\n{tree['grid'].code},2026-10-31,50,200,80,20,12,6\n", actor=worker)
    import_grid_profiles_csv(f"{HEADER}\n{tree['grid'].code},2026-11-30,50,200,80,20,14,6\n", actor=worker)
    assert db.session.get(GridProfile, tree["grid"].id).living_alone == 14
    assert db.session.query(GridProfile).count() == 1


def test_a_grid_outside_the_workers_places_refuses_the_whole_file(keeper):
    tree, worker = keeper
    other = make_place("grid", "别的网格", tree["community"])
    text = f"{HEADER}\n{tree['grid'].code},2026-11-30,50,200,80,20,12,6\n{other.code},2026-11-30,1,1,1,1,1,1\n"
    with pytest.raises(ImportRejected) as refused:
        import_grid_profiles_csv(text, actor=worker)
    assert [(error.line, error.column) for error in refused.value.errors] == [(3, "grid_code")]
    assert db.session.query(GridProfile).count() == 0


def test_more_people_living_alone_than_counted_is_refused(keeper):
    tree, worker = keeper
    with pytest.raises(ImportRejected) as refused:
        import_grid_profiles_csv(f"{HEADER}\n{tree['grid'].code},2026-11-30,1,1,1,1,5,x\n", actor=worker)
    assert {error.column for error in refused.value.errors} == {"unable_to_self_care"}
    with pytest.raises(ImportRejected) as refused:
        import_grid_profiles_csv(f"{HEADER}\n{tree['grid'].code},2026-11-30,1,1,1,1,5,0\n", actor=worker)
    assert {error.column for error in refused.value.errors} == {"living_alone"}


def test_the_import_page_names_each_bad_line(client, login_as, keeper):
    tree, worker = keeper
    login_as(worker)
    response = client.post_form("/insights/profile/import", {"text": f"{HEADER}\nNOPE,2026-11-30,1,1,1,1,0,0\n"},
                                token_from="/insights/profile/import")
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and '<td class="num">2</td><td>grid_code</td>' in body
    assert body.count("NOPE") >= 2  # in the problem and in the pasted text kept for correcting


def test_the_demo_ledgers_are_seeded_once():
    from portal.demo_city import seed_places
    from portal.insights.demo import seed_grid_profiles

    seed_places()
    first = seed_grid_profiles()
    assert db.session.query(GridProfile).count() == 150 and "150 grids" in first[0]
    assert seed_grid_profiles() == first and db.session.query(GridProfile).count() == 150

