"""Test fixtures: one app per session, every test inside a transaction that is rolled back.

The database is SQLite (a temp file) by default, or PostgreSQL when TEST_DATABASE_URL is set.
The schema is built by the migrations, as in production.
"""
import os
import re
import shutil
import tempfile
from email import message_from_bytes
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import text
from sqlalchemy.orm import scoped_session, sessionmaker

from portal import create_app
from portal.extensions import db, limiter

IS_CI = os.environ.get("CI", "").lower() == "true"
TEST_PASSWORD = "Tea-garden-lantern-2026"
_CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


class PortalClient(FlaskClient):
    """Each request gets a fresh app context (fresh `g` and session), as in production.

    The test's own session is flushed before the request (so the request sees the test's rows) and
    expired after it (so the test sees what the request changed).
    """

    def open(self, *args, **kwargs):
        db.session.flush()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response

    def csrf_token(self, path: str = "/login") -> str:
        html = self.get(path).get_data(as_text=True)
        match = _CSRF_RE.search(html)
        assert match, f"no csrf token on {path}"
        return match.group(1) or match.group(2)

    def post_form(self, path: str, data: dict | None = None, token_from: str | None = None, **kwargs):
        """POST a form with a valid CSRF token taken from `token_from` (default: the same path)."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(token_from or path))
        return self.post(path, data=data, **kwargs)


def _reset_postgres_schema(engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def app():
    workdir = Path(tempfile.mkdtemp(prefix="portal-test-"))
    database_url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{workdir / 'test.sqlite3'}"
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    app = create_app({
        "PORTAL_ENV": "test",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_DIR": str(workdir / "uploads"),
        "MAIL_OUTBOX_DIR": str(workdir / "outbox"),
        "SERVER_NAME": "portal.test",
    })
    app.test_client_class = PortalClient
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            _reset_postgres_schema(db.engine)
        from flask_migrate import upgrade

        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(autouse=True)
def _postgres_only(request, app):
    """Tests marked postgres_only (row locks, concurrency, triggers) need PostgreSQL.

    scripts/test deselects them in the SQLite pass and runs them in the PostgreSQL pass, so under CI=true
    reaching one on another database is an error, never a skip.
    """
    if not request.node.get_closest_marker("postgres_only"):
        return
    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect != "postgresql":
        if IS_CI:
            pytest.fail("a postgres_only test ran on a database that is not PostgreSQL")
        pytest.skip("needs PostgreSQL (scripts/test runs it in the PostgreSQL pass)")


@pytest.fixture(autouse=True)
def db_session(request, app, _postgres_only):
    """An app context and a session joined to an outer transaction that is rolled back after the test."""
    if request.node.get_closest_marker("no_db_session"):
        with app.app_context():
            yield None
        return
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        # A plain Session: Flask-SQLAlchemy's own Session would pick the engine, not our connection.
        factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        db.session = scoped_session(factory, scopefunc=_app_ctx_id)
        limiter.reset()
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app):
    """Reads the mail the app sent during this test."""
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    shutil.rmtree(folder, ignore_errors=True)

    def read():
        if not folder.exists():
            return []
        return [message_from_bytes(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]

    return read


def login(client, user_or_email, password: str = TEST_PASSWORD):
    email = getattr(user_or_email, "email", user_or_email)
    response = client.post_form("/login", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


@pytest.fixture
def login_as(client):
    def _login(user, password: str = TEST_PASSWORD):
        return login(client, user, password)

    return _login


@pytest.fixture
def count_queries(app):
    """Counts SQL statements run inside the `with` block: `with count_queries() as counter: ...`."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counter():
        statements = []

        def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before_cursor_execute)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", before_cursor_execute)

    return counter


@pytest.fixture
def clock():
    """The portal's controllable clock: `clock.move(hours=3)` shifts every "now" in the portal (deadlines,
    publicity periods, the background worker's due steps); reset after the test."""
    from datetime import timedelta

    from portal.core import time as portal_time

    class Clock:
        @staticmethod
        def now():
            return portal_time.utcnow()

        @staticmethod
        def move(**delta):
            portal_time.move_clock(timedelta(**delta))

    yield Clock()
    portal_time.reset_clock()
