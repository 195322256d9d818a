"""Admin pages for automatic routing (the setting, and an agent's own capacity) and for the
attachments' allow-list. Routes join the admin blueprint (admins only)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..services import agents, attachments, routing, settings
from ..services.errors import ServiceError
from .blueprint import acting, bp


def _optional_int(raw: str | None):
    """A form number: blank is None, anything else must be an integer."""
    raw = (raw or "").strip()
    if not raw:
        return None
    return int(raw) if raw.isdigit() else raw


def _routing_page(values: dict, error: str | None = None, status: int = 200):
    return render_template("admin/routing.html", values=values, error=error), status


@bp.get("/routing")
def routing_page():
    return _routing_page(settings.routing_settings())


@bp.post("/routing")
def save_routing():
    """Manual or automatic routing, capacity, claim on reply, and the away time-out."""
    form = request.form
    changes = {
        "mode": form.get("mode", ""),
        "capacity": _optional_int(form.get("capacity")),
        "claim_on_reply": form.get("claim_on_reply") == "on",
        "requeue_after_minutes": _optional_int(form.get("requeue_after_minutes")),
    }
    try:
        routing.save_settings(changes, actor=acting())
    except ServiceError as error:
        return _routing_page(settings.routing_settings() | changes, error.message, error.status)
    flash("Routing saved.")
    return redirect(url_for("admin.routing_page"))


@bp.post("/agents/<agent_id>/capacity")
def set_agent_capacity(agent_id: str):
    """An agent's own capacity under automatic routing (blank: the routing setting's)."""
    agent = agents.get_agent(agent_id)
    capacity = _optional_int(request.form.get("capacity"))
    try:
        agents.update_agent(agent, {"capacity": capacity}, actor=acting())
    except ServiceError as error:
        flash(error.message)
        return redirect(url_for("admin.agent_page", agent_id=agent.id))
    flash("Capacity saved.")
    return redirect(url_for("admin.agent_page", agent_id=agent.id))


@bp.get("/attachments")
def attachments_page():
    return render_template(
        "admin/attachments.html",
        allowed=set(attachments.allowed_types()),
        known=sorted(attachments.KNOWN_TYPES.items()),
    )


@bp.post("/attachments")
def save_attachments():
    """Which types of file visitors and agents may send."""
    try:
        attachments.save_allowed_types(request.form.getlist("allowed_types"), actor=acting())
    except ServiceError as error:
        flash(error.message)
        return redirect(url_for("admin.attachments_page"))
    flash("Attachment types saved.")
    return redirect(url_for("admin.attachments_page"))
