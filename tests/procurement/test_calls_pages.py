"""The calls pages: the public list (filters, drafts hidden, a fixed query count), the call page (what it shows,
the countdown, due steps applied first), a need's page showing the call, the workbench scoped to the official."""
import re

from portal.extensions import db
from portal.procurement import calls, questions
from portal.procurement.models import CLOSED, CONTEST, DIRECT_GRANT, DRAFT, PUBLISHED
from tests.factories.accounts import UserFactory
from tests.factories.procurement import make_call, make_department
from tests.procurement import calls_support
from tests.procurement.calls_support import EN, good_details

calls_world = calls_support.calls_world  # the fixture


def _titles(html: str) -> list[str]:
    return re.findall(r'<a class="item-title" href="/procurement/calls/\d+">([^<]+)</a>', html)


def _published(world, **overrides):
    call = calls.create_draft(world.department, world.official, good_details(world, **overrides))
    calls.publish_call(call, world.official)
    return call


def test_a_needs_page_shows_the_call_answering_it(client, calls_world):
    call = _published(calls_world)
    html = client.get(f"/needs/{calls_world.need.id}", headers=EN).get_data(as_text=True)
    assert f'<a href="/procurement/calls/{call.id}">{call.title}</a>' in html
    assert "Call for services" in html


def test_the_list_shows_published_calls_and_never_drafts(client, calls_world):
    make_call(calls_world.department, calls_world.official, status=PUBLISHED, title="公开的招标")
    make_call(calls_world.department, calls_world.official, status=DRAFT, title="还在起草")
    assert _titles(client.get("/procurement/").get_data(as_text=True)) == ["公开的招标"]


def test_the_list_filters_by_mode_state_place_subtree_and_category(client, calls_world):
    tree, department, official = calls_world.tree, calls_world.department, calls_world.official
    make_call(department, official, place=tree["community"], status=PUBLISHED, mode=CONTEST, title="社区公益创投")
    make_call(department, official, place=tree["district"], status=CLOSED, mode=DIRECT_GRANT, title="区级直接资助",
              category="disability")
    assert _titles(client.get("/procurement/?mode=contest").get_data(as_text=True)) == ["社区公益创投"]
    assert _titles(client.get("/procurement/?status=closed").get_data(as_text=True)) == ["区级直接资助"]
    assert _titles(client.get(f"/procurement/?place={tree['street'].id}").get_data(as_text=True)) == ["社区公益创投"]
    assert _titles(client.get("/procurement/?category=disability").get_data(as_text=True)) == ["区级直接资助"]


def test_the_list_runs_a_fixed_number_of_queries(client, count_queries, calls_world):
    def grow(n):
        for i in range(n):
            department = make_department(calls_world.tree["street"])
            make_call(department, calls_world.official, place=calls_world.tree["community"],
                      status=PUBLISHED if i % 2 else CLOSED)

    def count(path):
        client.get(path)
        with count_queries() as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    grow(2)
    few = count("/procurement/")
    grow(12)
    assert count("/procurement/") == few
    assert count(f"/procurement/?place={calls_world.tree['street'].id}&mode=open_tender&category=elderly_care") == few


def test_the_call_page_shows_what_bidders_need_and_a_countdown(client, calls_world):
    call = _published(calls_world)
    html = client.get(f"/procurement/calls/{call.id}", headers=EN).get_data(as_text=True)
    for text in ("Open tender", "西陵区民政局", "夜明珠街道", "¥300,000.00", "服务方案", "40%", "0 无 · 1 很弱",
                 "居家养老上门服务", "4,000", calls_world.need.title, "Questions close", "Bid deadline and opening"):
        assert text in html, text
    assert re.search(r'<span class="countdown-text"[^>]*>4 days 23 hours left</span>', html)
    assert 'src="/static/js/countdown.js"' in html


def test_the_call_page_shows_the_reason_when_no_need_is_answered(client, calls_world):
    call = _published(calls_world, need_ids=[], no_need_reason="全区统一的年度购买计划")
    html = client.get(f"/procurement/calls/{call.id}", headers=EN).get_data(as_text=True)
    assert "Linked to no resident need and no consultation." in html and "全区统一的年度购买计划" in html


def test_the_call_page_applies_due_steps_before_rendering(client, calls_world, monkeypatch):
    from portal.procurement import timed

    seen = []
    monkeypatch.setattr(timed, "apply_due_steps", lambda call: seen.append(call.id))
    call = _published(calls_world)
    assert client.get(f"/procurement/calls/{call.id}").status_code == 200
    assert seen == [call.id]


def test_a_draft_is_hidden_from_the_public(client, login_as, calls_world):
    call = make_call(calls_world.department, calls_world.official, status=DRAFT)
    assert client.get(f"/procurement/calls/{call.id}").status_code == 404
    login_as(calls_world.outsider)
    assert client.get(f"/procurement/calls/{call.id}").status_code == 404


def test_the_workbench_groups_the_calls_in_scope(client, login_as, calls_world):
    draft = make_call(calls_world.department, calls_world.official, status=DRAFT, title="待发布的草稿")
    asked = make_call(calls_world.department, calls_world.official, status=PUBLISHED, title="有人提问的招标")
    questions.ask_question(asked, UserFactory(), "可以分包吗？")
    login_as(calls_world.official)
    html = client.get("/procurement/workbench", headers=EN).get_data(as_text=True)
    drafts = html.split('id="group-drafts"')[1].split("</section>")[0]
    asked_section = html.split('id="group-questions"')[1].split("</section>")[0]
    assert draft.title in drafts and asked.title not in drafts
    assert asked.title in asked_section and "unanswered: 1" in asked_section


def test_the_workbench_shows_only_calls_in_the_officials_scope(client, login_as, calls_world):
    make_call(calls_world.department, calls_world.official, status=DRAFT, title="西陵区的草稿")
    other = make_department(calls_world.other["other_district"], "伍家岗区民政局")
    make_call(other, calls_world.outsider, status=DRAFT, title="伍家岗区的草稿")
    login_as(calls_world.outsider)
    html = client.get("/procurement/workbench", headers=EN).get_data(as_text=True)
    assert "伍家岗区的草稿" in html and "西陵区的草稿" not in html
    assert "伍家岗区民政局" in html and "西陵区民政局" not in html


def test_the_workbench_is_for_officials_only(client, login_as, calls_world):
    login_as(calls_world.resident)
    assert client.get("/procurement/workbench").status_code == 403


def test_the_navigation_offers_the_calls_to_all_and_the_workbench_to_officials(client, login_as, calls_world):
    assert 'href="/procurement/"' in client.get("/", headers=EN).get_data(as_text=True)
    login_as(calls_world.official)
    assert 'href="/procurement/workbench"' in client.get("/", headers=EN).get_data(as_text=True)
    db.session.expire_all()


def test_the_pages_render_in_chinese(client, login_as, calls_world):
    call = _published(calls_world)
    zh = {"Accept-Language": "zh-CN"}
    assert "政府购买服务" in client.get("/procurement/", headers=zh).get_data(as_text=True)
    page = client.get(f"/procurement/calls/{call.id}", headers=zh).get_data(as_text=True)
    assert "公开招标/竞争性磋商" in page and re.search(r"还剩 4 天 23 小时", page)
    calls_world.official.locale = "zh_CN"
    login_as(calls_world.official)
    for path in (f"/procurement/departments/{calls_world.department.id}/calls/new",
                 f"/procurement/calls/{call.id}/amend", f"/procurement/calls/{call.id}/cancel",
                 "/procurement/workbench"):
        response = client.get(path, headers=zh)
        assert response.status_code == 200 and "采购工作台" in response.get_data(as_text=True), path


def test_the_call_page_includes_every_registered_section_with_its_context(app, client, calls_world, monkeypatch):
    from jinja2 import ChoiceLoader, DictLoader

    from portal.procurement import sections

    probe = DictLoader({"procurement/_probe_section.html": '<p id="probe">{{ word }} #{{ call.id }}</p>'})
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([probe, app.jinja_env.loader]))

    def handler(call, user):
        return ("procurement/_probe_section.html", {"word": "探针"}) if user.is_anonymous else None

    sections.call_page_sections.register(handler)
    try:
        call = _published(calls_world)
        html = client.get(f"/procurement/calls/{call.id}").get_data(as_text=True)
    finally:
        sections.call_page_sections._handlers.remove(handler)
    assert f'<p id="probe">探针 #{call.id}</p>' in html


def test_the_workbench_lists_the_actions_other_modules_contribute(client, login_as, calls_world):
    from portal.procurement import sections

    call = make_call(calls_world.department, calls_world.official, status=CLOSED, title="待评标的项目")

    def handler(seen):
        return [("Name the panel", f"/procurement/calls/{seen.id}")] if seen.status == CLOSED else []

    sections.buyer_actions.register(handler)
    try:
        login_as(calls_world.official)
        html = client.get("/procurement/workbench", headers=EN).get_data(as_text=True)
    finally:
        sections.buyer_actions._handlers.remove(handler)
    assert f'<a href="/procurement/calls/{call.id}">Name the panel</a>' in html
    assert call.title in html.split('id="group-evaluation"')[1].split("</section>")[0]
