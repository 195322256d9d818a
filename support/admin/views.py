"""The admin pages (admins only): agents and their tokens, widget settings, canned responses.
Transcripts, reports and the audit log are in their own modules on the same blueprint."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from ..services import admin_agents, agents, canned, settings
from ..services.errors import ServiceError
from ..services.presence import presence
from . import (  # noqa: F401 (their routes join the blueprint)
    outbound_views,
    report_views,
    routing_views,
    transcript_views,
)
from .blueprint import audit_log, bp
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
    try:
        agent = agents.create_agent(
            form.get("email", ""),
            form.get("name", ""),
            None if invite else form.get("password", ""),
            is_admin=form.get("role") == "admin",
        )
    except ServiceError as error:
        return render_template(
            "admin/agents.html", agents=agents.list_agents(), form=form, error=error.message
        ), error.status
    audit_log("agent_created", agent.email, {"admin": agent.is_admin, "invite": invite})
    if not invite:
        flash(f"{agent.name} can now sign in.")
        return redirect(url_for("admin.agent_page", agent_id=agent.id))
    return _agent_page(agent, invite_url=_invite_url(admin_agents.create_invite(agent)))


def _agent_page(agent, *, status: int = 200, **extra):
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
    try:
        admin_agents.change_agent(
            agent, name=request.form.get("name", ""), is_admin=request.form.get("role") == "admin"
        )
    except ServiceError as error:
        return _agent_page(agent, status=error.status, error=error.message)
    audit_log("agent_updated", agent.email, {"name": agent.name, "admin": agent.is_admin})
    flash("Saved.")
    return redirect(url_for("admin.agent_page", agent_id=agent.id))


@bp.post("/agents/<agent_id>/password")
def reset_password(agent_id: str):
    """Set a new password (signing the agent out everywhere), or issue a new invite link."""
    agent = agents.get_agent(agent_id)
    if request.form.get("setup") == "invite":
        audit_log("invite_created", agent.email)
        return _agent_page(agent, invite_url=_invite_url(admin_agents.create_invite(agent)))
    try:
        agents.set_password(agent, request.form.get("password", ""))
    except ServiceError as error:
        return _agent_page(agent, status=error.status, error=error.message)
    audit_log("password_reset", agent.email)
    flash("Password changed; the agent was signed out everywhere and its API tokens revoked.")
    return redirect(url_for("admin.agent_page", agent_id=agent.id))


@bp.post("/agents/<agent_id>/active")
def set_active(agent_id: str):
    agent = agents.get_agent(agent_id)
    active = form_bool(request.form, "active")
    try:
        admin_agents.set_agent_active(agent, active)
    except ServiceError as error:
        return _agent_page(agent, status=error.status, error=error.message)
    audit_log("agent_reactivated" if active else "agent_deactivated", agent.email)
    flash(f"{agent.name} is {'active' if active else 'deactivated'}.")
    return redirect(url_for("admin.agent_page", agent_id=agent.id))


@bp.post("/agents/<agent_id>/tokens")
def create_token(agent_id: str):
    """A new API token, shown on this page once."""
    agent = agents.get_agent(agent_id)
    label = request.form.get("label", "").strip()
    if not label or len(label) > 100:
        return _agent_page(agent, status=400, error="A token needs a label of 1-100 characters.")
    token = agents.issue_api_token(agent, label)
    audit_log("token_created", agent.email, {"label": label})
    return _agent_page(agent, new_token=token, new_token_label=label)


@bp.post("/agents/<agent_id>/tokens/<token_id>/revoke")
def revoke_token(agent_id: str, token_id: str):
    agent = agents.get_agent(agent_id)
    agents.revoke_token(agent, token_id)
    audit_log("token_revoked", agent.email, {"token_id": token_id})
    flash("Token revoked.")
    return redirect(url_for("admin.agent_page", agent_id=agent.id))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    """The one-time invite link: the invited agent chooses a password (no sign-in needed)."""
    agent = admin_agents.invited_agent(token)
    if agent is None:
        return render_template("admin/invite.html", agent=None), 404
    if request.method == "GET":
        return render_template("admin/invite.html", agent=agent)
    password = request.form.get("password", "")
    if password != request.form.get("confirm", ""):
        return render_template("admin/invite.html", agent=agent, error="The passwords differ."), 400
    try:
        admin_agents.accept_invite(token, password)
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
        saved = settings.update_widget_settings(raw, online=presence.anyone_online())
    except settings.SettingsInvalid as error:
        return _settings_page(raw, error.errors, 400)
    audit_log("settings_changed", "widget", {"brand": saved["brand"]["name"]})
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
            form.get("shortcut", "").strip(), form.get("title", ""), form.get("body", "")
        )
    except ServiceError as error:
        return render_template(
            "admin/canned.html", responses=canned.list_responses(), form=form, error=error.message
        ), error.status
    audit_log("canned_created", f"/{row.shortcut}")
    flash(f"Saved /{row.shortcut}.")
    return redirect(url_for("admin.canned_page"))


@bp.route("/canned/<response_id>", methods=["GET", "POST"])
def edit_canned(response_id: str):
    row = canned.get_response(response_id)
    if request.method == "GET":
        return render_template("admin/canned_edit.html", row=row, form=canned.response_dict(row))
    form = request.form
    try:
        canned.update_response(
            row, form.get("shortcut", "").strip(), form.get("title", ""), form.get("body", "")
        )
    except ServiceError as error:
        return render_template(
            "admin/canned_edit.html", row=row, form=form, error=error.message
        ), error.status
    audit_log("canned_updated", f"/{row.shortcut}")
    flash(f"Saved /{row.shortcut}.")
    return redirect(url_for("admin.canned_page"))


@bp.post("/canned/<response_id>/delete")
def delete_canned(response_id: str):
    row = canned.get_response(response_id)
    shortcut = row.shortcut
    canned.delete_response(row)
    audit_log("canned_deleted", f"/{shortcut}")
    flash(f"Deleted /{shortcut}.")
    return redirect(url_for("admin.canned_page"))


@bp.errorhandler(ServiceError)
def service_error(error: ServiceError):
    """A missing agent, conversation or response: a plain error page with its status."""
    return render_template("admin/error.html", message=error.message), error.status
