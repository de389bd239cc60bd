"""The grid worker's phone app: the page, the installable app's manifest and service worker, and the offline
queue's JSON endpoints, where a report or a follow-up sent again is applied once (its idempotency key)."""
import io
import uuid

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.cases.models import FOLLOW_UP_PHOTO, HANDLED, REPORT_PHOTO, VERIFIED, Case, CaseEvent, CasePhoto
from portal.extensions import db
from tests.factories.accounts import UserFactory, grant
from tests.factories.cases import make_case, photo_bytes

APP = "/cases/app"


def _token(client) -> str:
    return client.get(f"{APP}/session").get_json()["csrf_token"]


def _report_fields(loop, key=None, **fields) -> dict:
    values = {"idempotency_key": key or str(uuid.uuid4()), "category_id": str(loop.category.id),
              "place_id": str(loop.grid.id), "title": "5栋门口垃圾满了", "description": "垃圾桶满溢两天",
              "latitude": "30.697900", "longitude": "111.286100"}
    values.update(fields)
    return values


def _post(client, url, fields, photos=(), token=None):
    data = dict(fields)
    data["photos"] = [(io.BytesIO(content), name) for name, content in photos]
    return client.post(url, data=data, content_type="multipart/form-data",
                       headers={"X-CSRFToken": token or _token(client), "Accept": "application/json"})


def _count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


# --- the installable app -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "short_name", "lang"), [("en", "Grid cases", "en"),
                                                               ("zh-CN", "网格案件", "zh-CN")])
def test_the_manifest_makes_an_installable_app_in_the_users_language(client, language, short_name, lang):
    response = client.get(f"{APP}/manifest.webmanifest", headers={"Accept-Language": language})
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert (manifest["short_name"], manifest["lang"]) == (short_name, lang)
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (APP, "/cases/", "standalone")


def test_the_manifests_icons_are_pngs_of_the_sizes_they_claim(client):
    icons = client.get(f"{APP}/manifest.webmanifest").get_json()["icons"]
    assert {icon["sizes"] for icon in icons} == {"192x192", "512x512"}
    for icon in icons:
        response = client.get(icon["src"])
        assert response.status_code == 200
        image = Image.open(io.BytesIO(response.data))
        assert (image.format, f"{image.width}x{image.height}") == ("PNG", icon["sizes"])
        response.close()


def test_the_service_worker_may_control_every_case_page_and_keeps_the_shell(client):
    response = client.get(f"{APP}/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/cases/"
    script = response.get_data(as_text=True)
    assert '"/cases/app"' in script and "/static/cases/app.js?v=" in script and "/static/cases/app.css?v=" in script


def test_the_app_page_links_the_manifest_and_its_versioned_files(client, login_as, loop):
    login_as(loop.grid_worker)
    html = client.get(APP).get_data(as_text=True)
    version = client.get(f"{APP}/sw.js").get_data(as_text=True).split('const VERSION = "')[1].split('"')[0]
    assert 'rel="manifest" href="/cases/app/manifest.webmanifest"' in html
    assert f"/static/cases/app.js?v={version}" in html


# --- the page --------------------------------------------------------------------------------------------

def test_a_grid_worker_sees_the_grids_open_cases_and_todays_follow_ups(client, login_as, loop):
    make_case(loop.category, loop.grid, loop.resident, title="路灯不亮")
    handled = make_case(loop.category, loop.grid, loop.resident, status=HANDLED, title="井盖松动已修")
    make_case(loop.category, loop.other_grid, loop.resident, title="别的网格的事")
    login_as(loop.grid_worker)
    html = client.get(APP).get_data(as_text=True)
    assert "路灯不亮" in html and "井盖松动已修" in html and "别的网格的事" not in html
    assert f'action="/cases/app/cases/{handled.id}/verify"' in html
    assert html.count('action="/cases/app/cases/') == 1  # only the handled case waits for a follow-up


def test_the_report_form_opens_the_camera_and_offers_the_grids_categories(client, login_as, loop):
    login_as(loop.grid_worker)
    html = client.get(APP).get_data(as_text=True)
    assert 'accept="image/*"' in html and 'capture="environment"' in html
    assert f'<option data-place="{loop.tree["street"].id}" value="{loop.category.id}">' in html
    assert f'value="{loop.grid.id}"' in html and f'value="{loop.other_grid.id}"' not in html


def test_a_resident_gets_the_report_form_and_their_own_reports_only(client, login_as, loop):
    make_case(loop.category, loop.grid, loop.resident, title="我报的楼道杂物")
    make_case(loop.category, loop.grid, loop.community_worker, title="别人报的事")
    login_as(loop.resident)
    html = client.get(APP).get_data(as_text=True)
    assert 'id="app-report-form"' in html and "我报的楼道杂物" in html
    assert "别人报的事" not in html and "follow-ups-heading" not in html and "open-cases-heading" not in html
    assert f'value="{loop.other_grid.id}"' in html  # a resident chooses any community or grid


def test_the_app_page_reads_the_same_number_of_queries_however_many_cases(client, login_as, loop, count_queries):
    login_as(loop.grid_worker)

    def page_queries() -> int:
        with count_queries() as statements:
            assert client.get(APP).status_code == 200
        return len(statements)

    make_case(loop.category, loop.grid, loop.grid_worker, status=HANDLED)
    few = page_queries()
    for status in ("reported", HANDLED, HANDLED, "dispatched"):
        make_case(loop.category, loop.grid, loop.grid_worker, status=status)
    assert page_queries() == few


# --- the queue's report endpoint -----------------------------------------------------------------------------

def test_a_queued_report_makes_a_case_from_the_phone_app(client, login_as, loop):
    login_as(loop.grid_worker)
    fields = _report_fields(loop)
    response = _post(client, f"{APP}/reports", fields, photos=[("p.jpg", photo_bytes())])
    assert response.status_code == 201
    answer = response.get_json()
    case = db.session.scalar(select(Case).where(Case.idempotency_key == fields["idempotency_key"]))
    assert answer == {"reference": case.reference, "url": answer["url"], "created": True}
    assert answer["url"].endswith(f"/{case.id}")
    assert (case.reported_via, case.reporter_id, case.place_id) == ("phone_app", loop.grid_worker.id, loop.grid.id)
    assert _count(CasePhoto, CasePhoto.case_id == case.id, CasePhoto.stage == REPORT_PHOTO) == 1


def test_a_replayed_report_answers_200_and_stores_nothing_twice(client, login_as, loop):
    login_as(loop.grid_worker)
    fields = _report_fields(loop)
    first = _post(client, f"{APP}/reports", fields, photos=[("p.jpg", photo_bytes())]).get_json()
    replay = _post(client, f"{APP}/reports", fields, photos=[("p.jpg", photo_bytes())])
    assert replay.status_code == 200
    assert replay.get_json() == dict(first, created=False)
    assert _count(Case, Case.title == fields["title"]) == 1
    assert _count(CasePhoto) == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"title": ""}, "title"),
    ({"category_id": ""}, "category_id"),
    ({"place_id": ""}, "place_id"),
    ({"latitude": "north"}, "latitude"),
    ({"latitude": "39.9", "longitude": "116.4"}, "latitude"),  # Beijing: outside the city
    ({"idempotency_key": ""}, "idempotency_key"),
    ({"idempotency_key": "%%%%%%%%%"}, "idempotency_key"),
])
def test_bad_input_answers_400_with_the_field_and_stores_nothing(client, login_as, loop, change, field):
    login_as(loop.grid_worker)
    response = _post(client, f"{APP}/reports", _report_fields(loop, **change))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == field and error["message"]
    assert _count(Case) == 0


def test_a_photo_that_is_not_an_image_is_refused_beside_the_photos(client, login_as, loop):
    login_as(loop.resident)
    response = _post(client, f"{APP}/reports", _report_fields(loop), photos=[("p.jpg", b"%PDF-1.4 not a photo")])
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "photos"
    assert _count(Case) == 0 and _count(CasePhoto) == 0


def test_a_report_without_the_csrf_token_is_refused_as_json(client, login_as, loop):
    login_as(loop.resident)
    response = client.post(f"{APP}/reports", data=_report_fields(loop), headers={"Accept": "application/json"})
    assert response.status_code == 400 and "error" in response.get_json()
    assert _count(Case) == 0


def test_the_session_answers_a_token_and_whose_queue_it_is(client, login_as, loop):
    login_as(loop.resident)
    response = client.get(f"{APP}/session")
    assert response.get_json()["user_id"] == loop.resident.id
    assert response.headers["Cache-Control"] == "no-store"


def test_a_signed_out_phone_is_sent_to_sign_in_not_given_a_token(client):
    response = client.get(f"{APP}/session")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the queue's follow-up endpoint --------------------------------------------------------------------------

def _follow_up(client, case, key, note="现场已清理干净"):
    return _post(client, f"{APP}/cases/{case.id}/verify", {"idempotency_key": key, "note": note},
                 photos=[("after.jpg", photo_bytes())])


def test_a_queued_follow_up_verifies_the_case_with_its_photo(client, login_as, loop):
    case = make_case(loop.category, loop.grid, loop.resident, status=HANDLED)
    login_as(loop.grid_worker)
    response = _follow_up(client, case, str(uuid.uuid4()))
    assert response.status_code == 201 and response.get_json()["created"] is True
    assert case.status == VERIFIED
    assert _count(CasePhoto, CasePhoto.case_id == case.id, CasePhoto.stage == FOLLOW_UP_PHOTO) == 1
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "verify"))
    assert event.note.startswith("现场已清理干净")


def test_a_replayed_follow_up_answers_200_without_a_second_photo(client, login_as, loop):
    case = make_case(loop.category, loop.grid, loop.resident, status=HANDLED)
    login_as(loop.grid_worker)
    key = str(uuid.uuid4())
    _follow_up(client, case, key)
    replay = _follow_up(client, case, key)
    assert replay.status_code == 200
    assert replay.get_json() == {"reference": case.reference, "url": replay.get_json()["url"], "created": False}
    assert _count(CasePhoto, CasePhoto.case_id == case.id) == 1
    assert _count(CaseEvent, CaseEvent.case_id == case.id, CaseEvent.action == "verify") == 1


def test_the_case_timeline_shows_the_follow_up_note_without_the_phones_key(client, login_as, loop):
    case = make_case(loop.category, loop.grid, loop.resident, status=HANDLED)
    login_as(loop.grid_worker)
    key = str(uuid.uuid4())
    _follow_up(client, case, key, note="井盖已经固定好")
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "井盖已经固定好" in html and key not in html


def test_another_follow_up_of_a_case_already_verified_is_a_409(client, login_as, loop):
    case = make_case(loop.category, loop.grid, loop.resident, status=HANDLED)
    login_as(loop.grid_worker)
    _follow_up(client, case, str(uuid.uuid4()))
    response = _follow_up(client, case, str(uuid.uuid4()))
    assert response.status_code == 409 and response.get_json()["error"]["message"]
    assert _count(CasePhoto, CasePhoto.case_id == case.id) == 1


def test_a_follow_up_without_a_photo_is_refused_and_the_case_waits(client, login_as, loop):
    case = make_case(loop.category, loop.grid, loop.resident, status=HANDLED)
    login_as(loop.grid_worker)
    response = _post(client, f"{APP}/cases/{case.id}/verify", {"idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "photos"
    assert case.status == HANDLED


def test_a_grid_worker_of_another_grid_cannot_verify(client, login_as, loop):
    case = make_case(loop.category, loop.grid, loop.resident, status=HANDLED)
    stranger = UserFactory()
    grant(stranger, "grid_worker", loop.other_grid)
    login_as(stranger)
    assert _follow_up(client, case, str(uuid.uuid4())).status_code == 404
    assert case.status == HANDLED
