"""``GET /healthz``: 200 once the database answers."""

from flask import Blueprint, jsonify

from ..http_cache import public
from ..services import status

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    """Load balancers and monitors poll this; it touches the database on purpose."""
    if not status.database_answers():
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"})
