"""Who may read notifications: each person their own, nobody else's."""


def can_read_notifications(user) -> bool:
    return user.is_authenticated


def can_read_notification(user, notification) -> bool:
    return user.is_authenticated and notification.user_id == user.id
