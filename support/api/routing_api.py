"""``/api/v1`` for routing (admins): an agent's own capacity, ``GET/PATCH /agents/ID/routing``.
(The routing settings themselves are ``/settings/routing`` in ``admin_api``.)"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from ..services import agents, audit, routing
from ..services.errors import InvalidPayload
from .errors import install_json_errors
from .v1 import admin_required

bp = Blueprint("routing_api", __name__, url_prefix="/api/v1")
install_json_errors(bp)


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidPayload("send a JSON object")
    return body


@bp.get("/agents/<agent_id>/routing")
@admin_required
def get_agent_routing(agent_id: str):
    return jsonify(routing.agent_routing(agents.get_agent(agent_id)))


@bp.patch("/agents/<agent_id>/routing")
@admin_required
def update_agent_routing(agent_id: str):
    """``{"capacity": int ≥ 1 | null}``: null follows the routing setting."""
    agent = agents.get_agent(agent_id)
    routing.set_agent_capacity(agent, _body().get("capacity"))
    audit.record(
        g.agent,
        "agent_updated",
        target=agent.email,
        detail={"capacity": agent.capacity},
        ip=request.remote_addr,
    )
    routing.route_safely()
    return jsonify(routing.agent_routing(agent))
