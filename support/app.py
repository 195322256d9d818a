"""The application factory: binds extensions, registers blueprints, namespaces and the CLI.
The only module that imports the interface layer."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from flask import Flask

from . import (
    cli,
    http_cache,
    http_guard,
    log_safety,
    message_queue,
    realtime,
    safe_json,
    static_files,
)
from .admin.views import bp as admin_bp
from .api import admin_api, health, v1, webhooks_api, widget
from .api import attachments as attachments_api
from .api.errors import install_api_not_found
from .chat.agent import AgentNamespace
from .chat.gate import SocketGate
from .chat.visitor import VisitorNamespace
from .config import load_config
from .dashboard import preferences  # noqa: F401 (its routes join the dashboard blueprint)
from .dashboard.views import bp as dashboard_bp
from .db_driver import configure_sqlite
from .extensions import csrf, db, login_manager, migrate, socketio
from .ratelimit import limiter
from .rooms import AGENT_NS, VISITOR_NS
from .safe_json import SafeJSONProvider
from .services import agent_sockets, agents, attachments, outbound
from .services import mail as mail_service
from .services import presence as presence_service
from .widget import views as widget_views
from .widget.mail_links import bp as mail_links_bp
from .widget.views import bp as widget_bp

PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = str(PACKAGE_DIR / "migrations")
MAX_FRAME_BYTES = 64 * 1024


def resource_dir(name: str) -> str:
    """``templates`` or ``static``: inside the package when installed from a wheel, at the
    repository's top level in a checkout (and an editable install)."""
    packaged = PACKAGE_DIR / name
    return str(packaged if packaged.is_dir() else PACKAGE_DIR.parent / name)


class SupportFlask(Flask):
    """Flask, remembering which handlers need no async wrapper. Flask asks ``inspect`` again
    for every before/after-request function, teardown and view on every request: a tenth of
    what a page view's config or frame costs the server."""

    def ensure_sync(self, func):
        cache = self.__dict__.setdefault("_sync_handlers", {})
        try:
            return cache[func]
        except KeyError:
            cache[func] = wrapped = super().ensure_sync(func)
            return wrapped
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)


def build_app(config: dict | None = None) -> Flask:
    """A new application; safe to call many times (tests), as nothing registers on import."""
    app = SupportFlask(
        "support",
        instance_path=os.environ.get("SUPPORT_INSTANCE_PATH") or None,
        template_folder=resource_dir("templates"),
        static_folder=resource_dir("static"),
    )
    load_config(app, config)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    log_safety.install()
    _init_extensions(app)
    _register_http(app)
    http_guard.install(app)
    static_files.init_app(app)  # after Socket.IO's middleware: WhiteNoise answers first
    socketio.on_namespace(VisitorNamespace(VISITOR_NS))
    socketio.on_namespace(AgentNamespace(AGENT_NS))
    cli.init_app(app)
    if os.environ.get("FLASK_RUN_FROM_CLI") == "true":
        # `flask --app support run` (development): bring the schema up to date like every
        # `support` command does. Set by Flask's own `run` command only.
        with app.app_context():
            cli.upgrade_schema(app)
    return app


def _async_mode(app: Flask) -> str:
    """eventlet when the process was patched for it (``support serve``), else threads (the
    development server and unit tests). ``SUPPORT_ASYNC_MODE`` overrides."""
    if app.config.get("ASYNC_MODE"):
        return app.config["ASYNC_MODE"]
    patcher = sys.modules.get("eventlet.patcher")
    return "eventlet" if patcher and patcher.is_monkey_patched("socket") else "threading"


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine, app.config["SQLITE_SYNCHRONOUS"])
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "dashboard.login"
    login_manager.user_loader(agents.load_session_agent)
    queue = app.config.get("MESSAGE_QUEUE") or None
    channel = app.config.get("MESSAGE_QUEUE_CHANNEL") or "flask-socketio"
    manager = message_queue.client_manager(queue, channel)
    # Right in front of Flask: Socket.IO's middleware and the others wrap it from here on.
    _answer_page_views_before_flask(app)
    socketio.init_app(
        app,
        async_mode=_async_mode(app),
        message_queue=queue,
        channel=channel,
        **({"client_manager": manager} if manager else {}),
        cors_allowed_origins="*",  # each namespace checks origins itself (PROTOCOL §1)
        max_http_buffer_size=MAX_FRAME_BYTES,
        ping_interval=20,
        ping_timeout=20,
    )
    # Socket.IO packets only (not engine.io's, whose "probe" must stay a plain string).
    socketio.server.packet_class.json = safe_json
    limiter.init_app(app)
    attachments.init_app(app)
    presence_service.init_app(app)
    agent_sockets.init_app(app)
    # In front of Engine.IO; replacing wsgi_app is Flask's way to add middleware (typed a method).
    app.wsgi_app = SocketGate(app.wsgi_app, socketio)  # type: ignore[method-assign]
    realtime.init_app(app)
    mail_service.configure(app)
    outbound.init_app(app)


def _answer_page_views_before_flask(app: Flask) -> None:
    """The widget's config and frame, which every page view of an embedding site asks for,
    answered without Flask's request machinery (``http_cache.PublicAnswers``)."""
    with app.app_context():
        engine = db.engine
    answers = http_cache.PublicAnswers(app.wsgi_app, app.config)
    answers.add("/api/widget/config", widget.config_before_flask(app, engine))
    answers.add("/widget/frame", widget_views.frame_before_flask(app, engine))
    app.wsgi_app = answers  # type: ignore[method-assign]
    app.extensions["support.public_answers"] = answers


def _register_http(app: Flask) -> None:
    for blueprint in (
        health.bp,
        widget.bp,
        v1.bp,
        admin_api.bp,
        attachments_api.bp,
        webhooks_api.bp,
    ):
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
    for blueprint in (widget_bp, dashboard_bp, admin_bp):
        app.register_blueprint(blueprint)
    csrf.exempt(mail_links_bp)
    app.register_blueprint(mail_links_bp)
    install_api_not_found(app)
    app.json = SafeJSONProvider(app)
    # A delegating wrapper, not a SessionInterface subclass (that would shadow the wrapped one).
    app.session_interface = http_cache.PublicViewsKeepNoSession(app.session_interface)  # type: ignore[assignment]

    @app.after_request
    def security_headers(response):
        for name, value in http_cache.SECURITY_HEADERS:
            response.headers.setdefault(name, value)
        return response
