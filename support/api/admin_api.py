"""``/api/v1`` for admins: agents and their tokens, widget settings, canned responses, bulk
exports, visitors (access and erasure requests), reports and the audit log. Bearer tokens of
admins only; agents get 403 and everyone else 401. Also serves the rendered API docs."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request

from ..downloads import download_response
from ..http_query import json_body, parse_query, search_of
from ..models import utcnow
from ..schemas import http
from ..serializers import agent_admin_dict, audit_dict, canned_response_dict, token_dict
from ..services import agents, canned, exports, reports, routing, settings, transcripts, visitors
from ..services.errors import InvalidPayload
from ..services.presence import presence
from .errors import install_json_errors
from .v1 import admin_required, api_actor

bp = Blueprint("admin_api", __name__, url_prefix="/api/v1")
install_json_errors(bp)


# --- agents ------------------------------------------------------------------------------------


@bp.get("/agents")
@admin_required
def list_agents():
    return jsonify({"items": [agent_admin_dict(a) for a in agents.list_agents()]})


@bp.post("/agents")
@admin_required
def create_agent():
    """``{"email", "name", "admin"?, "password"?}``: without a password the answer carries a
    one-time ``invite_url``."""
    body = json_body(http.NewAgent)
    email, name = str(body.get("email") or ""), str(body.get("name") or "")
    password, is_admin = body.get("password"), body.get("admin") is True
    if password is not None and not isinstance(password, str):
        raise InvalidPayload("password must be a string")
    if password is not None:
        agent = agents.create_agent(email, name, password, is_admin=is_admin, actor=api_actor())
        return jsonify({"agent": agent_admin_dict(agent)}), 201
    agent, token = agents.invite_agent(email, name, is_admin=is_admin, actor=api_actor())
    invite_url = request.host_url.rstrip("/") + f"/admin/invite/{token}"
    return jsonify({"agent": agent_admin_dict(agent), "invite_url": invite_url}), 201


@bp.get("/agents/<agent_id>")
@admin_required
def get_agent(agent_id: str):
    return jsonify({"agent": agent_admin_dict(agents.get_agent(agent_id))})


@bp.patch("/agents/<agent_id>")
@admin_required
def update_agent(agent_id: str):
    """``{"name"?, "admin"?, "active"?, "password"?, "capacity"?}``: all checked before anything
    changes."""
    agent = agents.get_agent(agent_id)
    agents.update_agent(agent, json_body(http.AgentChanges), actor=api_actor())
    return jsonify({"agent": agent_admin_dict(agent)})


@bp.get("/agents/<agent_id>/tokens")
@admin_required
def list_tokens(agent_id: str):
    tokens = agents.list_tokens(agents.get_agent(agent_id))
    return jsonify({"items": [token_dict(t) for t in tokens]})


@bp.post("/agents/<agent_id>/tokens")
@admin_required
def create_token(agent_id: str):
    """``{"label"}`` → the plain token, this once."""
    agent, label = agents.get_agent(agent_id), json_body(http.NewToken).get("label")
    token, row = agents.create_token(agent, label, actor=api_actor())
    return jsonify({"token": token} | token_dict(row)), 201


@bp.delete("/agents/<agent_id>/tokens/<token_id>")
@admin_required
def revoke_token(agent_id: str, token_id: str):
    agents.revoke_token(agents.get_agent(agent_id), token_id, actor=api_actor())
    return "", 204


# --- settings and canned responses -------------------------------------------------------------


@bp.get("/settings/widget")
@admin_required
def get_settings():
    return jsonify(settings.widget_settings())


def _invalid(error: settings.SettingsInvalid):
    """400 with ``fields`` (path → message): nothing was saved."""
    return jsonify({"error": error.as_dict() | {"fields": error.errors}}), 400


@bp.route("/settings/widget", methods=["PUT", "PATCH"])
@admin_required
def put_settings():
    """Sections merge into the current settings, lists replace; answers 400 with ``fields``
    (path → message) when anything is wrong, and then nothing is saved."""
    try:
        saved = settings.update_widget_settings(
            json_body(), online=presence.anyone_online(), actor=api_actor()
        )
    except settings.SettingsInvalid as error:
        return _invalid(error)
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
        saved = routing.save_settings(json_body(), actor=api_actor())
    except settings.SettingsInvalid as error:
        return _invalid(error)
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
    changes = {"capacity": json_body(http.CapacityChange).get("capacity")}
    agents.update_agent(agent, changes, actor=api_actor())
    return jsonify(routing.agent_routing(agent))


@bp.get("/canned-responses")
@admin_required
def list_canned():
    return jsonify({"items": [canned_response_dict(r) for r in canned.list_responses()]})


def _canned_fields() -> tuple[str, str, str]:
    body = json_body(http.CannedResponseFields)
    shortcut, title, text = (body.get(k) for k in ("shortcut", "title", "body"))
    if not (isinstance(shortcut, str) and isinstance(title, str) and isinstance(text, str)):
        raise InvalidPayload("shortcut, title and body must be strings")
    return shortcut.strip(), title, text


@bp.post("/canned-responses")
@admin_required
def create_canned():
    row = canned.create_response(*_canned_fields(), actor=api_actor())
    return jsonify(canned_response_dict(row)), 201


@bp.put("/canned-responses/<response_id>")
@admin_required
def update_canned(response_id: str):
    row = canned.get_response(response_id)
    canned.update_response(row, *_canned_fields(), actor=api_actor())
    return jsonify(canned_response_dict(row))


@bp.delete("/canned-responses/<response_id>")
@admin_required
def delete_canned(response_id: str):
    canned.delete_response(canned.get_response(response_id), actor=api_actor())
    return "", 204


# --- exports, visitors, reports, audit ---------------------------------------------------------


@bp.get("/exports/conversations")
@admin_required
def export_conversations():
    """Every conversation matching the list filters, streamed as CSV or a JSON array."""
    query = parse_query(http.ExportQuery)
    download = exports.conversations_file(search_of(query), query.format, actor=api_actor())
    return download_response(download)


@bp.get("/visitors/<visitor_id>/export")
@admin_required
def export_visitor(visitor_id: str):
    """Everything stored about a visitor (an access request)."""
    return download_response(exports.visitor_file(visitor_id, actor=api_actor()))


@bp.delete("/visitors/<visitor_id>")
@admin_required
def erase_visitor(visitor_id: str):
    """Erase a visitor with all its conversations (an erasure request)."""
    transcripts.erase_visitor(visitors.get_visitor(visitor_id), actor=api_actor())
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
    return jsonify({"items": [audit_dict(e) for e in events], "total": total, "page": search.page})


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
