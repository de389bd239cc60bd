"""Public questions (答疑) on an open call: anyone signed in asks until `questions_until`, the buyer answers, and
every question with its answer is shown to all. The asker is never shown publicly (it is kept for the audit
log only), so a bidder can ask without revealing its interest."""
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit import service as audit
from portal.core.errors import DomainError, IllegalTransition
from portal.core.formatting import local_datetime
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications import service as notifications
from portal.procurement.call_rules import clean_text
from portal.procurement.models import DRAFT, PUBLISHED, Call, CallQuestion


class QuestionsClosed(DomainError):
    def __init__(self, message: str):
        super().__init__(message, field="question", code="questions_closed")


def ask_question(call: Call, user, text: str) -> CallQuestion:
    now = utcnow()
    if call.status != PUBLISHED:
        raise QuestionsClosed(_("This call is not taking questions."))
    if call.questions_until is None or now >= call.questions_until:
        raise QuestionsClosed(_("Questions closed on %(when)s; the answers given stay on this page.",
                                when=local_datetime(call.questions_until)))
    text = clean_text(text, "question", 2_000, _("Write your question."))
    question = CallQuestion(call_id=call.id, asked_by_id=user.id, question=text, asked_at=now)
    db.session.add(question)
    db.session.flush()
    audit.record("call.question_asked", "call_question", question.id, actor=user, after={"call_id": call.id})
    return question


def answer_question(question: CallQuestion, official, text: str) -> CallQuestion:
    call = db.session.get(Call, question.call_id)
    if call.status == DRAFT:
        raise IllegalTransition(_("A draft has no questions to answer."))
    if question.answer is not None:
        raise IllegalTransition(_("This question is answered already; amend the call if the answer must change."))
    question.answer = clean_text(text, "answer", 5_000, _("Write the answer."))
    question.answered_by_id = official.id
    question.answered_at = utcnow()
    db.session.flush()
    notifications.notify(question.asked_by_id, "call_answered", call.title,
                         body=_("Your question was answered: %(answer)s", answer=question.answer),
                         url=url_for("procurement.call_detail", call_id=call.id) + "#questions")
    audit.record("call.question_answered", "call_question", question.id, actor=official,
                 after={"call_id": call.id, "answer": question.answer})
    return question


def questions_of(call: Call) -> list[CallQuestion]:
    return list(db.session.scalars(select(CallQuestion).where(CallQuestion.call_id == call.id)
                                   .order_by(CallQuestion.asked_at, CallQuestion.id)))
