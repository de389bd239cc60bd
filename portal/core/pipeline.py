"""Statements sent together at the end of a unit of work: the write queue, and psycopg's pipeline mode.

A unit of work on the hot path (a webhook gift: portal.funds.ledger.hot_rows_last opens the queue for its
block) does not need its plain writes (the donation's new status, its audit record, the event's outcome)
back before it commits. `queue(statement, parameters)` keeps them, as Core or text statements built once,
and the block's owner sends them with its last statements in one round trip (`take()` and `run()`), so
the ORM's unit of work and one round trip per statement are not paid on every gift. Outside an open queue,
or inside a savepoint opened within the block (a rolled-back savepoint must take its writes with it),
`queue` runs the statement at once. Nothing may read a queued row's new values through SQL before the
queue is sent: `run_queued_then(read)` sends the queue with the read that needs it.

`run(statements, commit)` sends (statement, parameters) pairs in order: on PostgreSQL at once in psycopg's
pipeline mode (the server still runs them one after the other, so rows are locked in the order given, but
the caller waits for one network round trip, not one per statement plus a turn of the worker's GIL between
each), and the COMMIT with them if asked; elsewhere one by one through the session.
"""
from contextlib import nullcontext
from functools import lru_cache

from sqlalchemy import bindparam
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import attributes

from portal.extensions import db

_QUEUE = "core.pipeline.queue"


class _Queue:
    def __init__(self, transaction):
        self.transaction = transaction
        self.statements: list[tuple] = []


def _current_transaction(session=None):
    session = session or db.session()
    return session.get_nested_transaction() or session.get_transaction()


def open_queue() -> None:
    """Start keeping queued writes for the session's current transaction (ledger.hot_rows_last)."""
    db.session.info[_QUEUE] = _Queue(_current_transaction())


def close_queue() -> None:
    db.session.info.pop(_QUEUE, None)


def _open() -> _Queue | None:
    session = db.session()  # the scoped session looked up once (each `db.session.x` looks it up again)
    queue_ = session.info.get(_QUEUE)
    if queue_ is None or _current_transaction(session) is not queue_.transaction:
        return None
    return queue_


def queueing() -> bool:
    """True inside an open queue at its own transaction level (where `queue` waits)."""
    return _open() is not None


def queue(statement, parameters: dict) -> None:
    """Run the statement with the unit of work's last statements (or at once when no queue is open here)."""
    queue_ = _open()
    if queue_ is None:
        db.session.execute(statement, parameters)
    else:
        queue_.statements.append((statement, parameters))


def take() -> list[tuple]:
    """The queued (statement, parameters) pairs, in order; the queue is empty afterwards."""
    queue_ = db.session.info.get(_QUEUE)
    if queue_ is None or not queue_.statements:
        return []
    statements, queue_.statements = queue_.statements, []
    return statements


def run_queued_then(statement, parameters: dict) -> list:
    """Send what is queued and then the read that must see it, together; the read's rows."""
    return run([*take(), (statement, parameters)], fetch_last=True)


def save_columns(obj, table, **values) -> None:
    """Write these columns of a row with one queued UPDATE by its id, and keep the object in step without
    the ORM's flush: the values become its loaded state, and any other column change still pending on a
    loaded object is written by the same UPDATE. The caller holds the row's lock."""
    state = attributes.instance_state(obj)
    if state.persistent:
        for key in state.committed_state:  # changed by attribute since it was loaded
            if key in table.c:
                values.setdefault(key, state.dict.get(key))
    for key, value in values.items():
        attributes.set_committed_value(obj, key, value)
    if state.persistent and not state.committed_state:
        # nothing left to flush on it: out of the session's list of modified objects (SQLAlchemy's own
        # step after a flush), so the next flush does not walk it
        state._commit_all(state.dict, db.session().identity_map)
    queue(_update_by_id(table, tuple(sorted(values))), {"row_id": obj.id, **values})


@lru_cache(maxsize=64)
def _update_by_id(table, columns: tuple[str, ...]):
    return (table.update().where(table.c.id == bindparam("row_id"))
            .values({column: bindparam(column) for column in columns}))


def run(statements: list[tuple], commit: bool = False, fetch_last: bool = False):
    """Run (statement, parameters) pairs in order, then COMMIT if asked (the caller then ends the session's
    transaction with db.session.commit()); with fetch_last, return the last statement's rows."""
    session = db.session()
    if session.get_bind().dialect.name != "postgresql" or not _pipeline_supported():
        result = None
        for statement, parameters in statements:
            result = session.execute(statement, parameters)
        return result.all() if fetch_last and result is not None else None
    return _run_on_psycopg(session, statements, commit, fetch_last)


def fetch(statement, parameters: dict) -> list:
    """One statement built once (Core or text, of plain columns) and its rows, straight through psycopg on
    PostgreSQL: a webhook gift's few statements skip SQLAlchemy's execution and result machinery, which
    cost more CPU than the statements. Rows are the driver's (no result types): plain columns only."""
    return run([(statement, parameters)], fetch_last=True)


def _run_on_psycopg(session, statements: list[tuple], commit: bool, fetch_last: bool):
    import psycopg

    connection = session.connection()
    # only the real transaction is committed here: a session joined to an outer transaction through a
    # savepoint (the tests' rolled-back transaction) commits by releasing its savepoint, as SQLAlchemy does
    commit = commit and not connection.in_nested_transaction()
    raw = connection.connection.driver_connection
    cursors = []
    events = connection._has_events or connection.engine._has_events
    try:
        with raw.pipeline() if len(statements) > 1 or commit else _NO_PIPELINE:
            for statement, parameters in statements:
                cursor = raw.cursor()
                cursors.append(cursor)
                sql, parameters = _for_psycopg(statement, connection.dialect, parameters)
                if events:
                    # statement counters (the tests' count_queries) and loggers see these statements too
                    connection.dispatch.before_cursor_execute(connection, cursor, sql, parameters, None, False)
                cursor.execute(sql, parameters)
            if commit:
                raw.commit()  # queued in the pipeline, sent with the statements
        return cursors[-1].fetchall() if fetch_last and cursors else None
    except psycopg.Error as error:  # as SQLAlchemy raises it, so portal.core.retry sees a deadlock
        statement, parameters = statements[0] if statements else ("COMMIT", {})
        raise DBAPIError.instance(str(statement), parameters, error, psycopg.Error,
                                  dialect=connection.dialect) from error
    finally:
        for cursor in cursors:
            cursor.close()


_NO_PIPELINE = nullcontext()


@lru_cache(maxsize=1)
def _pipeline_supported() -> bool:
    import psycopg

    return psycopg.Pipeline.is_supported()


def _for_psycopg(statement, dialect, parameters: dict) -> tuple[str, dict]:
    """The SQL and parameters as psycopg takes them, through the columns' types (JSON, UTC times)."""
    compiled, processors = _compiled(statement, dialect)
    parameters = compiled.construct_params(parameters)  # with the statement's own literals
    if processors:
        parameters = {name: processors[name](value) if name in processors else value
                      for name, value in parameters.items()}
    return compiled.string, parameters


@lru_cache(maxsize=128)
def _compiled(statement, dialect):
    compiled = statement.compile(dialect=dialect)
    return compiled, dict(compiled._bind_processors)
