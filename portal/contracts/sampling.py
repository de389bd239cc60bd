"""Resident sampling: a verifier draws a random sample of a report's service records and asks each sampled
resident, through a link on their phone or a grid worker's visit, whether the service happened and how good
it was. The answers (SampleItem.answer CONFIRMED / DENIED) lower the payable units (portal/contracts/payable.py).

- Size: `sample_size(n) = min(n, max(5, ceil(n / 10)))` — every record when there are 5 or fewer, else 10%
  of them but never fewer than 5.
- Draw: `draw(record_ids_sorted, seed, size)` = `random.Random(seed).sample(ids, size)`, sorted. The seed is
  a random hex stored on the Sample, so anyone can redraw it and get the same records (Python's string seeds
  are hashed with SHA-512, the same on every machine and run).
- Links: each item's token is an HMAC of the item under the portal's secret key; only its SHA-256 is stored.
  The verifier's sample page recomputes the links to hand out; the contractor never sees them (policy). A new
  SECRET_KEY makes the links of unanswered items stop working (404): draw-time links are tied to the key.
- An item is answered once, by the first of the link or a visit (a conditional UPDATE decides a race); a
  second answer gets a clear message and stores nothing.
"""
import hashlib
import hmac
import math
import random
import secrets
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts import roles
from portal.accounts.scopes import places_with_role
from portal.audit import service as audit
from portal.contracts.models import (
    CONFIRMED,
    DENIED,
    SUBMITTED,
    VERIFIED,
    DeliveryReport,
    Sample,
    SampleItem,
    ServiceRecord,
)
from portal.core.errors import IllegalTransition, ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db
from portal.places.models import Place

MIN_SAMPLE, SAMPLE_SHARE_PERCENT = 5, 10
VIA_LINK, VIA_VISIT = "link", "visit"


def sample_size(records: int) -> int:
    """min(records, max(5, ceil(10% of records)))."""
    return min(records, max(MIN_SAMPLE, math.ceil(records * SAMPLE_SHARE_PERCENT / 100)))


def draw(record_ids_sorted: list[int], seed: str, size: int) -> list[int]:
    """The sampled ids, sorted: a pure function of its arguments, so a stored seed redraws the same sample."""
    return sorted(random.Random(seed).sample(list(record_ids_sorted), min(size, len(record_ids_sorted))))


def item_token(sample_id: int, record_id: int, seed: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"contract-sample:{sample_id}:{record_id}:{seed}".encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def confirm_url(sample: Sample, item: SampleItem) -> str:
    return url_for("contracts.confirm", token=item_token(sample.id, item.service_record_id, sample.seed),
                   _external=True)


def draw_sample(report: DeliveryReport, user, seed: str | None = None) -> Sample:
    """Draw the report's sample once, from a fresh random seed (the demo passes its own, to stage its visits)."""
    if report.status not in (SUBMITTED, VERIFIED):
        raise IllegalTransition(_("Residents are sampled from a report awaiting verification or verified."))
    if db.session.scalar(select(Sample.id).where(Sample.report_id == report.id)) is not None:
        raise IllegalTransition(_("A sample was already drawn from this report; it is drawn once, so nobody can "
                                  "redraw until it suits them."))
    record_ids = sorted(db.session.scalars(select(ServiceRecord.id).where(ServiceRecord.report_id == report.id)))
    if not record_ids:
        raise ValidationFailed(_("This report has no service records to sample."))
    seed = seed or secrets.token_hex(16)
    size = sample_size(len(record_ids))
    sample = Sample(contract_id=report.contract_id, report_id=report.id, seed=seed, size=size, drawn_by_id=user.id,
                    drawn_at=utcnow())
    db.session.add(sample)
    db.session.flush()
    chosen = draw(record_ids, seed, size)
    for record_id in chosen:
        db.session.add(SampleItem(sample_id=sample.id, service_record_id=record_id,
                                  token_hash=token_hash(item_token(sample.id, record_id, seed))))
    db.session.flush()
    audit.record("sample.drawn", "contract", report.contract_id, actor=user,
                 after={"report_id": report.id, "sample_id": sample.id, "seed": seed, "size": size,
                        "records": len(record_ids), "sampled": chosen})
    return sample


def _clean_answer(happened, quality, comment) -> tuple[str, int | None, str]:
    if happened not in ("yes", "no", True, False):
        raise ValidationFailed(_("Say whether the service happened."), field="happened")
    answer = CONFIRMED if happened in ("yes", True) else DENIED
    if answer == CONFIRMED:
        try:
            quality = int(quality)
        except (TypeError, ValueError):
            quality = None
        if quality is None or not 1 <= quality <= 5:
            raise ValidationFailed(_("Choose how good the service was, from 1 to 5."), field="quality")
    else:
        quality = None
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise ValidationFailed(_("The comment is at most 1000 characters."), field="comment")
    return answer, quality, comment


def _answer(item: SampleItem, happened, quality, comment, via: str, recorder) -> SampleItem:
    answer, quality, comment = _clean_answer(happened, quality, comment)
    result = db.session.execute(
        update(SampleItem).where(SampleItem.id == item.id, SampleItem.answer.is_(None))
        .values(answer=answer, quality=quality, comment=comment, answered_via=via,
                recorded_by_id=getattr(recorder, "id", None), answered_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise IllegalTransition(_("This question was already answered. Thank you: nothing more is needed."))
    db.session.refresh(item)
    sample = item.sample
    audit.record("sample.answered", "contract", sample.contract_id, actor=recorder,
                 after={"sample_id": sample.id, "item_id": item.id, "answer": answer, "quality": quality,
                        "via": via})
    return item


def item_for_token(token: str) -> SampleItem | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(SampleItem).options(joinedload(SampleItem.record))
                             .where(SampleItem.token_hash == token_hash(token)))


def answer_by_link(item: SampleItem, happened, quality, comment) -> SampleItem:
    return _answer(item, happened, quality, comment, VIA_LINK, None)


def record_visit(item: SampleItem, worker, happened, quality, comment) -> SampleItem:
    return _answer(item, happened, quality, comment, VIA_VISIT, worker)


# --- reading -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Share:
    size: int = 0
    answered: int = 0
    confirmed: int = 0

    @property
    def denied(self) -> int:
        return self.answered - self.confirmed

    @property
    def percent(self) -> int | None:
        """Confirmed as a whole percentage of the answered; None before any answer."""
        return None if not self.answered else self.confirmed * 100 // self.answered


def shares_by_report(report_ids: list[int]) -> dict[int, Share]:
    if not report_ids:
        return {}
    rows = db.session.execute(
        select(Sample.report_id, func.count(SampleItem.id), func.count(SampleItem.answer),
               func.coalesce(func.sum(case((SampleItem.answer == CONFIRMED, 1), else_=0)), 0))
        .join(SampleItem, SampleItem.sample_id == Sample.id).where(Sample.report_id.in_(report_ids))
        .group_by(Sample.report_id))
    return {report_id: Share(int(size), int(answered), int(confirmed))
            for report_id, size, answered, confirmed in rows}


def contract_share(shares: dict[int, Share]) -> Share:
    return Share(sum(s.size for s in shares.values()), sum(s.answered for s in shares.values()),
                 sum(s.confirmed for s in shares.values()))


def load_sample(contract_id: int, sample_id: int) -> Sample | None:
    sample = db.session.scalar(select(Sample).options(
        selectinload(Sample.items).joinedload(SampleItem.record).joinedload(ServiceRecord.place))
        .where(Sample.id == sample_id))
    return sample if sample is not None and sample.contract_id == contract_id else None


def load_item(item_id: int) -> SampleItem | None:
    return db.session.scalar(select(SampleItem).options(joinedload(SampleItem.record).joinedload(ServiceRecord.place))
                             .where(SampleItem.id == item_id))


def visits_of(worker) -> tuple[list[SampleItem], list[SampleItem]]:
    """(awaiting an answer, answered on this worker's visits) among the sampled records in the worker's grids."""
    grids = places_with_role(worker, roles.GRID_WORKER)
    if not grids:
        return [], []
    grid_ids = {place.id for place in grids}
    below = select(Place.id).where(Place.id.in_(grid_ids) | Place.parent_id.in_(grid_ids))
    base = (select(SampleItem).join(ServiceRecord, ServiceRecord.id == SampleItem.service_record_id)
            .options(joinedload(SampleItem.record).joinedload(ServiceRecord.place),
                     joinedload(SampleItem.record).joinedload(ServiceRecord.line),
                     joinedload(SampleItem.sample))
            .where(ServiceRecord.place_id.in_(below)))
    awaiting = list(db.session.scalars(base.where(SampleItem.answer.is_(None))
                                       .order_by(ServiceRecord.place_id, SampleItem.id).limit(200)))
    done = list(db.session.scalars(base.where(SampleItem.recorded_by_id == worker.id)
                                   .order_by(SampleItem.answered_at.desc()).limit(50)))
    return awaiting, done
