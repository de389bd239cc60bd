"""Pagination of select() statements with a fixed number of queries (one count, one page)."""
from dataclasses import dataclass

from flask import request
from sqlalchemy import func, select

from portal.extensions import db


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(statement, per_page: int = 20) -> Page:
    page = request.args.get("page", 1, type=int) or 1
    page = max(1, page)
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    items = list(db.session.scalars(statement.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items=items, page=page, per_page=per_page, total=total or 0)
