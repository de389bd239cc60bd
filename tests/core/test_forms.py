"""The base form: control characters are refused beside the field on every form, nothing is stored."""
import pytest
from sqlalchemy import func, select

from portal.core.forms import has_control_characters
from portal.extensions import db
from portal.needs.models import Need
from portal.orgs.models import Organisation
from tests.factories.accounts import UserFactory
from tests.factories.orgs import credit_code
from tests.factories.places import make_tree
from tests.orgs.test_web import _error_next_to, _register_data

EN = {"Accept-Language": "en"}
CONTROLS = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f"]
MESSAGE = "control characters"


@pytest.mark.parametrize("text, expected", [("王芳", False), ("line one\r\nline two\tend", False),
                                            ("a\x00b", True), ("\x1f", True), ("a\x7f", True)])
def test_only_tab_and_line_breaks_pass(text, expected):
    assert has_control_characters(text) is expected


@pytest.mark.parametrize("control", CONTROLS)
def test_profile_refuses_a_control_character_beside_the_field(client, login_as, control):
    user = UserFactory(display_name="王芳", locale="en")
    login_as(user)
    response = client.post_form("/profile", {"display_name": f"王{control}芳", "phone": "", "locale": "en"},
                                headers=EN)
    assert response.status_code == 400
    assert MESSAGE in _error_next_to(response.get_data(as_text=True), "display_name")
    db.session.refresh(user)
    assert user.display_name == "王芳"


@pytest.mark.parametrize("field", ["title", "description", "affected_group"])
def test_a_need_with_a_nul_byte_is_refused_and_not_stored(client, login_as, field):
    tree = make_tree()
    login_as(UserFactory(locale="en"))
    data = {"place": str(tree["grid"].id), "title": "楼道灯坏了", "description": "三楼\r\n四楼",
            "affected_group": "独居老人"}
    data[field] = data[field] + "\x00"
    response = client.post_form("/needs/new", data, headers=EN)
    assert response.status_code == 400
    assert MESSAGE in _error_next_to(response.get_data(as_text=True), field)
    assert db.session.scalar(select(func.count()).select_from(Need)) == 0


def test_a_need_with_line_breaks_and_tabs_is_stored(client, login_as):
    tree = make_tree()
    login_as(UserFactory(locale="en"))
    response = client.post_form("/needs/new", {"place": str(tree["grid"].id), "title": "楼道灯坏了",
                                               "description": "三楼\r\n\t四楼"}, headers=EN)
    assert response.status_code == 302
    assert "\t四楼" in db.session.scalar(select(Need.description))


@pytest.mark.parametrize("field, control", [("name", "\x00"), ("description", "\x1b"), ("contact_name", "\x02")])
def test_an_organisation_with_a_control_character_is_refused(client, login_as, field, control):
    tree = make_tree()
    login_as(UserFactory(locale="en"))
    data = _register_data(tree["community"], credit_code=credit_code("2"))
    data[field] = data[field] + control
    response = client.post_form("/organisations/register", data, headers=EN)
    assert response.status_code == 400
    assert MESSAGE in _error_next_to(response.get_data(as_text=True), field)
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0


def test_a_control_character_in_a_select_is_refused(client, login_as):
    user = UserFactory(locale="en")
    login_as(user)
    response = client.post_form("/profile", {"display_name": "王芳", "locale": "en\x00"}, headers=EN)
    assert response.status_code == 400
    assert user.locale == "en"


@pytest.mark.parametrize("path", ["/projects/?q=%00", "/organisations/?q=a%00b", "/places/?q=%1b",
                                  "/needs/similar?place_id=1&q=%00"])
def test_a_control_character_in_a_search_is_a_400_not_a_500(client, path):
    response = client.get(path, headers=EN)
    assert response.status_code == 400
    assert "Bad request" in response.get_data(as_text=True)
