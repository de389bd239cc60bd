"""The only code that writes notifications: notify one person or many, mark them read.

Titles and bodies are mostly people's own words (a project's title, an update's title), so they are
stored as given; the kind is a code whose label is translated when the list is shown, in the reader's
language. Other domains call notify()/notify_many() from their services, inside their transaction.
"""
from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, update

from portal.core.mail import send_mail
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications.models import Notification

# kind -> label shown above the title; kinds not listed show a generic label
KIND_LABELS = {
    "project_update": _l("New update on a project you follow"),
    "report_reviewed": _l("A results report was reviewed"),
    "report_submitted": _l("A results report awaits your review"),
    "rating_reply": _l("The organisation replied to your rating"),
    "need_triaged": _l("News about a need you back"),
    "waitlist_promoted": _l("You have a place on a shift"),
    "bids_opened": _l("The bids of a call you bid for were opened"),
    "low_price_asked": _l("Explain an abnormally low price"),
    "procurement": _l("News about a call for services"),
    "delivery_report": _l("News about a delivery report"),
}
TITLE_MAX, BODY_MAX, URL_MAX = 200, 2000, 300


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, _l("Notification")))


def _clip(text: str | None, limit: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def notify(user_id: int, kind: str, title: str, body: str = "", url: str = "", email: bool = False) -> Notification:
    """One notification for one person; with `email=True` also a short email in their language."""
    notification = Notification(user_id=user_id, kind=kind[:32], title=_clip(title, TITLE_MAX),
                                body=_clip(body, BODY_MAX), url=(url or "")[:URL_MAX], created_at=utcnow())
    db.session.add(notification)
    db.session.flush()
    if email:
        _email(notification)
    return notification


def notify_many(user_ids, kind: str, title: str, body: str = "", url: str = "") -> int:
    """The same notification for many people (a project's followers) in one INSERT; returns how many."""
    ids = sorted({int(user_id) for user_id in user_ids})
    if not ids:
        return 0
    now = utcnow()
    row = {"kind": kind[:32], "title": _clip(title, TITLE_MAX), "body": _clip(body, BODY_MAX),
           "url": (url or "")[:URL_MAX], "created_at": now}
    db.session.execute(insert(Notification), [{"user_id": user_id, **row} for user_id in ids])
    return len(ids)


def _email(notification: Notification) -> None:
    from portal.accounts.models import User

    user = db.session.get(User, notification.user_id)
    if user is None or not user.is_active_account:
        return
    link = url_for("notifications.index", _external=True)
    with force_locale(user.locale):
        subject = f"{kind_label(notification.kind)}: {notification.title}"
        text = "\n\n".join(part for part in (
            notification.title, notification.body,
            _("Read it on the portal: %(link)s", link=link)) if part)
        send_mail(user.email, _clip(subject, 200), text)


def unread_count(user_id: int) -> int:
    return db.session.scalar(_unread(user_id)) or 0


def unread_count_of(user_id):
    """The count as a scalar subquery of a user id (a value or a column): the sign-in reads it with the person."""
    return _unread(user_id).scalar_subquery()


def _unread(user_id):
    return select(func.count()).select_from(Notification).where(Notification.user_id == user_id,
                                                                Notification.read_at.is_(None))


def load_notification(notification_id: int) -> Notification | None:
    return db.session.get(Notification, notification_id)


def notifications_query(user_id: int):
    return (select(Notification).where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user_id: int) -> int:
    result = db.session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount or 0
