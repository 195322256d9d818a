"""Test helpers: fresh databases, real server processes, and Socket.IO clients that record
what they receive."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"
AGENTS = {
    "admin": {"email": "admin@example.com", "name": "Ada Admin", "admin": True},
    "alice": {"email": "alice@example.com", "name": "Alice Agent", "admin": False},
    "bob": {"email": "bob@example.com", "name": "Bob Agent", "admin": False},
}


def postgres_base_url() -> str | None:
    return os.environ.get("SUPPORT_TEST_DATABASE_URL") or None


def fresh_database_url(tmp_path: Path):
    """A URL to an empty database and a function that drops it: a SQLite file, or a new
    PostgreSQL database when ``SUPPORT_TEST_DATABASE_URL`` is set."""
    base = postgres_base_url()
    if not base:
        return f"sqlite:///{tmp_path / 'test.db'}", lambda: None
    return create_postgres_database(base.replace("postgresql+psycopg://", "postgresql://"))


def create_postgres_database(admin_url: str, prefix: str = "support_t_"):
    """Create an empty database on the server of ``admin_url``: ``(url, drop)``."""
    import psycopg

    name = prefix + uuid.uuid4().hex[:12]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SEED_AGENTS = """
from support import create_app
from support.cli import upgrade_schema
from support.services import agents
app = create_app()
with app.app_context():
    upgrade_schema(app)
    for spec in {agents!r}.values():
        agents.create_agent(spec["email"], spec["name"], {password!r}, is_admin=spec["admin"])
"""


class Server:
    """A real ``support serve`` process on a free port."""

    def __init__(self, process: subprocess.Popen, url: str, env: dict, log: Path):
        self.process, self.url, self.env, self.log = process, url, env, log
        self._tokens: dict[str, str] = {}
        self.drop_database = None

    @classmethod
    def start(
        cls,
        workdir: Path,
        extra_env: dict | None = None,
        *,
        seed: bool = True,
        database_url: str | None = None,
    ) -> Server:
        drop = None
        if database_url is None:  # a database of its own, dropped when the server stops
            database_url, drop = fresh_database_url(workdir)
        env = cls.environment(workdir, extra_env, database_url)
        if seed:
            script = SEED_AGENTS.format(agents=AGENTS, password=PASSWORD)
            subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=ROOT)
        server = cls.launch(env, workdir)
        server.drop_database = drop
        return server

    @staticmethod
    def environment(workdir: Path, extra_env: dict | None, database_url: str | None) -> dict:
        if database_url is None:
            database_url, _ = fresh_database_url(workdir)
        env = {
            **os.environ,
            "SUPPORT_DATABASE_URL": database_url,
            "SUPPORT_INSTANCE_PATH": str(workdir / "instance"),
            "SUPPORT_SECRET_KEY": "e2e-secret-" + uuid.uuid4().hex,
            "SUPPORT_IDENTITY_SECRET": "identity-secret",
            "SUPPORT_LIMIT_NEW_VISITORS": "0",
            "SUPPORT_LIMIT_LOGIN": "0",
            "SUPPORT_PRESENCE_GRACE_SECONDS": "0.2",
            # Dozens of test servers share one PostgreSQL (max_connections 100): each keeps few.
            "SUPPORT_DATABASE_POOL_SIZE": "2",
            "PYTHONUNBUFFERED": "1",
        }
        env.update(extra_env or {})
        return env

    @classmethod
    def launch(cls, env: dict, workdir: Path, port: int | None = None) -> Server:
        port = port or free_port()
        log = workdir / f"server-{port}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "support", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        server = cls(process, f"http://127.0.0.1:{port}", env, log)
        server.wait_ready()
        return server

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.log.read_text()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def discard(self) -> None:
        """Stop for good, and drop the database ``start`` created (a stopped server may be
        launched again on the same database, so ``stop`` keeps it)."""
        self.stop()
        if self.drop_database is not None:
            self.drop_database()
            self.drop_database = None

    def token(self, who: str = "alice") -> str:
        """An API token for one of ``AGENTS``."""
        if who not in self._tokens:
            answer = requests.post(
                self.url + "/api/v1/auth/token",
                json={"email": AGENTS[who]["email"], "password": PASSWORD},
                timeout=10,
            )
            answer.raise_for_status()
            self._tokens[who] = answer.json()["token"]
        return self._tokens[who]

    def agent_id(self, who: str) -> str:
        answer = requests.post(
            self.url + "/api/v1/auth/token",
            json={"email": AGENTS[who]["email"], "password": PASSWORD},
            timeout=10,
        )
        return answer.json()["agent"]["id"]

    def new_visitor(self, **profile) -> dict:
        answer = requests.post(self.url + "/api/widget/visitors", json=profile, timeout=10)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def visitor(self, token: str | None = None, **profile) -> SocketClient:
        """A connected ``/visitor`` client (a new visitor unless ``token`` is given)."""
        token = token or self.new_visitor(**profile)["token"]
        client = SocketClient(self.url, "/visitor", {"token": token})
        client.token = token
        return client

    def agent(self, who: str = "alice") -> SocketClient:
        """A connected ``/agent`` client for one of ``AGENTS``."""
        return SocketClient(self.url, "/agent", {"token": self.token(who)})

    def api(self, method: str, path: str, who: str = "alice", **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token(who)}"}
        return requests.request(method, self.url + path, headers=headers, timeout=15, **kwargs)


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def csrf_token(session: requests.Session, url: str) -> str:
    """The Flask-WTF token a page of ``url`` carries in its forms, for ``session``."""
    match = CSRF_FIELD.search(session.get(url, timeout=10).text)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def sign_in(
    server, who: str = "alice", password: str = PASSWORD
) -> tuple[requests.Session, requests.Response]:
    """Sign in through the dashboard's form: ``(session with its cookie, the answer)``."""
    session = requests.Session()
    form = {"email": AGENTS[who]["email"], "password": password}
    form["csrf_token"] = csrf_token(session, server.url + "/login")
    answer = session.post(server.url + "/login", data=form, allow_redirects=False, timeout=10)
    return session, answer


def cookie_socket(
    server, session: requests.Session, *, origin: str | None = None, csrf: str | None = None
) -> SocketClient:
    """An ``/agent`` socket opened the dashboard's way: the session cookie and the page's CSRF
    token (``csrf``, by default read from the dashboard page), with one ``Origin`` header as a
    browser sends it (the server's own unless ``origin`` says otherwise)."""
    token = csrf if csrf is not None else csrf_token(session, server.url + "/dashboard/")
    return SocketClient(
        server.url,
        "/agent",
        {"csrf_token": token},
        headers={"Cookie": f"session={session.cookies.get('session', '')}"},
        origin=origin or server.url,
    )


class SocketClient:
    """A python-socketio client on one namespace that records every event it receives."""

    def __init__(
        self,
        url: str,
        namespace: str,
        auth: dict | None,
        *,
        headers=None,
        connect: bool = True,
        origin: str | None = None,
        transports: tuple[str, ...] = ("websocket",),
        **client_options,
    ):
        self.url, self.namespace, self.auth, self.headers = url, namespace, auth, headers
        self.transports = list(transports)
        self.events: dict[str, list] = defaultdict(list)
        self.connect_errors: list = []
        self._cond = threading.Condition()
        # ``origin`` replaces the Origin websocket-client adds of its own (one header, as a
        # browser sends it).
        if origin:
            client_options.setdefault("websocket_extra_options", {})["origin"] = origin
        self.sio = socketio.Client(reconnection=False, **client_options)
        self.sio.on("*", self._record, namespace=namespace)
        self.sio.on("connect_error", self._connect_error, namespace=namespace)
        if connect:
            self.connect()

    def connect(self) -> None:
        self.sio.connect(
            self.url,
            namespaces=[self.namespace],
            auth=self.auth,
            headers=self.headers or {},
            transports=self.transports,
            wait_timeout=10,
        )

    def _record(self, event, data=None):
        with self._cond:
            self.events[event].append(data)
            self._cond.notify_all()

    def _connect_error(self, data=None):
        with self._cond:
            self.connect_errors.append(data)
            self._cond.notify_all()

    def call(self, event: str, data=None, timeout: float = 15):
        """Emit ``event`` and return its acknowledgement."""
        return self.sio.call(event, data, namespace=self.namespace, timeout=timeout)

    def ok(self, event: str, data=None, timeout: float = 15) -> dict:
        """``call`` that insists on an ``ok`` ack."""
        ack = self.call(event, data, timeout)
        assert ack and ack.get("ok") is True, f"{event} {data!r} -> {ack!r}"
        return ack

    def wait_for(
        self, event: str, predicate=lambda data: True, timeout: float = 10, since: int = 0
    ):
        """The first recorded ``event`` (from index ``since`` on) whose data satisfies
        ``predicate``, waiting for it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for data in self.events[event][since:]:
                    if predicate(data):
                        return data
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"no {event} matching within {timeout}s: {self.events[event]!r}"
                    )
                self._cond.wait(remaining)

    def received(self, event: str) -> list:
        with self._cond:
            return list(self.events[event])

    def close(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:
            pass


# --- scale-out: PostgreSQL, Redis and several processes sharing them ---------------------------


def postgres_admin_url() -> str:
    """The PostgreSQL server the scale-out tests create their databases on."""
    base = (
        postgres_base_url()
        or os.environ.get("SUPPORT_SCALEOUT_DATABASE_URL")
        or "postgresql://postgres@127.0.0.1:5432/test"
    )
    return base.replace("postgresql+psycopg://", "postgresql://")


def redis_test_url() -> str:
    return os.environ.get("SUPPORT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _skip_loudly(what: str, error: Exception) -> None:
    import pytest

    message = f"{what} is not reachable ({error}); start it with .ci/postgres-and-redis.sh"
    sys.stderr.write(f"\n*** SKIPPING: {message}\n")
    pytest.skip(message)


def require_postgres() -> str:
    """The admin URL of a reachable PostgreSQL, or a loud skip."""
    import psycopg

    url = postgres_admin_url()
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        _skip_loudly(f"PostgreSQL at {url}", error)
    return url


def require_redis() -> str:
    """The URL of a reachable Redis, or a loud skip."""
    import redis

    url = redis_test_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        _skip_loudly(f"Redis at {url}", error)
    return url


def new_postgres_database() -> tuple[str, callable]:
    """A fresh PostgreSQL database (URL, drop function) on ``require_postgres``'s server."""
    return create_postgres_database(require_postgres(), prefix="support_s_")


class ServerPair:
    """Two ``support serve`` processes on one fresh PostgreSQL database and one Redis, on a
    Redis channel (and key namespace) of their own."""

    def __init__(self, workdir: Path, extra_env: dict | None = None):
        self.redis_url = require_redis()
        self.database_url, self._drop = new_postgres_database()
        self.channel = "support-test-" + uuid.uuid4().hex[:10]
        env = {
            "SUPPORT_MESSAGE_QUEUE": self.redis_url,
            "SUPPORT_MESSAGE_QUEUE_CHANNEL": self.channel,
            **(extra_env or {}),
        }
        self.servers: list[Server] = []
        try:
            self.a = Server.start(workdir, env, database_url=self.database_url)
            self.servers.append(self.a)
            self.b = Server.launch(self.a.env, workdir)
            self.servers.append(self.b)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        import redis

        for server in self.servers:
            server.stop(signal.SIGKILL)
        client = redis.Redis.from_url(self.redis_url)
        for key in client.scan_iter(match=f"support:{self.channel}:*", count=500):
            client.delete(key)
        self._drop()


def wait_until(predicate, timeout: float = 10, interval: float = 0.05, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy (and return that)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(interval)


def session_from(address: str) -> requests.Session:
    """A requests session whose connections leave from ``address`` (any of 127.0.0.0/8 on
    Linux), so the server sees several distinct clients."""
    from requests.adapters import HTTPAdapter

    class SourceAdapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            kwargs["source_address"] = (address, 0)
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.mount("http://", SourceAdapter())
    session.mount("https://", SourceAdapter())
    return session
