"""The call lifecycle with the controllable clock: every step outside steps.CALL_TRANSITIONS is a 409 that changes
nothing; the buyer's buttons (publish, cancel, reissue, edit, amend) answer 409 from states that refuse them;
an amendment near the deadline extends it and is kept as a revision; questions close on time."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.core.errors import IllegalTransition
from portal.core.time import utcnow
from portal.extensions import db
from portal.procurement import calls, questions, steps
from portal.procurement.call_forms import utc_to_local
from portal.procurement.models import (
    CALL_STATUSES,
    CANCELLED,
    DRAFT,
    PUBLISHED,
    Call,
    CallQuestion,
    CallRevision,
)
from tests.factories.procurement import make_call
from tests.procurement import calls_support
from tests.procurement.calls_support import EN, good_details

calls_world = calls_support.calls_world  # the fixture

ILLEGAL_STEPS = [(before, after) for before in CALL_STATUSES for after in CALL_STATUSES
                 if after not in steps.CALL_TRANSITIONS.get(before, set())]
CANCELLABLE = {status for status, targets in steps.CALL_TRANSITIONS.items() if CANCELLED in targets}


def _audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def _published(world) -> Call:
    call = calls.create_draft(world.department, world.official, good_details(world))
    calls.publish_call(call, world.official)
    return call


@pytest.mark.parametrize(("before", "after"), ILLEGAL_STEPS)
def test_every_step_outside_the_table_is_a_409_that_changes_nothing(calls_world, before, after):
    call = make_call(calls_world.department, calls_world.official, status=before)
    events = _audit_count()
    with pytest.raises(IllegalTransition) as refused:
        steps.move_call(call, after, calls_world.official, "call.published")
    assert refused.value.status_code == 409
    db.session.refresh(call)
    assert call.status == before and _audit_count() == events


@pytest.mark.parametrize("status", [s for s in CALL_STATUSES if s != DRAFT])
def test_publishing_anything_but_a_draft_is_a_409(client, login_as, calls_world, status):
    call = make_call(calls_world.department, calls_world.official, status=status)
    login_as(calls_world.official)
    response = client.post_form(f"/procurement/calls/{call.id}/publish", token_from=f"/procurement/calls/{call.id}")
    assert response.status_code == 409
    assert db.session.get(Call, call.id).status == status


@pytest.mark.parametrize("status", sorted(set(CALL_STATUSES) - CANCELLABLE))
def test_cancelling_from_a_final_state_is_a_409(client, login_as, calls_world, status):
    call = make_call(calls_world.department, calls_world.official, status=status)
    login_as(calls_world.official)
    response = client.post_form(f"/procurement/calls/{call.id}/cancel", {"reason": "预算调整"})
    assert response.status_code == 409
    assert db.session.get(Call, call.id).status == status


@pytest.mark.parametrize("status", sorted(CANCELLABLE))
def test_cancelling_with_a_reason_shows_it_publicly(client, login_as, calls_world, status):
    call = make_call(calls_world.department, calls_world.official, status=status)
    login_as(calls_world.official)
    response = client.post_form(f"/procurement/calls/{call.id}/cancel", {"reason": "上级调整了年度预算"})
    assert response.status_code == 302
    assert db.session.get(Call, call.id).status == CANCELLED
    client.post_form("/logout", token_from="/")
    assert "上级调整了年度预算" in client.get(f"/procurement/calls/{call.id}").get_data(as_text=True)


def test_cancelling_without_a_reason_is_refused_and_changes_nothing(client, login_as, calls_world):
    call = make_call(calls_world.department, calls_world.official, status=PUBLISHED)
    login_as(calls_world.official)
    response = client.post_form(f"/procurement/calls/{call.id}/cancel", {"reason": "  "}, headers=EN)
    assert response.status_code == 400
    assert db.session.get(Call, call.id).status == PUBLISHED


@pytest.mark.parametrize("status", [s for s in CALL_STATUSES if s not in calls.REISSUABLE])
def test_reissuing_a_call_that_did_not_fail_is_a_409(client, login_as, calls_world, status):
    call = make_call(calls_world.department, calls_world.official, status=status)
    login_as(calls_world.official)
    response = client.post_form(f"/procurement/calls/{call.id}/reissue", token_from=f"/procurement/calls/{call.id}")
    assert response.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Call)) == 1


def test_an_unsuccessful_call_is_reissued_as_a_draft_naming_it(client, login_as, calls_world):
    call = _published(calls_world)
    call.status, call.closed_reason = "unsuccessful", "投标不足"
    login_as(calls_world.official)
    page = client.get(f"/procurement/calls/{call.id}", headers=EN).get_data(as_text=True)
    assert "Reissue as a new draft" in page
    response = client.post_form(f"/procurement/calls/{call.id}/reissue", token_from=f"/procurement/calls/{call.id}")
    new = db.session.scalar(select(Call).where(Call.reissue_of_id == call.id))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/calls/{new.id}/edit")
    assert (new.status, new.title, new.bids_until, len(new.lots)) == (DRAFT, call.title, None, 1)


@pytest.mark.parametrize("status", [s for s in CALL_STATUSES if s != DRAFT])
def test_editing_a_call_that_is_not_a_draft_is_a_409(client, login_as, calls_world, status):
    call = make_call(calls_world.department, calls_world.official, status=status, title="原标题")
    login_as(calls_world.official)
    data = calls_support.form_data(calls_world, title="偷偷改的标题")
    response = client.post_form(f"/procurement/calls/{call.id}/edit", data, token_from="/procurement/")
    assert response.status_code == 409
    assert db.session.get(Call, call.id).title == "原标题"


def test_amending_after_the_deadline_is_a_409(client, login_as, clock, calls_world):
    call = _published(calls_world)
    clock.move(days=11)
    login_as(calls_world.official)
    data = calls_support.form_data(calls_world, summary="改描述", description="新的描述")
    response = client.post_form(f"/procurement/calls/{call.id}/amend", data, token_from="/procurement/")
    assert response.status_code == 409
    assert db.session.get(Call, call.id).description == "为辖区独居老人提供上门照护"
    assert db.session.scalar(select(func.count()).select_from(CallRevision)) == 0


def test_an_amendment_near_the_deadline_extends_it_and_is_kept_as_a_revision(calls_world, clock):
    call = _published(calls_world)
    clock.move(days=8)  # two days before the deadline, less than the notice
    details = calls.details_of(call)
    details.description = "增加夜间探访"
    revision = calls.amend_call(call, calls_world.official, details, "增加夜间探访内容")
    expected = utcnow() + timedelta(days=calls.LATE_AMENDMENT_NOTICE_DAYS)
    assert revision.deadline_extended is True
    assert abs((call.bids_until - expected).total_seconds()) < 5
    assert set(revision.changes) == {"description", "bids_until"}
    assert revision.changes["description"] == ["为辖区独居老人提供上门照护", "增加夜间探访"]
    assert (revision.number, call.revision) == (1, 1)


def test_an_amendment_well_before_the_deadline_keeps_it(calls_world):
    call = _published(calls_world)
    deadline = call.bids_until
    details = calls.details_of(call)
    details.budget_cap_minor = 31_000_000
    revision = calls.amend_call(call, calls_world.official, details, "追加预算")
    assert revision.deadline_extended is False and call.bids_until == deadline
    assert revision.changes == {"budget_cap_minor": [30_000_000, 31_000_000]}


def test_an_amendment_that_changes_nothing_is_refused(calls_world):
    call = _published(calls_world)
    with pytest.raises(Exception, match="Nothing changed"):
        calls.amend_call(call, calls_world.official, calls.details_of(call), "没有变化")


def test_the_amend_form_publishes_a_revision_shown_on_the_call_page(client, login_as, clock, calls_world):
    call = _published(calls_world)
    clock.move(days=8)
    login_as(calls_world.official)
    form = client.get(f"/procurement/calls/{call.id}/amend", headers=EN).get_data(as_text=True)
    assert "为辖区独居老人提供上门照护" in form
    shown = {name: utc_to_local(getattr(call, name)).strftime("%Y-%m-%dT%H:%M")
             for name in ("questions_until", "bids_until")}
    data = calls_support.form_data(calls_world, summary="补充夜间探访", description="增加夜间探访", **shown)
    response = client.post_form(f"/procurement/calls/{call.id}/amend", data, headers=EN)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(f"/procurement/calls/{call.id}", headers=EN).get_data(as_text=True)
    assert "补充夜间探访" in page and "the bid deadline was extended" in page


def test_questions_are_taken_until_questions_until_then_refused(client, login_as, clock, calls_world):
    call = _published(calls_world)
    login_as(calls_world.resident)
    path = f"/procurement/calls/{call.id}/questions"
    assert client.post_form(path, {"question": "服务时间是否包括周末？"}, token_from=path[:-10]).status_code == 302
    clock.move(days=6)
    response = client.post_form(path, {"question": "还能问吗？"}, token_from=path[:-10], headers=EN)
    assert response.status_code == 409
    assert "Questions closed on" in response.get_data(as_text=True)
    assert [q.question for q in db.session.scalars(select(CallQuestion))] == ["服务时间是否包括周末？"]


def test_an_answer_is_public_and_the_asker_is_not_shown(client, login_as, calls_world):
    call = _published(calls_world)
    question = questions.ask_question(call, calls_world.resident, "是否接受联合体投标？")
    login_as(calls_world.official)
    path = f"/procurement/calls/{call.id}/questions/{question.id}/answer"
    token = client.csrf_token(f"/procurement/calls/{call.id}")
    prefix = f"q{question.id}-"  # one answer form per question on the page
    response = client.post(path, data={prefix + "answer": "不接受联合体投标。", prefix + "csrf_token": token})
    assert response.status_code == 302
    client.post_form("/logout", token_from="/")
    page = client.get(f"/procurement/calls/{call.id}").get_data(as_text=True)
    assert "是否接受联合体投标？" in page and "不接受联合体投标。" in page
    assert calls_world.resident.display_name not in page


def test_an_official_of_another_district_cannot_answer(client, login_as, calls_world):
    call = _published(calls_world)
    question = questions.ask_question(call, calls_world.resident, "预算含税吗？")
    login_as(calls_world.outsider)
    response = client.post_form(f"/procurement/calls/{call.id}/questions/{question.id}/answer",
                                {f"q{question.id}-answer": "含税"}, token_from="/procurement/")
    assert response.status_code == 404
    assert db.session.get(CallQuestion, question.id).answer is None


def test_an_amendment_tells_the_bidders_but_not_their_prices(calls_world):
    from portal.notifications.models import Notification
    from tests.factories.procurement import make_bid

    call = _published(calls_world)
    make_bid(call, calls_world.organisation, calls_world.org_admin, price_minor=25_000_000)
    details = calls.details_of(call)
    details.eligibility = "须有两年以上居家养老服务经验"
    calls.amend_call(call, calls_world.official, details, "补充资格要求")
    (notice,) = db.session.scalars(select(Notification).where(Notification.user_id == calls_world.org_admin.id))
    assert "补充资格要求" in notice.body and "250,000" not in notice.body
    assert notice.url.endswith(f"/procurement/calls/{call.id}")


def test_the_asker_is_told_when_their_question_is_answered(calls_world):
    from portal.notifications.models import Notification

    call = _published(calls_world)
    question = questions.ask_question(call, calls_world.resident, "周末是否服务？")
    questions.answer_question(question, calls_world.official, "周末也提供服务。")
    (notice,) = db.session.scalars(select(Notification).where(Notification.user_id == calls_world.resident.id,
                                                              Notification.kind == "call_answered"))
    assert "周末也提供服务。" in notice.body


def test_a_question_is_answered_only_once(calls_world):
    call = _published(calls_world)
    question = questions.ask_question(call, calls_world.resident, "周末是否服务？")
    questions.answer_question(question, calls_world.official, "是。")
    with pytest.raises(IllegalTransition, match="answered already"):
        questions.answer_question(question, calls_world.official, "改成否。")
    assert db.session.get(CallQuestion, question.id).answer == "是。"
