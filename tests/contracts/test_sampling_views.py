"""Sampling pages: drawing, the verifier's printable links, the resident's answer on a phone without signing in
(once; a wrong token is 404; one token answers only its own record), the grid worker's visits."""
from sqlalchemy import func, select

from portal.contracts import sampling
from portal.contracts.models import CONFIRMED, DENIED, Sample, SampleItem
from portal.extensions import db
from tests.contracts.delivery_world import world_fixture  # noqa: F401
from tests.factories.contracts import make_report

EN = {"Accept-Language": "en"}


def _sample(world, records=8):
    report = make_report(world.contract, world.milestone, world.contractor, records=records, place=world.tree["grid"])
    return sampling.draw_sample(report, world.worker)


def _token(sample, item) -> str:
    return sampling.item_token(sample.id, item.service_record_id, sample.seed)


def _answers():
    return list(db.session.scalars(select(SampleItem.answer).order_by(SampleItem.id)))


def test_the_verifier_draws_a_sample_from_the_report_page(client, login_as, world):
    report = make_report(world.contract, world.milestone, world.contractor, records=12)
    login_as(world.worker)
    url = f"/contracts/{world.contract.id}/reports/{report.id}"
    response = client.post_form(f"{url}/sample", {}, token_from=url)
    sample = db.session.scalar(select(Sample))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/samples/{sample.id}")
    assert (sample.size, len(sample.items)) == (5, 5)


def test_the_sample_page_lists_each_link_with_a_qr_code(client, login_as, world):
    sample = _sample(world)
    login_as(world.official)
    html = client.get(f"/contracts/{world.contract.id}/samples/{sample.id}").get_data(as_text=True)
    assert all(f"/contracts/confirm/{_token(sample, item)}" in html for item in sample.items)
    assert html.count('class="sample-qr"') == 5
    assert sample.seed in html


def test_the_resident_answers_without_signing_in(client, world):
    sample = _sample(world)
    url = f"/contracts/confirm/{_token(sample, sample.items[0])}"
    page = client.get(url, headers=EN)
    assert "Did this service happen?" in page.get_data(as_text=True)
    response = client.post_form(url, {"happened": "yes", "quality": "4"}, headers=EN)
    assert response.status_code == 200
    item = db.session.get(SampleItem, sample.items[0].id)
    assert (item.answer, item.quality, item.answered_via, item.recorded_by_id) == (CONFIRMED, 4, "link", None)


def test_a_second_answer_is_refused_and_nothing_stored(client, world):
    sample = _sample(world)
    url = f"/contracts/confirm/{_token(sample, sample.items[0])}"
    client.post_form(url, {"happened": "yes", "quality": "5"}, headers=EN)
    token = client.csrf_token("/login")
    response = client.post(url, data={"csrf_token": token, "happened": "no"}, headers=EN)
    assert response.status_code == 409
    assert "already answered" in response.get_data(as_text=True)
    item = db.session.get(SampleItem, sample.items[0].id)
    assert (item.answer, item.quality) == (CONFIRMED, 5)


def test_a_wrong_token_is_404(client, world):
    sample = _sample(world)
    token = _token(sample, sample.items[0])
    assert client.get(f"/contracts/confirm/{token[:-1]}x").status_code == 404
    assert client.get(f"/contracts/confirm/{sampling.token_hash(token)}").status_code == 404  # the stored hash


def test_one_token_answers_only_its_own_record(client, world):
    sample = _sample(world)
    client.post_form(f"/contracts/confirm/{_token(sample, sample.items[1])}", {"happened": "no"}, headers=EN)
    assert _answers() == [None, DENIED, None, None, None]


def test_a_confirmation_without_a_quality_is_refused(client, world):
    sample = _sample(world)
    response = client.post_form(f"/contracts/confirm/{_token(sample, sample.items[0])}", {"happened": "yes"},
                                headers=EN)
    assert response.status_code == 400
    assert "from 1 to 5" in response.get_data(as_text=True)
    assert _answers() == [None] * 5


def test_the_grid_worker_sees_the_visits_of_their_grid(client, login_as, world):
    sample = _sample(world)
    login_as(world.grid_worker)
    html = client.get("/contracts/visits").get_data(as_text=True)
    assert html.count("Record the answer") == 5
    assert sample.items[0].record.label in html


def test_the_grid_worker_records_an_answer_on_a_visit(client, login_as, world):
    sample = _sample(world)
    login_as(world.grid_worker)
    url = f"/contracts/visits/{sample.items[0].id}"
    assert client.post_form(url, {"happened": "no", "comment": "住户说没有人来过"}).status_code == 302
    item = db.session.get(SampleItem, sample.items[0].id)
    assert (item.answer, item.answered_via, item.recorded_by_id) == (DENIED, "visit", world.grid_worker.id)


def test_a_grid_worker_of_another_grid_cannot_record(client, login_as, world):
    sample = _sample(world)
    login_as(world.other_grid_worker)
    url = f"/contracts/visits/{sample.items[0].id}"
    assert client.get(url).status_code == 404
    token = client.csrf_token("/")
    assert client.post(url, data={"csrf_token": token, "happened": "no"}).status_code == 404
    assert _answers() == [None] * 5


def test_the_visits_query_count_does_not_grow(client, login_as, world, count_queries):
    _sample(world, records=3)
    login_as(world.grid_worker)

    def count():
        client.get("/contracts/visits")
        with count_queries() as statements:
            assert client.get("/contracts/visits").status_code == 200
        return len(statements)

    few = count()
    _sample(world, records=40)
    assert db.session.scalar(select(func.count()).select_from(SampleItem)) == 8
    assert count() == few


def test_the_sample_page_query_count_does_not_grow(client, login_as, world, count_queries):
    login_as(world.worker)

    def count(records):
        sample = _sample(world, records=records)
        url = f"/contracts/{world.contract.id}/samples/{sample.id}"
        client.get(url)
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements), sample.size

    (few, small), (many, large) = count(5), count(90)
    assert (small, large) == (5, 9)
    assert many == few
