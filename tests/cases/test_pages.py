"""The case pages through the browser's requests: reporting with a photo, every step through its route by the
person who takes it (and 404 for anyone else), bad input shown beside its field with nothing stored, the case
page's timeline and duplicates, photos behind the case's policy, the lists' query counts, the categories."""
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.accounts import roles
from portal.cases import photos
from portal.cases.models import (
    CLOSED,
    DISPATCHED,
    EVALUATED,
    FILED,
    HANDLED,
    HANDLING,
    REJECTED,
    REPORT_PHOTO,
    REPORTED,
    VERIFIED,
    Case,
    CaseCategory,
    CasePhoto,
)
from portal.extensions import db
from portal.needs.models import Need
from tests.factories.accounts import UserFactory, grant
from tests.factories.cases import make_case, make_category, make_photo, photo_bytes
from tests.factories.places import make_place
from tests.factories.procurement import make_department

INSIDE = {"latitude": "30.6979", "longitude": "111.2861"}  # 宜昌, 西陵区
OUTSIDE = {"latitude": "39.9042", "longitude": "116.4074"}  # 北京


@pytest.fixture(autouse=True)
def english(client, loop):
    """The pages in English (the messages the tests read): the loop's people read English, and so does the
    anonymous browser."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    for person in (loop.official, loop.community_worker, loop.grid_worker, loop.resident):
        person.locale = "en"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _report_form(loop, **fields) -> dict:
    data = {"place_id": str(loop.grid.id), "category_id": str(loop.category.id), "title": "3栋楼道堆满杂物",
            "description": "旧家具挡住了消防通道", "idempotency_key": "form-key-1"}
    data.update(fields)
    return data


def _photo(data: bytes | None = None, name: str = "photo.jpg"):
    return (io.BytesIO(data if data is not None else photo_bytes()), name)


def _post(client, path: str, data: dict | None = None):
    """POST a step's form with the CSRF token of the case page (multipart, so photos can ride along)."""
    case_page = path.rsplit("/", 1)[0]
    return client.post_form(path, data or {}, token_from=case_page, content_type="multipart/form-data")


# --- reporting ------------------------------------------------------------------------------------

def test_the_report_form_starts_in_the_grid_workers_grid(client, login_as, loop):
    login_as(loop.grid_worker)
    html = client.get("/cases/report").get_data(as_text=True)
    assert f'selected value="{loop.grid.id}"' in html
    assert loop.category.name in html
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    assert 'name="idempotency_key"' in html


def test_a_resident_reports_a_case_with_a_photo_placed_by_its_gps(client, login_as, loop):
    login_as(loop.resident)
    data = _report_form(loop, photos=_photo(photo_bytes(latitude=30.697917, longitude=111.286111)))
    response = client.post_form("/cases/report", data, content_type="multipart/form-data")
    case = db.session.scalar(select(Case))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.id}")
    assert case.reporter_id == loop.resident.id and case.status == REPORTED and case.reported_via == "web"
    assert case.latitude == pytest.approx(30.697917, abs=1e-4)  # from the photo's EXIF: no point was typed
    photo = db.session.scalar(select(CasePhoto).where(CasePhoto.case_id == case.id))
    with Image.open(photos.photo_path(photo)) as stored:
        assert photo.stage == REPORT_PHOTO and not stored.getexif()  # the camera's metadata is gone


def test_a_photo_larger_than_other_uploads_but_within_the_photo_limit_is_taken(client, login_as, loop,
                                                                              monkeypatch, app):
    import os

    # small limits keep the request body in memory (werkzeug's test client spools big bodies to files)
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 100 * 1024)
    monkeypatch.setitem(app.config, "CASE_PHOTO_MAX_BYTES", 400 * 1024)
    side = 260  # noise does not compress: an uncompressed PNG of it is about 200 KB
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG", compress_level=0)
    assert 100 * 1024 < len(buffer.getvalue()) < 400 * 1024
    login_as(loop.resident)
    response = client.post_form("/cases/report", _report_form(loop, photos=_photo(buffer.getvalue(), "big.png")),
                                content_type="multipart/form-data", token_from="/cases/report")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _count(CasePhoto) == 1


def test_the_same_form_sent_twice_makes_one_case(client, login_as, loop):
    login_as(loop.resident)
    first = client.post_form("/cases/report", _report_form(loop), token_from="/cases/report")
    again = client.post_form("/cases/report", _report_form(loop), token_from="/cases/report")
    assert _count(Case) == 1
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]


@pytest.mark.parametrize(("fields", "message"), [
    ({"photos": _photo(b"%PDF-1.4 not a picture", "photo.jpg")}, "This file is not a photo"),
    (OUTSIDE, "outside the city"),
    ({"title": ""}, "Say in a few words what is wrong"),
    ({"category_id": ""}, "Choose a kind of case from the list"),
    ({"latitude": "north"}, "Not a valid float value"),
])
def test_bad_report_input_is_shown_beside_its_field_and_stores_nothing(client, login_as, loop, fields, message):
    login_as(loop.resident)
    data = _report_form(loop, **fields)
    if "latitude" in fields and "longitude" not in fields:
        data["longitude"] = "111.2861"
    response = client.post_form("/cases/report", data, content_type="multipart/form-data",
                                token_from="/cases/report")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html and 'class="error-text"' in html
    assert _count(Case) == 0 and _count(CasePhoto) == 0


def test_the_new_case_page_names_a_likely_duplicate(client, login_as, loop):
    earlier = make_case(loop.category, loop.grid, UserFactory(), latitude=30.6979, longitude=111.2861,
                        title="楼道里有旧沙发")
    login_as(loop.resident)
    response = client.post_form("/cases/report", _report_form(loop, **INSIDE), token_from="/cases/report")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Possibly the same as" in html and earlier.title in html


# --- the case page --------------------------------------------------------------------------------

def test_the_public_case_page_shows_the_timeline_and_clocks_but_not_the_reporter(client, loop):
    reporter = UserFactory(display_name="王秀英")
    case = make_case(loop.category, loop.grid, reporter)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert case.title in html and "Timeline" in html and "Clocks" in html
    assert "王秀英" not in html


def test_a_case_of_a_category_that_is_not_public_is_hidden_from_strangers(client, login_as, loop):
    private = make_category(loop.tree["street"], loop.department, code="JIUFEN", is_public=False)
    case = make_case(private, loop.grid, loop.resident)
    assert client.get(f"/cases/{case.id}").status_code == 404
    login_as(UserFactory())
    assert client.get(f"/cases/{case.id}").status_code == 404


def test_a_photo_is_served_to_who_sees_the_case_and_no_one_else(client, login_as, loop):
    private = make_category(loop.tree["street"], loop.department, code="JIUFEN", is_public=False)
    case = make_case(private, loop.grid, loop.resident)
    photo = make_photo(case, REPORT_PHOTO, loop.resident)
    url = f"/cases/{case.id}/photos/{photo.id}"
    assert client.get(url).status_code == 404
    login_as(loop.resident)
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert "private" in response.headers["Cache-Control"]
    response.close()


def test_a_photo_of_another_case_is_not_found_under_this_one(client, login_as, loop):
    case, other = make_case(loop.category, loop.grid, loop.resident), make_case(loop.category, loop.grid,
                                                                                 loop.resident)
    photo = make_photo(other, REPORT_PHOTO, loop.resident)
    assert client.get(f"/cases/{case.id}/photos/{photo.id}").status_code == 404


def test_the_page_offers_each_person_only_their_steps(client, login_as, loop):
    case = make_case(loop.category, loop.grid, loop.resident)
    login_as(loop.community_worker)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'action="/cases/{case.id}/file"' in html and f'action="/cases/{case.id}/reject"' in html
    assert f'action="/cases/{case.id}/accept"' not in html and f'action="/cases/{case.id}/verify"' not in html


# --- every step through its route ------------------------------------------------------------------

STEPS = [  # (route, status before, who, form, status after)
    ("file", REPORTED, "community_worker", {"note": "属实"}, FILED),
    ("reject", REPORTED, "community_worker", {"reason": "重复上报"}, REJECTED),
    ("dispatch", FILED, "community_worker", {}, DISPATCHED),  # to the category's department
    ("accept", DISPATCHED, "official", {}, HANDLING),
    ("handle", HANDLING, "official", {"note": "杂物已清理", "photos": "photo"}, HANDLED),
    ("verify", HANDLED, "grid_worker", {"note": "现场已核实", "photos": "photo"}, VERIFIED),
    ("send-back", HANDLED, "grid_worker", {"note": "还没清理完"}, HANDLING),
    ("close", VERIFIED, "community_worker", {}, CLOSED),
    ("evaluate", CLOSED, "resident", {"satisfied": "yes"}, EVALUATED),
    ("evaluate", CLOSED, "resident", {"satisfied": "no", "comment": "还有一个柜子"}, DISPATCHED),  # reopened
]


@pytest.mark.parametrize(("route", "before", "who", "form", "after"), STEPS)
def test_each_step_through_its_route_by_the_person_who_takes_it(client, login_as, loop, route, before, who, form,
                                                                  after):
    case = make_case(loop.category, loop.grid, loop.resident, status=before)
    login_as(getattr(loop, who))
    data = {key: (_photo() if value == "photo" else value) for key, value in form.items()}
    response = _post(client, f"/cases/{case.id}/{route}", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert db.session.get(Case, case.id).status == after


def test_feedback_through_its_route_tells_the_reporter(client, login_as, loop):
    case = make_case(loop.category, loop.grid, loop.resident, status=HANDLED)
    login_as(loop.official)
    assert _post(client, f"/cases/{case.id}/feedback", {"note": "已清理，请查看"}).status_code == 302
    case = db.session.get(Case, case.id)
    assert case.feedback_at is not None and case.feedback_note == "已清理，请查看"


def test_escalating_through_its_route_moves_the_case_to_the_big_loop(client, login_as, loop):
    case = make_case(loop.category, loop.grid, loop.resident)
    login_as(loop.community_worker)
    assert _post(client, f"/cases/{case.id}/escalate", {"reason": "街道无法协调产权单位"}).status_code == 302
    assert db.session.get(Case, case.id).loop == "district"


def test_a_case_becomes_a_resident_need_through_its_route(client, login_as, loop):
    case = make_case(loop.category, loop.grid, loop.resident, status=FILED)
    login_as(loop.community_worker)
    assert _post(client, f"/cases/{case.id}/need").status_code == 302
    assert db.session.get(Case, case.id).need_id == db.session.scalar(select(Need.id))


def test_a_contractors_case_is_logged_against_the_contract_through_its_route(client, login_as, loop):
    from portal.orgs.models import VERIFIED as ORG_VERIFIED
    from tests.factories.contracts import make_contract
    from tests.factories.orgs import make_organisation

    admin = UserFactory(locale="en")
    organisation = make_organisation(admin, loop.tree["community"], status=ORG_VERIFIED)
    grant(admin, roles.ORG_ADMIN, organisation)
    contract = make_contract(loop.department, organisation, loop.official, place=loop.tree["street"])
    case = make_case(loop.category, loop.grid, loop.resident, status=HANDLING, contract_id=contract.id)
    login_as(admin)
    assert _post(client, f"/cases/{case.id}/contract-log", {"line_id": ""}).status_code == 302
    assert db.session.get(Case, case.id).scope_request_id is not None


@pytest.fixture
def other_department_official(loop):
    """An official of another street's department: a department never acts on another's case."""
    other_street = make_place("street", "西陵街道", loop.tree["district"])
    make_department(other_street, name="西陵街道城管科")
    official = UserFactory(locale="en")
    grant(official, roles.OFFICIAL, other_street)
    return official


REFUSED = [  # (route, status, who): the step exists for the status, the person is the wrong one
    ("accept", DISPATCHED, "other_official"),
    ("handle", HANDLING, "other_official"),
    ("file", REPORTED, "grid_worker"),
    ("dispatch", FILED, "resident"),
    ("accept", DISPATCHED, "community_worker"),
    ("verify", HANDLED, "official"),
    ("close", VERIFIED, "grid_worker"),
    ("evaluate", CLOSED, "community_worker"),
    ("escalate", REPORTED, "resident"),
    ("need", FILED, "grid_worker"),
]


@pytest.mark.parametrize(("route", "status", "who"), REFUSED)
def test_the_wrong_person_is_told_the_case_is_not_found(client, login_as, loop, other_department_official, route,
                                                        status, who):
    case = make_case(loop.category, loop.grid, loop.resident, status=status)
    login_as(other_department_official if who == "other_official" else getattr(loop, who))
    token = client.csrf_token("/cases/")
    response = client.post(f"/cases/{case.id}/{route}", data={"csrf_token": token, "note": "x", "reason": "x",
                                                              "satisfied": "yes"})
    assert response.status_code == 404
    assert db.session.get(Case, case.id).status == status


def test_rejecting_without_a_reason_shows_the_message_and_changes_nothing(client, login_as, loop):
    case = make_case(loop.category, loop.grid, loop.resident)
    login_as(loop.community_worker)
    response = _post(client, f"/cases/{case.id}/reject", {"reason": ""})
    assert response.status_code == 400 and "Say why this is not a case" in response.get_data(as_text=True)
    assert db.session.get(Case, case.id).status == REPORTED


def test_verifying_without_a_follow_up_photo_shows_the_message_and_changes_nothing(client, login_as, loop):
    case = make_case(loop.category, loop.grid, loop.resident, status=HANDLED)
    login_as(loop.grid_worker)
    response = _post(client, f"/cases/{case.id}/verify", {"note": "看过了"})
    assert response.status_code == 400 and "Take a follow-up photo" in response.get_data(as_text=True)
    assert db.session.get(Case, case.id).status == HANDLED and _count(CasePhoto) == 0


def test_handling_with_a_file_that_is_not_a_photo_stores_nothing(client, login_as, loop):
    case = make_case(loop.category, loop.grid, loop.resident, status=HANDLING)
    login_as(loop.official)
    response = _post(client, f"/cases/{case.id}/handle", {"note": "已处理", "photos": _photo(b"GIF89a...", "a.jpg")})
    assert response.status_code == 400 and "This file is not a photo" in response.get_data(as_text=True)
    assert db.session.get(Case, case.id).status == HANDLING and _count(CasePhoto) == 0


def test_a_step_the_status_refuses_answers_409_with_the_message(client, login_as, loop):
    case = make_case(loop.category, loop.grid, loop.resident, status=FILED)
    login_as(loop.community_worker)
    response = _post(client, f"/cases/{case.id}/file")
    assert response.status_code == 409 and "cannot take the step" in response.get_data(as_text=True)
    assert db.session.get(Case, case.id).status == FILED


# --- my work and the public list -------------------------------------------------------------------

def test_my_work_lists_the_grid_workers_follow_ups_and_the_reporters_cases(client, login_as, loop):
    follow_up = make_case(loop.category, loop.grid, UserFactory(), status=HANDLED, title="井盖缺失")
    mine = make_case(loop.category, loop.grid, loop.grid_worker, title="路灯不亮")
    login_as(loop.grid_worker)
    html = client.get("/cases/").get_data(as_text=True)
    assert "Today's follow-ups in my grid" in html and follow_up.title in html and mine.title in html


def test_the_public_list_never_names_the_reporter(client, loop):
    make_case(loop.category, loop.grid, UserFactory(display_name="王秀英"))
    html = client.get("/cases/").get_data(as_text=True)
    assert "3栋楼道堆满杂物" in html and "王秀英" not in html


def test_the_public_list_leaves_out_cases_of_categories_that_are_not_public(client, loop):
    private = make_category(loop.tree["street"], loop.department, code="JIUFEN", is_public=False)
    make_case(private, loop.grid, loop.resident, title="邻居噪音纠纷")
    assert "邻居噪音纠纷" not in client.get("/cases/").get_data(as_text=True)


def _cases(loop, n: int, **fields) -> None:
    for status in (REPORTED, FILED, DISPATCHED, HANDLING, HANDLED, CLOSED)[:n]:
        make_case(loop.category, loop.grid, loop.resident, status=status, **fields)


@pytest.mark.parametrize("who", ["grid_worker", "community_worker", "official", "resident", None])
def test_my_work_page_queries_do_not_grow_with_cases(client, login_as, count_queries, loop, who):
    if who:  # None: the public list alone
        login_as(getattr(loop, who))
    _cases(loop, 2)
    client.get("/cases/")
    with count_queries() as few:
        client.get("/cases/")
    _cases(loop, 6)
    with count_queries() as many:
        html = client.get("/cases/").get_data(as_text=True)
    assert html.count('class="case-item') >= 8
    assert len(many) == len(few)


def test_the_case_page_queries_do_not_grow_with_its_timeline(client, login_as, count_queries, loop):
    case = make_case(loop.category, loop.grid, loop.resident)
    url = f"/cases/{case.id}"
    login_as(loop.community_worker)
    client.get(url)
    with count_queries() as few:
        client.get(url)
    from portal.cases.models import CaseEvent

    for n in range(5):
        db.session.add(CaseEvent(case_id=case.id, action="file", from_status=REPORTED, to_status=REPORTED,
                                 actor_id=UserFactory().id, note=f"timeline entry {n}"))
        make_photo(case, REPORT_PHOTO, loop.resident)
    with count_queries() as many:
        html = client.get(url).get_data(as_text=True)
    assert html.count("timeline entry ") == 5 and html.count('loading="lazy"') == 5
    assert len(many) == len(few)


# --- categories -----------------------------------------------------------------------------------

def _category_form(loop, **fields) -> dict:
    data = {"place_id": str(loop.tree["street"].id), "code": "LUDENG", "name": "路灯不亮",
            "department_id": str(loop.department.id), "accept_hours": "4", "handle_hours": "48",
            "feedback_hours": "24", "is_public": "y", "is_active": "y"}
    data.update(fields)
    return data


def test_an_official_adds_a_category_for_their_street(client, login_as, loop):
    login_as(loop.official)
    response = client.post_form("/cases/categories/new", _category_form(loop))
    assert response.status_code == 302
    category = db.session.scalar(select(CaseCategory).where(CaseCategory.code == "LUDENG"))
    assert category.department_id == loop.department.id and category.handle_hours == 48 and category.is_public


def test_a_category_without_hours_to_handle_is_refused_beside_the_field(client, login_as, loop):
    login_as(loop.official)
    response = client.post_form("/cases/categories/new", _category_form(loop, handle_hours="0"))
    assert response.status_code == 400 and "Give a number of hours" in response.get_data(as_text=True)
    assert db.session.scalar(select(CaseCategory).where(CaseCategory.code == "LUDENG")) is None


def test_an_official_edits_a_category_and_makes_it_private(client, login_as, loop):
    login_as(loop.official)
    data = _category_form(loop, code=loop.category.code, name=loop.category.name)
    data.pop("is_public")
    response = client.post_form(f"/cases/categories/{loop.category.id}/edit", data)
    assert response.status_code == 302 and db.session.get(CaseCategory, loop.category.id).is_public is False


def test_an_official_of_another_street_cannot_edit_the_category(client, login_as, loop, other_department_official):
    login_as(other_department_official)
    assert client.get(f"/cases/categories/{loop.category.id}/edit").status_code == 404


def test_the_navigation_links_to_the_cases(client):
    assert 'href="/cases/"' in client.get("/").get_data(as_text=True)
