"""Make the PostgreSQL driver (psycopg 3) cooperate with eventlet and gevent.

psycopg 3 runs every query as a non-blocking libpq exchange and waits for its socket with a
"wait function". With the binary package installed it picks ``wait_c``, which polls the socket
inside C: under eventlet (which psycopg does not detect) that poll blocks the whole process, so
one slow query would freeze every other socket the server holds. ``wait_select`` waits through
``select.select``, which eventlet and gevent replace with a green version that hands control back
to their hub; the connection set-up (``wait_conn``) waits through ``selectors.DefaultSelector``,
which both patch too. This module points psycopg at those, once the process is patched.

SQLite needs nothing here: it is a file, and its waits are bounded by the busy timeout.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

COOPERATIVE_MODES = ("eventlet", "gevent")


def make_psycopg_cooperative(async_mode: str) -> str | None:
    """Choose psycopg's green-friendly wait functions under ``async_mode``.

    Call it after the monkey-patching (``serving.patch_for_serving`` does). Returns the name of
    the wait function in use, or ``None`` when nothing had to change (threads, or no psycopg).
    """
    if async_mode not in COOPERATIVE_MODES:
        return None
    try:
        import selectors

        from psycopg import waiting
    except ImportError:  # SQLite-only installs may lack the driver
        return None
    # Looked up as ``waiting.wait`` on every query, so rebinding takes effect at once, even if
    # psycopg was imported before the patching.
    waiting.wait = waiting.wait_select
    # ``wait_conn`` bound DefaultSelector at import; hand it the patched (green) one.
    waiting.DefaultSelector = selectors.DefaultSelector  # type: ignore[misc]  # a deliberate patch
    if async_mode == "eventlet" and not getattr(waiting.wait_conn, "announces_sockets", False):
        waiting.wait_conn = _announcing_sockets(waiting.wait_conn)
    return "wait_select"


def _announcing_sockets(wait_conn):
    """``wait_conn`` telling eventlet's hub of each socket libpq opens, before waiting on it.

    eventlet forgets a socket's waiters only when it sees that socket's number opened again,
    and it sees only the sockets it makes. A green socket closed while a greenlet still waits on
    it (a WebSocket closed by another greenlet) leaves its waiter behind; libpq, which opens its
    sockets in C, may get the same number for a new connection, and the first wait on it then
    fails ("Second simultaneous read on fileno …"): one chat event answered ``internal``,
    seen in CI on PostgreSQL. ``notify_opened`` is eventlet's call for a socket an external
    library opened."""
    from eventlet.hubs import notify_opened

    def announced(gen):
        announced_fileno = None
        try:
            fileno, ready = next(gen)
            while True:
                if fileno != announced_fileno:
                    notify_opened(fileno)
                    announced_fileno = fileno
                answer = yield fileno, ready
                fileno, ready = gen.send(answer)
        except StopIteration as finished:
            return finished.value

    def wait_conn_announcing(gen, *args, **kwargs):
        return wait_conn(announced(gen), *args, **kwargs)

    wait_conn_announcing.announces_sockets = True
    return wait_conn_announcing


def wait_function_name() -> str | None:
    """The name of psycopg's current wait function (for logs, health pages and tests)."""
    try:
        from psycopg import waiting
    except ImportError:
        return None
    return getattr(waiting.wait, "__name__", repr(waiting.wait))


SQLITE_SYNCHRONOUS = ("NORMAL", "FULL", "EXTRA")


def configure_sqlite(engine, synchronous: str = "NORMAL") -> None:
    """Per connection: enforce foreign keys (as PostgreSQL does, so tests on SQLite catch the
    same mistakes), and use the write-ahead log so readers never wait for the one writer.

    ``synchronous`` (``SUPPORT_SQLITE_SYNCHRONOUS``): with ``NORMAL`` a commit is durable
    across a crash of the process but a power cut may lose the last ones, and no commit waits
    for the disk; ``FULL`` syncs the log at every commit, which also survives a power cut, but
    the sync blocks the event loop (every connection waits for the disk)."""
    from sqlalchemy import event

    if engine.dialect.name != "sqlite":
        return
    if synchronous.upper() not in SQLITE_SYNCHRONOUS:
        raise ValueError(
            f"SUPPORT_SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS)}"
        )
    file_backed = engine.url.database not in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if file_backed:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.close()
