"""``/api/v1`` for admins: agents and their tokens, widget settings, canned responses, bulk
exports, visitors (access and erasure requests), reports and the audit log. Bearer tokens of
admins only; agents get 403 and everyone else 401. Also serves the rendered API docs."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, render_template, request, stream_with_context

from ..models import utcnow
from ..schemas import http
from ..serializers import agent_dict, iso
from ..services import (
    admin_agents,
    agents,
    audit,
    canned,
    reports,
    routing,
    settings,
    transcripts,
    visitors,
)
from ..services.errors import InvalidPayload
from ..services.presence import presence
from ..services.search import search_conversations
from .errors import install_json_errors
from .query import json_body, parse_query, search_of
from .v1 import admin_required

bp = Blueprint("admin_api", __name__, url_prefix="/api/v1")
install_json_errors(bp)


def _audit(action: str, target: str | None = None, detail: dict | None = None) -> None:
    audit.record(g.agent, action, target=target, detail=detail, ip=request.remote_addr)


def _agent_json(agent) -> dict:
    return agent_dict(agent, with_email=True) | {
        "created_at": iso(agent.created_at),
        "invited": agent.password_hash is None,
        "capacity": agent.capacity,
    }


def _token_json(token) -> dict:
    return {
        "id": token.id,
        "label": token.label,
        "created_at": iso(token.created_at),
        "last_used_at": iso(token.last_used_at),
        "revoked_at": iso(token.revoked_at),
    }


# --- agents ------------------------------------------------------------------------------------


@bp.get("/agents")
@admin_required
def list_agents():
    return jsonify({"items": [_agent_json(a) for a in agents.list_agents()]})


@bp.post("/agents")
@admin_required
def create_agent():
    """``{"email", "name", "admin"?, "password"?}``: without a password the answer carries a
    one-time ``invite_url``."""
    body = json_body(http.NewAgent)
    password = body.get("password")
    if password is not None and not isinstance(password, str):
        raise InvalidPayload("password must be a string")
    agent = agents.create_agent(
        str(body.get("email") or ""),
        str(body.get("name") or ""),
        password,
        is_admin=body.get("admin") is True,
    )
    _audit("agent_created", agent.email, {"admin": agent.is_admin, "invite": password is None})
    answer = {"agent": _agent_json(agent)}
    if password is None:
        token = admin_agents.create_invite(agent)
        answer["invite_url"] = request.host_url.rstrip("/") + f"/admin/invite/{token}"
    return jsonify(answer), 201


@bp.get("/agents/<agent_id>")
@admin_required
def get_agent(agent_id: str):
    return jsonify({"agent": _agent_json(agents.get_agent(agent_id))})


@bp.patch("/agents/<agent_id>")
@admin_required
def update_agent(agent_id: str):
    """``{"name"?, "admin"?, "active"?, "password"?}``."""
    agent, body = agents.get_agent(agent_id), json_body(http.AgentChanges)
    name, is_admin, active = body.get("name"), body.get("admin"), body.get("active")
    if name is not None and not isinstance(name, str):
        raise InvalidPayload("name must be a string")
    if is_admin is not None and not isinstance(is_admin, bool):
        raise InvalidPayload("admin must be true or false")
    if "password" in body and not (
        isinstance(body["password"], str) and len(body["password"]) >= agents.MIN_PASSWORD_LENGTH
    ):
        raise InvalidPayload(f"password must be at least {agents.MIN_PASSWORD_LENGTH} characters")
    if active is not None and not isinstance(active, bool):
        raise InvalidPayload("active must be true or false")
    if "capacity" in body:
        routing.check_capacity(body["capacity"])
    # Everything is checked before anything changes.
    if name is not None or is_admin is not None:
        admin_agents.change_agent(agent, name=name, is_admin=is_admin)
        _audit("agent_updated", agent.email, {"name": agent.name, "admin": agent.is_admin})
    if "password" in body:
        agents.set_password(agent, body["password"])
        _audit("password_reset", agent.email)
    if "capacity" in body:
        routing.set_agent_capacity(agent, body["capacity"])
        _audit("agent_updated", agent.email, {"capacity": agent.capacity})
    if active is not None and active != agent.active:
        admin_agents.set_agent_active(agent, active)
        _audit("agent_reactivated" if active else "agent_deactivated", agent.email)
    return jsonify({"agent": _agent_json(agent)})


@bp.get("/agents/<agent_id>/tokens")
@admin_required
def list_tokens(agent_id: str):
    tokens = agents.list_tokens(agents.get_agent(agent_id))
    return jsonify({"items": [_token_json(t) for t in tokens]})


@bp.post("/agents/<agent_id>/tokens")
@admin_required
def create_token(agent_id: str):
    """``{"label"}`` → the plain token, this once."""
    agent, label = agents.get_agent(agent_id), json_body(http.NewToken).get("label")
    if not isinstance(label, str) or not label.strip() or len(label) > 100:
        raise InvalidPayload("label must be 1-100 characters")
    token = agents.issue_api_token(agent, label.strip())
    _audit("token_created", agent.email, {"label": label.strip()})
    created = agents.list_tokens(agent)[-1]
    return jsonify({"token": token} | _token_json(created)), 201


@bp.delete("/agents/<agent_id>/tokens/<token_id>")
@admin_required
def revoke_token(agent_id: str, token_id: str):
    agent = agents.get_agent(agent_id)
    agents.revoke_token(agent, token_id)
    _audit("token_revoked", agent.email, {"token_id": token_id})
    return "", 204


# --- settings and canned responses -------------------------------------------------------------


@bp.get("/settings/widget")
@admin_required
def get_settings():
    return jsonify(settings.widget_settings())


@bp.route("/settings/widget", methods=["PUT", "PATCH"])
@admin_required
def put_settings():
    """Sections merge into the current settings, lists replace; answers 400 with ``fields``
    (path → message) when anything is wrong, and then nothing is saved."""
    try:
        saved = settings.update_widget_settings(json_body(), online=presence.anyone_online())
    except settings.SettingsInvalid as error:
        return jsonify({"error": error.as_dict() | {"fields": error.errors}}), 400
    _audit("settings_changed", "widget", {"via": "api"})
    return jsonify(saved)


@bp.get("/settings/routing")
@admin_required
def get_routing():
    """``{"mode", "capacity", "claim_on_reply", "requeue_after_minutes"}``."""
    return jsonify(settings.routing_settings())


@bp.route("/settings/routing", methods=["PUT", "PATCH"])
@admin_required
def patch_routing():
    """Given fields change, the others stay; 400 ``invalid_payload`` with ``fields`` when
    anything is wrong, and then nothing is saved."""
    try:
        saved = settings.update_routing(json_body())
    except settings.SettingsInvalid as error:
        return jsonify({"error": error.as_dict() | {"fields": error.errors}}), 400
    _audit("settings_changed", "routing", {"via": "api"} | saved)
    routing.route_safely()  # switching to auto or raising capacity may assign at once
    return jsonify(saved)


@bp.get("/agents/<agent_id>/routing")
@admin_required
def get_agent_routing(agent_id: str):
    """An agent's own capacity under automatic routing, and what it holds now."""
    return jsonify(routing.agent_routing(agents.get_agent(agent_id)))


@bp.patch("/agents/<agent_id>/routing")
@admin_required
def update_agent_routing(agent_id: str):
    """``{"capacity": int ≥ 1 | null}``: null follows the routing setting."""
    agent = agents.get_agent(agent_id)
    routing.set_agent_capacity(agent, json_body(http.CapacityChange).get("capacity"))
    _audit("agent_updated", agent.email, {"capacity": agent.capacity})
    routing.route_safely()
    return jsonify(routing.agent_routing(agent))


@bp.get("/canned-responses")
@admin_required
def list_canned():
    return jsonify({"items": [canned.response_dict(r) for r in canned.list_responses()]})


def _canned_fields() -> tuple[str, str, str]:
    body = json_body(http.CannedResponseFields)
    fields = [body.get(k) for k in ("shortcut", "title", "body")]
    if not all(isinstance(f, str) for f in fields):
        raise InvalidPayload("shortcut, title and body must be strings")
    return fields[0].strip(), fields[1], fields[2]


@bp.post("/canned-responses")
@admin_required
def create_canned():
    row = canned.create_response(*_canned_fields())
    _audit("canned_created", f"/{row.shortcut}")
    return jsonify(canned.response_dict(row)), 201


@bp.put("/canned-responses/<response_id>")
@admin_required
def update_canned(response_id: str):
    row = canned.update_response(canned.get_response(response_id), *_canned_fields())
    _audit("canned_updated", f"/{row.shortcut}")
    return jsonify(canned.response_dict(row))


@bp.delete("/canned-responses/<response_id>")
@admin_required
def delete_canned(response_id: str):
    row = canned.get_response(response_id)
    shortcut = row.shortcut
    canned.delete_response(row)
    _audit("canned_deleted", f"/{shortcut}")
    return "", 204


# --- exports, visitors, reports, audit ---------------------------------------------------------


@bp.get("/exports/conversations")
@admin_required
def export_conversations():
    """Every conversation matching the list filters, streamed as CSV or a JSON array."""
    query = parse_query(http.ExportQuery)
    fmt, search = query.format, search_of(query)
    search_conversations(search, g.agent)  # validates before streaming starts
    body, mimetype = reports.export_stream(search, fmt, g.agent)
    _audit("transcripts_exported", None, {"format": fmt, "via": "api"})
    response = Response(stream_with_context(body), content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="conversations.{fmt}"'
    return response


@bp.get("/visitors/<visitor_id>/export")
@admin_required
def export_visitor(visitor_id: str):
    """Everything stored about a visitor (an access request)."""
    data = transcripts.visitor_export(visitors.get_visitor(visitor_id))
    _audit("visitor_exported", visitor_id, {"via": "api"})
    response = jsonify(data)
    response.headers["Content-Disposition"] = f'attachment; filename="visitor-{visitor_id}.json"'
    return response


@bp.delete("/visitors/<visitor_id>")
@admin_required
def erase_visitor(visitor_id: str):
    """Erase a visitor with all its conversations (an erasure request)."""
    count = transcripts.erase_visitor(visitors.get_visitor(visitor_id))
    _audit("visitor_erased", visitor_id, {"conversations": count, "via": "api"})
    return "", 204


@bp.get("/reports")
@admin_required
def get_report():
    """Figures for ``since``..``until`` (default: the last 30 days); times in seconds."""
    default_since, default_until = reports.default_period(utcnow().date())
    period = parse_query(http.PeriodQuery)
    return jsonify(
        reports.build_report(period.since or default_since, period.until or default_until)
    )


@bp.get("/audit")
@admin_required
def get_audit():
    search = reports.AuditSearch(**parse_query(http.AuditQuery).model_dump())
    events, total = reports.search_audit(search)
    return jsonify(
        {"items": [reports.audit_dict(e) for e in events], "total": total, "page": search.page}
    )


# --- docs --------------------------------------------------------------------------------------

DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


@bp.get("/docs")
def api_docs():
    """The API described by ``openapi.json``, rendered by the vendored Swagger UI (its
    stylesheet sets inline styles, hence ``'unsafe-inline'`` for styles only)."""
    response = Response(render_template("admin/api_docs.html"))
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response
