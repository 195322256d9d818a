"""Sign-in, sign-out, the one-time first-admin link, and the agents' dashboard page.

The views stay thin: credentials, setup tokens and the audit log live in ``services``; the
dashboard itself is one server-rendered page whose script speaks the ``/agent`` namespace."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from ..services import agents
from ..services.audit import Actor
from ..services.errors import RateLimited, ServiceError, Unauthorized
from .forms import LoginForm, LogoutForm, SetupForm
from .security import apply_page_headers, init_session_cookie

bp = Blueprint("dashboard", __name__)
bp.record_once(lambda state: init_session_cookie(cast(Flask, state.app)))  # typed as any app
bp.after_request(apply_page_headers)


@bp.app_context_processor
def page_globals() -> dict:
    """The sign-out form on every page that shows the top bar (admin pages too)."""
    signed_in = has_request_context() and current_user.is_authenticated
    return {"logout_form": LogoutForm() if signed_in else None}


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never ``//evil.example`` or an absolute URL."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form; check credentials, throttled, and start a fresh session."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/login.html", form=form), status
    email = form.email.data or ""
    try:
        agent = agents.sign_in(email, form.password.data or "", _client_address(), audited=True)
    except RateLimited:
        message = "Too many failed sign-in attempts. Wait a minute, then try again."
        return render_template("auth/login.html", form=form, error=message), 429
    except Unauthorized:
        return render_template("auth/login.html", form=form, error="Wrong email or password."), 401
    session.clear()  # a new session at sign-in: nothing planted before it survives
    login_user(agent)
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (a POST with the CSRF token, which CSRFProtect checks first). Every session of
    the agent ends, copies of this cookie included, with the dashboard sockets they opened."""
    if current_user.is_authenticated:
        agent = current_user._get_current_object()
        agents.sign_out(agent, actor=Actor(agent, _client_address()))
    logout_user()
    session.clear()
    return redirect(url_for("dashboard.login"))


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token: str):
    """The one-time link ``support serve`` prints while there is no agent: it creates the
    first admin, then stops working."""
    if not agents.setup_token_valid(token):
        abort(404)
    form = SetupForm()
    error = None
    if form.validate_on_submit():
        try:
            agent = agents.create_first_admin(
                token,
                form.email.data or "",
                form.name.data or "",
                form.password.data or "",
                ip=_client_address(),
            )
        except ServiceError as failure:
            error = failure.message
        else:
            session.clear()
            login_user(agent)
            return redirect(url_for("dashboard.index"))
    return render_template("auth/setup.html", form=form, error=error)


@bp.route("/dashboard/")
@login_required
def index():
    """The agents' dashboard: the page is a shell, the script fills it over ``/agent``."""
    return render_template("dashboard/index.html")
