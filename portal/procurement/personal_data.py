"""What purchase of services holds about a person, in their personal-data download: the questions they asked
on calls, their roadshow votes and the objections they filed for an organisation. Bids and scores are records
of organisations and of an evaluator's public duty; they stay (the account's name is erased with it)."""
from sqlalchemy import select

from portal.accounts.personal_data import PersonalDataPart, register, rows
from portal.procurement.models import CallQuestion, Objection, RoadshowVote


def export(user) -> dict:
    return {
        "call_questions": rows(select(CallQuestion).where(CallQuestion.asked_by_id == user.id)
                               .order_by(CallQuestion.id), "id", "call_id", "question", "asked_at", "answer"),
        "roadshow_votes": rows(select(RoadshowVote).where(RoadshowVote.user_id == user.id)
                               .order_by(RoadshowVote.id), "call_id", "bid_id", "voted_at"),
        "objections_filed": rows(select(Objection).where(Objection.filed_by_id == user.id).order_by(Objection.id),
                                 "id", "call_id", "organisation_id", "grounds", "filed_at", "status", "answer"),
    }


register(PersonalDataPart("procurement", export))
