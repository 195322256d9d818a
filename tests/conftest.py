"""Fixtures: an app on a fresh database, its test client and CLI runner, and real servers.

``SUPPORT_TEST_DATABASE_URL`` (a PostgreSQL URL) makes every test run on PostgreSQL, each on a
database of its own; without it, each test gets a fresh SQLite file.
"""

from __future__ import annotations

import os

import pytest

from support import create_app
from support.cli import upgrade_schema
from support.ratelimit import limiter
from support.services.presence import presence
from tests import helpers


@pytest.fixture
def database_url(tmp_path):
    url, drop = helpers.fresh_database_url(tmp_path)
    yield url
    drop()


@pytest.fixture
def app(tmp_path, database_url):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret-key",
            "ASYNC_MODE": "threading",
            "IDENTITY_SECRET": "identity-secret",
            "PRESENCE_GRACE_SECONDS": 0,
            "WTF_CSRF_ENABLED": False,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        upgrade_schema(app)
    limiter.reset()
    presence.reset()
    yield app
    with app.app_context():
        from support.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context, for calling services directly."""
    with app.app_context():
        yield app


@pytest.fixture(scope="session")
def server_factory(tmp_path_factory):
    """Start real ``support serve`` processes; all are stopped at the end of the session."""
    started: list[helpers.Server] = []

    def start(**env) -> helpers.Server:
        server = helpers.Server.start(tmp_path_factory.mktemp("server"), env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.discard()


@pytest.fixture(scope="module")
def server(server_factory):
    """One real server per test module, with an admin and two agents (see ``helpers.AGENTS``),
    discarded with its module so that finished modules hold no database connections."""
    server = server_factory()
    yield server
    server.discard()


def pytest_report_header(config):
    url = os.environ.get("SUPPORT_TEST_DATABASE_URL")
    return f"database: {'PostgreSQL ' + url if url else 'SQLite'}"


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped test is a failure: browser and PostgreSQL tests must really run there."""
    if os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and session.exitstatus == 0:
        reporter.write_line(
            f"CI: {len(skipped)} test(s) skipped; in CI that is a failure", red=True
        )
        session.exitstatus = 1


SERVER_LOG_LINES = 80


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test that used a real server shows the end of that server's log, so a failure
    seen only in CI comes with the traceback the server logged (an ``internal`` error ack says
    no more than that one was logged)."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    servers = [v for v in getattr(item, "funcargs", {}).values() if isinstance(v, helpers.Server)]
    for server in servers:
        try:
            lines = server.log.read_text(errors="replace").splitlines()[-SERVER_LOG_LINES:]
        except OSError:
            continue
        report.sections.append((f"server log {server.url} (last lines)", "\n".join(lines)))
