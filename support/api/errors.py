"""The contract's HTTP error shape, shared by the API blueprints."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException

from ..services.errors import ServiceError


def error_response(code: str, message: str, status: int):
    """``{"error": {"code", "message"}}`` with ``status``."""
    return jsonify({"error": {"code": code, "message": message}}), status


def _service_error(error: ServiceError):
    return error_response(error.code, error.message, error.status)


HTTP_CODES = {
    400: "invalid_payload",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "invalid_payload",
    413: "payload_too_large",
    415: "invalid_payload",
    429: "rate_limited",
}


def _http_error(error: HTTPException):
    code = HTTP_CODES.get(error.code or 500, "internal")
    return error_response(code, error.description or "error", error.code or 500)


def install_json_errors(blueprint: Blueprint) -> None:
    """Answer service errors and HTTP errors of ``blueprint`` as JSON."""
    blueprint.register_error_handler(ServiceError, _service_error)
    blueprint.register_error_handler(HTTPException, _http_error)


def install_api_not_found(app) -> None:
    """Routing errors (unknown path, wrong method) happen before any blueprint is chosen, so
    the app answers them: JSON under ``/api/``, Flask's usual page elsewhere."""

    @app.errorhandler(404)
    @app.errorhandler(405)
    def api_routing_error(error: HTTPException):
        if request.path.startswith("/api/"):
            return _http_error(error)
        return error
