"""The admin pages (admins only): agents and their tokens, widget settings, canned responses.
Transcripts, reports and the audit log are in their own modules on the same blueprint."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from ..serializers import canned_response_dict
from ..services import agents, canned, settings
from ..services.errors import ServiceError
from ..services.presence import presence
from . import (  # noqa: F401 (their routes join the blueprint)
    outbound_views,
    report_views,
    routing_views,
    transcript_views,
)
from .blueprint import acting, bp
from .forms import DAY_NAMES, form_bool, prechat_state, settings_from_form

__all__ = ["bp"]


@bp.get("/")
def index():
    """The admin home: where to go next."""
    return render_template("admin/index.html", agents=agents.list_agents())


# --- agents ------------------------------------------------------------------------------------


def _invite_url(token: str) -> str:
    return url_for("admin.accept_invite", token=token, _external=True)


@bp.get("/agents")
def agents_page():
    return render_template("admin/agents.html", agents=agents.list_agents(), form={})


@bp.post("/agents")
def create_agent():
    """Add an agent with an initial password, or with a one-time invite link shown once."""
    form = request.form
    invite = form.get("setup") == "invite"
    email, name, is_admin = form.get("email", ""), form.get("name", ""), form.get("role") == "admin"
    try:
        if invite:
            agent, token = agents.invite_agent(email, name, is_admin=is_admin, actor=acting())
        else:
            password = form.get("password", "")
            agent = agents.create_agent(email, name, password, is_admin=is_admin, actor=acting())
    except ServiceError as error:
        return render_template(
            "admin/agents.html", agents=agents.list_agents(), form=form, error=error.message
        ), error.status
    if not invite:
        flash(f"{agent.name} can now sign in.")
        return redirect(url_for("admin.agent_page", agent_id=agent.id))
    return _agent_page(agent, invite_url=_invite_url(token))


def _agent_page(agent, *, status: int = 200, **extra):
    """The agent's page, with what the last action left to show (an error, a link, a token)."""
    return render_template(
        "admin/agent.html", agent=agent, tokens=agents.list_tokens(agent), **extra
    ), status


@bp.get("/agents/<agent_id>")
def agent_page(agent_id: str):
    return _agent_page(agents.get_agent(agent_id))


@bp.post("/agents/<agent_id>")
def update_agent(agent_id: str):
    """Rename an agent or change its role."""
    agent = agents.get_agent(agent_id)
    changes = {"name": request.form.get("name", ""), "admin": request.form.get("role") == "admin"}
    try:
        agents.update_agent(agent, changes, actor=acting())
    except ServiceError as error:
        return _agent_page(agent, status=error.status, error=error.message)
    flash("Saved.")
    return redirect(url_for("admin.agent_page", agent_id=agent.id))


@bp.post("/agents/<agent_id>/password")
def reset_password(agent_id: str):
    """Set a new password (signing the agent out everywhere), or issue a new invite link."""
    agent = agents.get_agent(agent_id)
    if request.form.get("setup") == "invite":
        token = agents.create_invite(agent, actor=acting())
        return _agent_page(agent, invite_url=_invite_url(token))
    try:
        agents.update_agent(agent, {"password": request.form.get("password", "")}, actor=acting())
    except ServiceError as error:
        return _agent_page(agent, status=error.status, error=error.message)
    flash("Password changed; the agent was signed out everywhere and its API tokens revoked.")
    return redirect(url_for("admin.agent_page", agent_id=agent.id))


@bp.post("/agents/<agent_id>/active")
def set_active(agent_id: str):
    agent = agents.get_agent(agent_id)
    active = form_bool(request.form, "active")
    try:
        agents.set_active(agent, active, actor=acting())
    except ServiceError as error:
        return _agent_page(agent, status=error.status, error=error.message)
    flash(f"{agent.name} is {'active' if active else 'deactivated'}.")
    return redirect(url_for("admin.agent_page", agent_id=agent.id))


@bp.post("/agents/<agent_id>/tokens")
def create_token(agent_id: str):
    """A new API token, shown on this page once."""
    agent = agents.get_agent(agent_id)
    try:
        token, row = agents.create_token(agent, request.form.get("label", ""), actor=acting())
    except ServiceError as error:
        return _agent_page(agent, status=error.status, error=error.message)
    return _agent_page(agent, new_token=token, new_token_label=row.label)


@bp.post("/agents/<agent_id>/tokens/<token_id>/revoke")
def revoke_token(agent_id: str, token_id: str):
    agent = agents.get_agent(agent_id)
    agents.revoke_token(agent, token_id, actor=acting())
    flash("Token revoked.")
    return redirect(url_for("admin.agent_page", agent_id=agent.id))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    """The one-time invite link: the invited agent chooses a password (no sign-in needed)."""
    agent = agents.invited_agent(token)
    if agent is None:
        return render_template("admin/invite.html", agent=None), 404
    if request.method == "GET":
        return render_template("admin/invite.html", agent=agent)
    password = request.form.get("password", "")
    if password != request.form.get("confirm", ""):
        return render_template("admin/invite.html", agent=agent, error="The passwords differ."), 400
    try:
        agents.accept_invite(token, password)
    except ServiceError as error:
        return render_template("admin/invite.html", agent=agent, error=error.message), error.status
    return render_template("admin/invite.html", agent=agent, done=True)


# --- widget settings ---------------------------------------------------------------------------


def _settings_page(
    values: dict,
    errors: dict | None = None,
    status: int = 200,
):
    return render_template(
        "admin/settings.html",
        values=values,
        errors=errors or {},
        prechat=prechat_state(values),
        day_names=DAY_NAMES,
        timezones=sorted(settings.available_timezones()),
        default_origins=current_app.config.get("ALLOWED_ORIGINS") or "*",
    ), status


@bp.get("/settings")
def settings_page():
    return _settings_page(settings.widget_settings())


@bp.post("/settings")
def save_settings():
    """Validate every field; on success the config reaches open widgets at once."""
    raw = settings_from_form(request.form)
    try:
        settings.update_widget_settings(raw, online=presence.anyone_online(), actor=acting())
    except settings.SettingsInvalid as error:
        return _settings_page(raw, error.errors, 400)
    flash("Settings saved. Open widgets show them now.")
    return redirect(url_for("admin.settings_page"))


# --- canned responses --------------------------------------------------------------------------


@bp.get("/canned")
def canned_page():
    return render_template("admin/canned.html", responses=canned.list_responses(), form={})


@bp.post("/canned")
def create_canned():
    form = request.form
    try:
        row = canned.create_response(
            form.get("shortcut", "").strip(),
            form.get("title", ""),
            form.get("body", ""),
            actor=acting(),
        )
    except ServiceError as error:
        return render_template(
            "admin/canned.html", responses=canned.list_responses(), form=form, error=error.message
        ), error.status
    flash(f"Saved /{row.shortcut}.")
    return redirect(url_for("admin.canned_page"))


@bp.route("/canned/<response_id>", methods=["GET", "POST"])
def edit_canned(response_id: str):
    row = canned.get_response(response_id)
    if request.method == "GET":
        return render_template("admin/canned_edit.html", row=row, form=canned_response_dict(row))
    form = request.form
    try:
        canned.update_response(
            row,
            form.get("shortcut", "").strip(),
            form.get("title", ""),
            form.get("body", ""),
            actor=acting(),
        )
    except ServiceError as error:
        return render_template(
            "admin/canned_edit.html", row=row, form=form, error=error.message
        ), error.status
    flash(f"Saved /{row.shortcut}.")
    return redirect(url_for("admin.canned_page"))


@bp.post("/canned/<response_id>/delete")
def delete_canned(response_id: str):
    row = canned.get_response(response_id)
    shortcut = row.shortcut
    canned.delete_response(row, actor=acting())
    flash(f"Deleted /{shortcut}.")
    return redirect(url_for("admin.canned_page"))


@bp.errorhandler(ServiceError)
def service_error(error: ServiceError):
    """A missing agent, conversation or response: a plain error page with its status."""
    return render_template("admin/error.html", message=error.message), error.status
