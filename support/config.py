"""Configuration: working defaults, then ``SUPPORT_*`` environment variables.

Nothing is read at import time; :func:`load_config` runs inside ``create_app`` so that the
factory can be called many times (tests) with different environments.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, current_app

DEFAULTS = {
    "ALLOWED_ORIGINS": "*",
    "LIMIT_NEW_VISITORS": "30/minute",
    "LIMIT_VISITOR_MESSAGES": "20/minute",
    "LIMIT_LOGIN": "10/minute",
    "LIMIT_VISITOR_EVENTS": "120/minute",
    "IDENTITY_SECRET": None,
    "MESSAGE_QUEUE": None,
    "ASYNC_MODE": None,
    "RETENTION_CHECK_SECONDS": 3600,
    "PRESENCE_GRACE_SECONDS": 2,
    "PRESENCE_TTL_SECONDS": 30,
    "MESSAGE_QUEUE_CHANNEL": None,
    "SHUTDOWN_TIMEOUT": 20,
    "UPLOAD_MAX_BYTES": 10485760,
    "STORAGE_URL": None,
    "ATTACHMENT_URL_SECONDS": 86400,
    "LIMIT_VISITOR_UPLOADS": "30/hour",
    "ROUTING_SWEEP_SECONDS": 2,
    # Outbound mail and webhooks (services/outbox.py, mail.py, webhooks.py).
    "SMTP_URL": None,
    "MAIL_FROM": None,
    "PUBLIC_URL": None,
    "WEBHOOKS_ALLOW_PRIVATE": "false",
    "WEBHOOK_TIMEOUT_SECONDS": 10,
    "WEBHOOK_DISABLE_AFTER_SECONDS": 3 * 86400,
    "OUTBOX_POLL_SECONDS": 1,
    "OUTBOX_FIRST_RETRY_SECONDS": 15,
    "OUTBOX_GIVE_UP_SECONDS": 26 * 3600,
    "OUTBOX_LEASE_SECONDS": 60,
    "MAIL_UNREAD_DELAY_SECONDS": 120,
    "MAIL_LINK_MAX_AGE_SECONDS": 7 * 86400,
    "LIMIT_TRANSCRIPT_MAILS": "3/hour",
    "TRUSTED_PROXIES": 0,
    "MAX_REQUEST_BYTES": 1048576,
    "DATABASE_POOL_SIZE": 20,
    "SQLITE_SYNCHRONOUS": "NORMAL",
}


def load_config(app: Flask, overrides: dict | None = None) -> None:
    """Fill ``app.config`` from defaults, the environment, then ``overrides`` (tests)."""
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("SUPPORT", loads=_keep_strings)
    if overrides:
        app.config.update(overrides)
    app.config.setdefault("DATABASE_URL", None)
    if not app.config.get("DATABASE_URL"):
        # The embedded default lives in the instance folder, which must exist even when no
        # instance secret is written there (SUPPORT_SECRET_KEY set).
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = "sqlite:///" + str(Path(app.instance_path) / "support.db")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["DATABASE_URL"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], int(app.config["DATABASE_POOL_SIZE"])
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    # Flask presets these keys, so assign rather than setdefault.
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.config["WTF_CSRF_TIME_LIMIT"] = None


def _keep_strings(value: str) -> str:
    """Environment values stay strings: ``SUPPORT_LIMIT_NEW_VISITORS=0`` must not become an int
    that some places would treat as falsy and others as a number."""
    return value


def normalise_database_url(url: str) -> str:
    """Make a plain ``postgresql://`` (or legacy ``postgres://``) URL use psycopg 3, the driver
    installed with the package, so operators can paste the URL their host gives them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def engine_options(url: str, pool_size: int = 20) -> dict:
    """Engine settings per backend. SQLite waits on locks inside C (blocking the event loop), so
    keep its busy timeout modest and transactions short.

    PostgreSQL: every socket event checks a connection out, so the pool is sized to keep its
    connections (connecting anew per event, and psycopg re-preparing its statements on each new
    connection, cost more than the event itself), and connections are not pinged at checkout
    (a round trip per event): a connection broken by a database restart fails one event, which
    invalidates the whole pool, and the client's resend with the same ``client_id`` succeeds.
    ``SUPPORT_DATABASE_POOL_SIZE`` sets how many it keeps (a burst may open 10 more), so that
    processes × pool stays under PostgreSQL's ``max_connections``."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 15, "check_same_thread": False}}
    return {
        "pool_pre_ping": False,
        "pool_size": pool_size,
        "max_overflow": 10,
        "pool_recycle": 3600,
    }


def _instance_secret(instance: Path) -> str:
    """Generate the secret key once and keep it in the instance folder, readable by us only."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def secret_key() -> str | bytes:
    """The current app's secret key, for signing: :func:`load_config` always sets one."""
    key = current_app.secret_key
    if key is None:
        raise RuntimeError("no SECRET_KEY: the app was not configured by load_config")
    return key
