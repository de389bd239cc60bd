"""Drafting and publishing a call: what is stored, and each refusal with its clear message and nothing stored."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.core.errors import ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db
from portal.needs.models import ANSWERED, NeedLink
from portal.orgs.models import PENDING
from portal.procurement import calls
from portal.procurement.call_rules import CriterionDraft, LineDraft, LotDraft
from portal.procurement.models import DRAFT, PUBLISHED, QUALITY, ROADSHOW, Call, CallNeed, Lot, LotLine
from tests.factories.orgs import make_organisation
from tests.factories.procurement import make_catalogue_item
from tests.procurement import calls_support
from tests.procurement.calls_support import EN, RUBRIC, form_data, good_details

calls_world = calls_support.calls_world  # the fixture


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _refused_draft(world, message, **overrides):
    with pytest.raises(ValidationFailed, match=message) as refused:
        calls.create_draft(world.department, world.official, good_details(world, **overrides))
    assert (_count(Call), _count(Lot), _count(LotLine)) == (0, 0, 0)
    return refused.value


def _refused_publish(world, message, **overrides):
    call = calls.create_draft(world.department, world.official, good_details(world, **overrides))
    events = _count(AuditEvent)
    with pytest.raises(ValidationFailed, match=message) as refused:
        calls.publish_call(call, world.official)
    db.session.rollback()  # what the request boundary does with a refused step
    assert db.session.get(Call, call.id) is None or db.session.get(Call, call.id).status == DRAFT
    assert _count(NeedLink) == 0
    assert _count(AuditEvent) <= events
    return refused.value


def test_a_draft_stores_the_call_its_lots_lines_criteria_and_needs(calls_world):
    call = calls.create_draft(calls_world.department, calls_world.official, good_details(calls_world))
    assert call.status == DRAFT and call.reference.endswith("-001")
    assert [(lot.number, lot.budget_cap_minor, [line.quantity for line in lot.lines]) for lot in call.lots] == [
        (1, 30_000_000, [4000])]
    assert [(c.kind, c.weight) for c in call.criteria] == [("price", 30), ("quality", 40), ("quality", 30)]
    assert db.session.scalars(select(CallNeed.need_id)).all() == [calls_world.need.id]


def test_a_price_floor_at_or_above_the_cap_is_refused(calls_world):
    error = _refused_draft(calls_world, "floor must be below the budget cap", price_floor_minor=30_000_000)
    assert error.field == "price_floor"


def test_a_place_outside_the_departments_place_is_refused(calls_world):
    _refused_draft(calls_world, "within 西陵区", place_id=calls_world.other["other_district"].id)


def test_lot_caps_above_the_call_cap_are_refused(calls_world):
    lots = [LotDraft("甲", 20_000_000, 1, [LineDraft(calls_world.item.id, 4000)]),
            LotDraft("乙", 20_000_000, 1, [LineDraft(calls_world.item.id, 4000)])]
    _refused_draft(calls_world, "more than the call's cap", lots=lots)


def test_a_lot_cap_above_its_lines_at_the_catalogue_ceilings_is_refused(calls_world):
    lots = [LotDraft("甲", 30_000_000, 1, [LineDraft(calls_world.item.id, 100)])]  # 100 h x 80 yuan = 8,000 yuan
    _refused_draft(calls_world, "more than its lines can cost", lots=lots)


def test_an_item_of_another_department_is_refused(calls_world):
    from tests.factories.procurement import make_department

    foreign = make_catalogue_item(make_department(calls_world.tree["street"]), ceiling_minor=90_000)
    _refused_draft(calls_world, "purchase catalogue", lots=[LotDraft("甲", 1_000_000, 1, [LineDraft(foreign.id, 20)])])


def test_a_call_without_lots_is_refused(calls_world):
    _refused_draft(calls_world, "at least one lot", lots=[])


def test_weights_not_adding_up_to_100_refuse_publishing(calls_world):
    criteria = [CriterionDraft("price", "价格", 30), CriterionDraft(QUALITY, "方案", 40, RUBRIC)]
    error = _refused_publish(calls_world, "add up to 70; they must add up to 100", criteria=criteria)
    assert error.field == "criteria"


def test_an_open_tender_without_a_price_criterion_is_not_published(calls_world):
    criteria = [CriterionDraft(QUALITY, "方案", 60, RUBRIC), CriterionDraft(QUALITY, "团队", 40, RUBRIC)]
    _refused_publish(calls_world, "exactly one criterion", criteria=criteria)


def test_a_quality_criterion_without_a_rubric_is_not_published(calls_world):
    criteria = [CriterionDraft("price", "价格", 30), CriterionDraft(QUALITY, "方案", 70, "")]
    _refused_publish(calls_world, "needs a rubric", criteria=criteria)


def test_dates_in_the_past_refuse_publishing(calls_world):
    past = utcnow() - timedelta(hours=1)
    error = _refused_publish(calls_world, "deadline must be in the future", questions_until=past - timedelta(days=1),
                             bids_until=past)
    assert error.field == "bids_until"


def test_questions_closing_after_the_deadline_are_refused(calls_world):
    now = utcnow()
    _refused_draft(calls_world, "Questions must close before the bid deadline",
                   questions_until=now + timedelta(days=11), bids_until=now + timedelta(days=10))


def test_a_contest_without_a_roadshow_is_not_published(calls_world):
    criteria = [CriterionDraft(QUALITY, "方案", 60, RUBRIC), CriterionDraft(ROADSHOW, "路演投票", 40)]
    _refused_publish(calls_world, "holds a public roadshow", mode="contest", criteria=criteria)


def test_a_contest_without_a_roadshow_criterion_is_not_published(calls_world):
    bids_until = utcnow() + timedelta(days=10)
    _refused_publish(calls_world, "add a roadshow criterion", mode="contest",
                     roadshow_starts_at=bids_until + timedelta(days=2), roadshow_ends_at=bids_until + timedelta(days=3))


def test_a_roadshow_before_the_deadline_is_refused(calls_world):
    bids_until = utcnow() + timedelta(days=10)
    criteria = [CriterionDraft(QUALITY, "方案", 60, RUBRIC), CriterionDraft(ROADSHOW, "路演投票", 40)]
    _refused_publish(calls_world, "after the bid deadline", mode="contest", criteria=criteria,
                     roadshow_starts_at=bids_until - timedelta(days=1), roadshow_ends_at=bids_until)


def test_a_direct_grant_without_an_invited_organisation_is_not_published(calls_world):
    error = _refused_publish(calls_world, "names the verified organisation", mode="direct_grant")
    assert error.field == "invited_organisation"


def test_a_direct_grant_to_an_unverified_organisation_is_not_published(calls_world):
    pending = make_organisation(calls_world.org_admin, calls_world.tree["community"], status=PENDING)
    _refused_publish(calls_world, "names the verified organisation", mode="direct_grant",
                     invited_organisation_id=pending.id)


def test_a_call_with_no_need_no_consultation_and_no_reason_is_not_published(calls_world):
    error = _refused_publish(calls_world, "say publicly why it answers neither", need_ids=[])
    assert error.field == "no_need_reason"


def test_a_call_with_a_written_reason_for_no_need_is_published(calls_world):
    call = calls.create_draft(calls_world.department, calls_world.official,
                              good_details(calls_world, need_ids=[], no_need_reason="区级年度统一购买计划"))
    calls.publish_call(call, calls_world.official)
    assert call.status == PUBLISHED and call.published_at is not None


def test_a_contest_with_its_roadshow_is_published(calls_world):
    bids_until = utcnow() + timedelta(days=10)
    criteria = [CriterionDraft(QUALITY, "方案", 60, RUBRIC), CriterionDraft(ROADSHOW, "路演投票", 40)]
    call = calls.create_draft(calls_world.department, calls_world.official, good_details(
        calls_world, mode="contest", criteria=criteria, roadshow_starts_at=bids_until + timedelta(days=2),
        roadshow_ends_at=bids_until + timedelta(days=2, hours=3), roadshow_place="社区活动中心"))
    calls.publish_call(call, calls_world.official)
    assert call.status == PUBLISHED and call.roadshow_place == "社区活动中心"


def test_publishing_links_each_need_through_the_needs_domain(calls_world):
    call = calls.create_draft(calls_world.department, calls_world.official, good_details(calls_world))
    calls.publish_call(call, calls_world.official)
    link = db.session.scalar(select(NeedLink))
    assert (link.need_id, link.target_type, link.target_id) == (calls_world.need.id, "tender", call.id)
    assert calls_world.need.status == ANSWERED


def test_the_draft_form_saves_a_draft(client, login_as, calls_world):
    login_as(calls_world.official)
    path = f"/procurement/departments/{calls_world.department.id}/calls/new"
    response = client.post_form(path, form_data(calls_world), headers=EN)
    assert response.status_code == 302
    call = db.session.scalar(select(Call))
    assert response.headers["Location"].endswith(f"/procurement/calls/{call.id}")
    assert (call.budget_cap_minor, call.price_floor_minor, [line.quantity for line in call.lots[0].lines]) == (
        30_000_000, 15_000_000, [4000])


def test_the_draft_form_shows_a_bad_floor_beside_its_field_and_stores_nothing(client, login_as, calls_world):
    login_as(calls_world.official)
    path = f"/procurement/departments/{calls_world.department.id}/calls/new"
    response = client.post_form(path, form_data(calls_world, price_floor="400000"), headers=EN)
    assert response.status_code == 400
    assert "The price floor must be below the budget cap" in response.get_data(as_text=True)
    assert _count(Call) == 0


def test_the_draft_form_opens_with_rows_to_fill(client, login_as, calls_world):
    login_as(calls_world.official)
    html = client.get(f"/procurement/departments/{calls_world.department.id}/calls/new", headers=EN).get_data(
        as_text=True)
    assert 'name="lots-0-lines-1-item"' in html and 'name="criteria-3-kind"' in html
    assert calls_world.item.name in html and calls_world.need.title in html


def test_an_official_of_another_district_cannot_open_the_draft_form(client, login_as, calls_world):
    login_as(calls_world.outsider)
    assert client.get(f"/procurement/departments/{calls_world.department.id}/calls/new").status_code == 404


def test_publishing_from_the_page_with_no_need_and_no_reason_says_why_and_stays_a_draft(client, login_as, calls_world):
    call = calls.create_draft(calls_world.department, calls_world.official, good_details(calls_world, need_ids=[]))
    login_as(calls_world.official)
    response = client.post_form(f"/procurement/calls/{call.id}/publish", token_from=f"/procurement/calls/{call.id}",
                                headers=EN, follow_redirects=True)
    assert "say publicly why it answers neither" in response.get_data(as_text=True)
    assert db.session.get(Call, call.id).status == DRAFT and _count(NeedLink) == 0


def test_publishing_from_the_page_opens_the_call(client, login_as, calls_world):
    call = calls.create_draft(calls_world.department, calls_world.official, good_details(calls_world))
    login_as(calls_world.official)
    response = client.post_form(f"/procurement/calls/{call.id}/publish", token_from=f"/procurement/calls/{call.id}")
    assert response.status_code == 302
    assert db.session.get(Call, call.id).status == PUBLISHED


def test_the_edit_form_shows_the_draft_and_saves_changes(client, login_as, calls_world):
    call = calls.create_draft(calls_world.department, calls_world.official, good_details(calls_world))
    login_as(calls_world.official)
    html = client.get(f"/procurement/calls/{call.id}/edit", headers=EN).get_data(as_text=True)
    assert 'value="300000"' in html and 'value="4000"' in html and "团队与经验" in html
    response = client.post_form(f"/procurement/calls/{call.id}/edit", form_data(calls_world, title="改过的标题"))
    assert response.status_code == 302
    assert db.session.get(Call, call.id).title == "改过的标题"


def test_a_reference_taken_meanwhile_is_skipped(calls_world):
    first = calls.create_draft(calls_world.department, calls_world.official, good_details(calls_world))
    first.reference = first.reference[:-3] + "002"  # as if another draft had taken the next number
    db.session.flush()
    second = calls.create_draft(calls_world.department, calls_world.official, good_details(calls_world))
    assert second.reference.endswith("-003")
