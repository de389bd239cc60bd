"""Evaluation (评标): the buyer names a panel and starts the evaluation; each evaluator declares conflicts of
interest for every bidding organisation before any bid is shown, is recused where conflicted, scores each
quality sub-criterion 0-5 with a comment, and submits a sheet. Blind: nobody sees another evaluator's scores
until the whole panel has submitted.

Only this module writes panel members, conflict declarations and scores. Services flush, never commit, and
audit every step (CONTRIBUTING.md, "A service action").
"""
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload

from portal.audit import service as audit
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db
from portal.procurement import policy, steps
from portal.procurement.bids import read_bid_content
from portal.procurement.models import (
    CLOSED,
    DISQUALIFIED,
    EVALUATION,
    QUALITY,
    VALID,
    AwardCriterion,
    Bid,
    Call,
    ConflictDeclaration,
    PanelMember,
    Score,
)

MIN_PANEL = 1  # a call may be evaluated by one evaluator (a small grant), but the page warns below three
RECOMMENDED_PANEL = 3
NOTE_MAX, COMMENT_MAX = 500, 2000


# --- reading -------------------------------------------------------------------------------------------
def panel_of(call: Call) -> list[PanelMember]:
    return list(db.session.scalars(select(PanelMember).where(PanelMember.call_id == call.id)
                                   .order_by(PanelMember.named_at, PanelMember.user_id)))


def member_of(call: Call, user) -> PanelMember | None:
    return db.session.get(PanelMember, (call.id, user.id)) if user.is_authenticated else None


def quality_criteria(call: Call) -> list:
    return [c for c in call.criteria if c.kind == QUALITY]


def evaluated_bids(call: Call) -> list[Bid]:
    """The opened bids the panel scores (a disqualified bid is not scored)."""
    return list(db.session.scalars(select(Bid).options(joinedload(Bid.organisation), joinedload(Bid.lot))
                                   .where(Bid.call_id == call.id, Bid.status == VALID).order_by(Bid.lot_id, Bid.id)))


def bidding_organisations(call: Call) -> list:
    """Every organisation with an opened bid in the call (valid or disqualified): each is declared for."""
    from portal.orgs.models import Organisation

    ids = select(Bid.organisation_id).where(Bid.call_id == call.id, Bid.status.in_((VALID, DISQUALIFIED)))
    return list(db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)))


def declarations_of(call: Call, user) -> dict[int, ConflictDeclaration]:
    rows = db.session.scalars(select(ConflictDeclaration).where(ConflictDeclaration.call_id == call.id,
                                                                ConflictDeclaration.user_id == user.id))
    return {row.organisation_id: row for row in rows}


def recused_organisation_ids(call: Call, user) -> set[int]:
    return {org_id for org_id, row in declarations_of(call, user).items() if row.conflicted}


def recusals(call: Call) -> set[tuple[int, int]]:
    """(evaluator id, organisation id) of every recusal on the call."""
    rows = db.session.execute(select(ConflictDeclaration.user_id, ConflictDeclaration.organisation_id)
                              .where(ConflictDeclaration.call_id == call.id, ConflictDeclaration.conflicted))
    return {(user_id, org_id) for user_id, org_id in rows}


def recusals_of(call_ids: list[int]) -> dict[int, set[tuple[int, int]]]:
    """`recusals` of many calls in one query: call id -> (evaluator id, organisation id) pairs."""
    found: dict[int, set[tuple[int, int]]] = {}
    for call_id, user_id, org_id in db.session.execute(
            select(ConflictDeclaration.call_id, ConflictDeclaration.user_id, ConflictDeclaration.organisation_id)
            .where(ConflictDeclaration.call_id.in_(call_ids), ConflictDeclaration.conflicted)):
        found.setdefault(call_id, set()).add((user_id, org_id))
    return found


def all_submitted(call: Call) -> bool:
    """True when the panel exists and every member has submitted: the scores are no longer blind."""
    members = panel_of(call)
    return bool(members) and all(m.submitted_at is not None for m in members)


def own_scores(call: Call, user) -> dict[tuple[int, int], Score]:
    """(bid id, criterion id) -> this evaluator's score."""
    rows = db.session.scalars(select(Score).where(Score.call_id == call.id, Score.evaluator_id == user.id))
    return {(s.bid_id, s.criterion_id): s for s in rows}


def all_scores(call: Call) -> list[Score]:
    """Every evaluator's scores: for the ranking, never for a page shown to a panel member while blind."""
    return list(db.session.scalars(select(Score).where(Score.call_id == call.id)
                                   .order_by(Score.bid_id, Score.criterion_id, Score.evaluator_id)))


def scores_visible_to(call: Call, user) -> list[Score]:
    """Blindness: an evaluator sees only their own scores until every panel member has submitted; the buyer
    sees them all (the buyer does not score)."""
    if policy.can_manage_call(user, call) or all_submitted(call):
        return all_scores(call)
    return [s for s in all_scores(call) if s.evaluator_id == user.id]


@dataclass
class SheetState:
    """What an evaluator still owes on a call: the next step named for their queue."""
    member: PanelMember
    to_score: int  # bid x criterion cells they must score
    scored: int
    member_call_status: str = ""

    @property
    def step(self) -> str:
        call_status = self.member_call_status
        if call_status == CLOSED:
            return "waiting"
        if call_status != EVALUATION and self.member.submitted_at is None:
            return "closed"
        if self.member.declared_at is None:
            return "declare"
        if self.member.submitted_at is not None:
            return "submitted"
        return "submit" if self.scored >= self.to_score else "score"


def sheet_state(call: Call, user) -> SheetState | None:
    member = member_of(call, user)
    if member is None:
        return None
    recused = recused_organisation_ids(call, user)
    bids = [b for b in evaluated_bids(call) if b.organisation_id not in recused]
    criteria = quality_criteria(call)
    bid_ids = {b.id for b in bids}
    scored = sum(1 for (bid_id, _c) in own_scores(call, user) if bid_id in bid_ids)
    return SheetState(member=member, to_score=len(bids) * len(criteria), scored=scored,
                      member_call_status=call.status)


def queue_of(user) -> list[tuple[Call, SheetState]]:
    """The evaluator's queue: every call whose panel they sit on (most recent first), with what is pending.
    A fixed number of queries however many calls: memberships with their calls, then counts grouped by call."""
    members = list(db.session.scalars(select(PanelMember).where(PanelMember.user_id == user.id)))
    if not members:
        return []
    call_ids = [m.call_id for m in members]
    calls = {c.id: c for c in db.session.scalars(select(Call).where(Call.id.in_(call_ids)))}
    quality = dict(db.session.execute(
        select(AwardCriterion.call_id, func.count()).where(AwardCriterion.call_id.in_(call_ids),
                                                           AwardCriterion.kind == QUALITY)
        .group_by(AwardCriterion.call_id)).all())
    bids = db.session.execute(select(Bid.call_id, Bid.organisation_id, Bid.id)
                              .where(Bid.call_id.in_(call_ids), Bid.status == VALID)).all()
    recused = set(db.session.execute(
        select(ConflictDeclaration.call_id, ConflictDeclaration.organisation_id)
        .where(ConflictDeclaration.user_id == user.id, ConflictDeclaration.call_id.in_(call_ids),
               ConflictDeclaration.conflicted)).all())
    scored_cells = db.session.execute(select(Score.call_id, Score.bid_id)
                                      .where(Score.evaluator_id == user.id, Score.call_id.in_(call_ids))).all()
    rows = []
    for member in members:
        call = calls[member.call_id]
        open_bids = {bid_id for call_id, org_id, bid_id in bids
                     if call_id == call.id and (call.id, org_id) not in recused}
        scored = sum(1 for call_id, bid_id in scored_cells if call_id == call.id and bid_id in open_bids)
        rows.append((call, SheetState(member=member, to_score=len(open_bids) * quality.get(call.id, 0),
                                      scored=scored, member_call_status=call.status)))
    rows.sort(key=lambda row: (row[1].step in ("submitted", "closed"), -row[0].id))
    return rows


# --- the panel (the buyer) -------------------------------------------------------------------------------
def name_panel(call: Call, actor, user_ids) -> list[PanelMember]:
    """Name (or rename) the panel while the bids are opened and the evaluation has not started; the panel is
    fixed from the start. Every member must hold the evaluator role over the call's place."""
    if call.status != CLOSED:
        raise IllegalTransition(_("The panel is named after the opening and before the evaluation starts; "
                                  "this call is %(status)s.", status=_status_label(call)))
    wanted = {int(uid) for uid in user_ids}
    candidates = {u.id: u for u in policy.evaluator_candidates(call)}
    strangers = wanted - candidates.keys()
    if strangers:
        raise ValidationFailed(_("Only people holding the evaluator role for this call's place can sit on its "
                                 "panel."), field="members")
    if len(wanted) < MIN_PANEL:
        raise ValidationFailed(_("Choose at least %(num)d evaluator.", num=MIN_PANEL), field="members")
    before = sorted(m.user_id for m in panel_of(call))
    removed = set(before) - wanted
    if removed:
        db.session.execute(delete(PanelMember).where(PanelMember.call_id == call.id,
                                                     PanelMember.user_id.in_(removed)))
    for user_id in sorted(wanted - set(before)):
        db.session.add(PanelMember(call_id=call.id, user_id=user_id, named_by_id=actor.id, named_at=utcnow()))
    db.session.flush()
    db.session.expire_all()
    audit.record("call.panel_named", "call", call.id, actor=actor, before={"panel": before},
                 after={"panel": sorted(wanted)})
    return panel_of(call)


def start_evaluation(call: Call, actor) -> None:
    """CLOSED -> EVALUATION: the panel is fixed and its members may declare their conflicts."""
    steps.check_call_step(call, EVALUATION)
    if len(panel_of(call)) < MIN_PANEL:
        raise DomainError(_("Name the panel before starting the evaluation."))
    steps.move_call(call, EVALUATION, actor, "call.evaluation_started")
    call.evaluation_started_at = utcnow()
    db.session.flush()
    tell([m.user_id for m in panel_of(call)], call.title,
          _("The evaluation has started. Declare your conflicts of interest, then score the bids."),
          url_for("procurement.declare_conflicts", call_id=call.id))


# --- an evaluator's steps ------------------------------------------------------------------------------
def _member_in_evaluation(call: Call, user) -> PanelMember:
    member = member_of(call, user)
    if member is None:
        raise DomainError(_("You are not on this call's panel."))
    if call.status != EVALUATION:
        raise IllegalTransition(_("This call is not under evaluation (it is %(status)s).",
                                  status=_status_label(call)))
    return member


def declare_conflicts(call: Call, user, answers: dict) -> None:
    """`answers`: organisation id -> (conflicted, note), one for every bidding organisation. Final once made:
    a declaration cannot be taken back after the bids have been seen."""
    member = _member_in_evaluation(call, user)
    if member.declared_at is not None:
        raise DomainError(_("You have already declared your conflicts of interest for this call."))
    organisations = bidding_organisations(call)
    missing = [o.name for o in organisations if o.id not in answers]
    if missing:
        raise ValidationFailed(_("Declare for every bidding organisation; missing: %(names)s.",
                                 names="、".join(missing)))
    rows = {}
    for organisation in organisations:
        conflicted, note = answers[organisation.id]
        note = (note or "").strip()
        if len(note) > NOTE_MAX:
            raise ValidationFailed(_("A note is at most %(num)d characters.", num=NOTE_MAX))
        if conflicted and not note:
            raise ValidationFailed(_("Say what the conflict with %(name)s is.", name=organisation.name))
        rows[organisation.id] = ConflictDeclaration(call_id=call.id, user_id=user.id,
                                                    organisation_id=organisation.id, conflicted=bool(conflicted),
                                                    note=note, declared_at=utcnow())
    db.session.add_all(rows.values())
    member.declared_at = utcnow()
    db.session.flush()
    audit.record("evaluation.conflicts_declared", "call", call.id, actor=user,
                 after={"declarations": {str(org_id): {"conflicted": row.conflicted, "note": row.note}
                                         for org_id, row in rows.items()}})


def open_bid(call: Call, user, bid: Bid) -> dict:
    """The bid's content for a panel member who has declared and is not recused from its organisation; any
    other attempt is a clear 409 and shows nothing."""
    member = _member_in_evaluation(call, user)
    if bid.call_id != call.id or bid.status != VALID:
        raise DomainError(_("This bid is not evaluated in this call."))
    if member.declared_at is None:
        raise DomainError(_("Declare your conflicts of interest for every bidder before you see any bid."))
    if bid.organisation_id in recused_organisation_ids(call, user):
        raise DomainError(_("You declared a conflict of interest with %(name)s: you are recused from its bid "
                            "and cannot see or score it.", name=bid.organisation.name))
    return read_bid_content(bid)


def save_scores(call: Call, user, bid: Bid, entries: dict) -> list[Score]:
    """`entries`: criterion id -> (points, comment) for every quality sub-criterion. All or nothing: a score
    out of 0-5 or without a comment refuses the whole sheet of this bid and stores nothing."""
    member = member_of(call, user)
    open_bid(call, user, bid)  # on the panel, declared, not recused
    if member.submitted_at is not None:
        raise DomainError(_("You have submitted your scores for this call; they can no longer change."))
    criteria = quality_criteria(call)
    clean = {}
    for criterion in criteria:
        points, comment = entries.get(criterion.id, (None, ""))
        if points is None or not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 5:
            raise ValidationFailed(_("Score “%(name)s” from 0 to 5.", name=criterion.name),
                                   field=f"points_{criterion.id}")
        comment = (comment or "").strip()
        if not comment:
            raise ValidationFailed(_("Every score needs a comment: say why “%(name)s” gets %(points)d.",
                                     name=criterion.name, points=points), field=f"comment_{criterion.id}")
        if len(comment) > COMMENT_MAX:
            raise ValidationFailed(_("A comment is at most %(num)d characters.", num=COMMENT_MAX),
                                   field=f"comment_{criterion.id}")
        clean[criterion.id] = (points, comment)
    existing = {cid: s for (bid_id, cid), s in own_scores(call, user).items() if bid_id == bid.id}
    before = {str(cid): [s.points, s.comment] for cid, s in existing.items()}
    saved = []
    for criterion_id, (points, comment) in clean.items():
        score = existing.get(criterion_id)
        if score is None:
            score = Score(call_id=call.id, bid_id=bid.id, criterion_id=criterion_id, evaluator_id=user.id,
                          points=points, comment=comment, scored_at=utcnow())
            db.session.add(score)
        else:
            score.points, score.comment, score.scored_at = points, comment, utcnow()
        saved.append(score)
    db.session.flush()
    audit.record("evaluation.scored", "bid", bid.id, actor=user, before=before or None,
                 after={str(cid): [p, c] for cid, (p, c) in clean.items()})
    return saved


def submit_sheet(call: Call, user) -> PanelMember:
    """Final: every non-recused bid scored on every quality sub-criterion, then no more changes."""
    member = _member_in_evaluation(call, user)
    if member.declared_at is None:
        raise DomainError(_("Declare your conflicts of interest first."))
    if member.submitted_at is not None:
        raise DomainError(_("You have already submitted your scores for this call."))
    state = sheet_state(call, user)
    if state.scored < state.to_score:
        raise DomainError(_("Score every bid you are not recused from before submitting: %(done)d of %(all)d "
                            "scores given.", done=state.scored, all=state.to_score))
    member.submitted_at = utcnow()
    db.session.flush()
    audit.record("evaluation.submitted", "call", call.id, actor=user,
                 after={"evaluator": user.id, "scores": state.scored})
    return member


def _status_label(call: Call) -> str:
    from portal.procurement.models import CALL_STATUSES

    return str(CALL_STATUSES.get(call.status, call.status))


def tell(user_ids, title: str, body: str, url: str) -> None:
    """Notify people of a step that is theirs to follow (the panel, the bidders, an objector)."""
    from portal.notifications import service as notifications

    notifications.notify_many(sorted(set(user_ids)), "procurement", title, body=body, url=url)


def bidder_admin_ids(call: Call) -> list[int]:
    """The admins of every organisation with an opened bid in the call: told of the award and its outcome."""
    from portal.accounts import roles
    from portal.accounts.models import RoleAssignment

    org_ids = select(Bid.organisation_id).where(Bid.call_id == call.id, Bid.status.in_((VALID, DISQUALIFIED)))
    return list(db.session.scalars(select(RoleAssignment.user_id).where(
        RoleAssignment.role == roles.ORG_ADMIN, RoleAssignment.scope_type == roles.SCOPE_ORGANISATION,
        RoleAssignment.scope_id.in_(org_ids))))
