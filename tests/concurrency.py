"""Races on PostgreSQL: run jobs in threads that meet at one instant, then delete the rows they committed.

The race tests (marked postgres_only and no_db_session) work outside the per-test rolled-back transaction: each
thread has its own app context, session and connection and commits, as two worker processes do. So each test
makes its own rows and deletes them afterwards; audit rows (and the ledger) are append-only through triggers,
so the deletion runs with triggers off (`SET LOCAL session_replication_role = replica`).
"""
import threading
from collections.abc import Callable, Iterable
from typing import NamedTuple

from sqlalchemy import Integer, delete, func, select, text

from portal.extensions import db


class Outcome(NamedTuple):
    results: list  # what each job returned, in the order the threads committed
    refused: list  # the exceptions of the `refusals` types (a job told no), rolled back
    errors: list  # repr() of any other exception: a test asserts there is none


def run_at_once(app, jobs: Callable | Iterable[Callable], *, workers: int = 2, refusals: tuple = (),
                wait_timeout: float = 30, join_timeout: float = 60) -> Outcome:
    """Run `jobs` (a list, or one job `workers` times) each in its own thread and app context.

    A job is called as `job(wait)` and must call `wait()` where the threads meet (a barrier): after loading
    what it needs, or first of all to touch the connection pool only together. When the job returns, its
    session commits and the returned value goes into `results`; if it raises, its session rolls back.
    """
    jobs = list(jobs) if isinstance(jobs, Iterable) else [jobs] * workers
    barrier = threading.Barrier(len(jobs))
    outcome = Outcome([], [], [])

    def wait():
        barrier.wait(timeout=wait_timeout)

    def run(job):
        with app.app_context():
            try:
                result = job(wait)
                db.session.commit()
                outcome.results.append(result)
            except refusals as refusal:
                db.session.rollback()
                outcome.refused.append(refusal)
            except Exception as error:  # noqa: BLE001  (collected: the thread must not die silently)
                db.session.rollback()
                outcome.errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=join_timeout)
    return outcome


def max_id(table: str) -> int:
    """The highest id of `table` now (0 if empty): rows made afterwards are above it."""
    return db.session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}"))


# The last deletions of a race test's own world (ids: contract, department, organisation, users, places and
# audit_mark, the highest audit id before the test), after the rows of its domain.
CONTRACT_ROWS = ("DELETE FROM milestones WHERE contract_id = :contract",
                 "DELETE FROM contract_lines WHERE contract_id = :contract",
                 "DELETE FROM contracts WHERE id = :contract",
                 "DELETE FROM departments WHERE id = :department")
WORLD_ROWS = ("DELETE FROM role_assignments WHERE user_id = ANY(:users)",
              "DELETE FROM organisations WHERE id = :organisation",
              "DELETE FROM audit_events WHERE id > :audit_mark",
              "DELETE FROM users WHERE id = ANY(:users)",
              "DELETE FROM places WHERE id = ANY(:places)")


def delete_committed(statements: Iterable, params: dict | None = None) -> None:
    """Run the DELETE `statements` (SQL text or SQLAlchemy statements) in one transaction, triggers off."""
    with db.engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            connection.execute(text(statement) if isinstance(statement, str) else statement, params or {})


def snapshot() -> dict:
    """The highest id of every table with an integer id (audit_events apart: see `delete_since`)."""
    return {t.name: db.session.scalar(select(func.max(t.c.id))) or 0
            for t in db.metadata.sorted_tables
            if "id" in t.c and isinstance(t.c.id.type, Integer) and t.name != "audit_events"}


def delete_since(before: dict, audit_mark: int, *first) -> None:
    """Delete every row made since `snapshot()` returned `before`, and the audit rows above `audit_mark`.

    `first`: statements for rows without an integer id of their own, run before the tables are swept."""
    sweep = [delete(table).where(table.c.id > before[table.name])
             for table in reversed(db.metadata.sorted_tables) if table.name in before]
    delete_committed([text("DELETE FROM audit_events WHERE id > :mark").bindparams(mark=audit_mark),
                      *first, *sweep])
