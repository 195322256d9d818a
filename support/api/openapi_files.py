"""OpenAPI paths and schemas of attachments and routing (``attachments.py``,
``admin_api.py``), merged into ``openapi.document()`` like ``openapi_admin``."""

from __future__ import annotations

from .openapi_admin import _op
from .openapi_parts import error_responses, json_response, path_param, ref

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
STRING = {"type": "string"}

SCHEMAS = {
    "Attachment": {
        "type": "object",
        "properties": {
            "id": STRING,
            "name": STRING,
            "size": {"type": "integer"},
            "content_type": STRING,
            "url": {"type": "string", "description": "a signed link that expires"},
        },
    },
    "RoutingSettings": {
        "type": "object",
        "properties": {
            "mode": {"type": "string", "enum": ["manual", "auto"]},
            "capacity": {"type": "integer", "minimum": 1},
            "claim_on_reply": {"type": "boolean"},
            "requeue_after_minutes": {"type": ["integer", "null"], "minimum": 1},
        },
    },
    "AgentRouting": {
        "type": "object",
        "properties": {
            "capacity": {"type": ["integer", "null"], "minimum": 1},
            "effective_capacity": {"type": "integer"},
            "open": {"type": "integer"},
        },
    },
    "AttachmentSettings": {
        "type": "object",
        "properties": {
            "allowed_types": {"type": "array", "items": STRING},
            "known_types": {"type": "array", "items": STRING},
            "max_bytes": {"type": "integer"},
        },
    },
}

UPLOAD = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        }
    },
}

PATHS = {
    "/attachments": {
        "post": {
            "summary": "Upload a file to send with a message (attachment_ids)",
            "security": BEARER,
            "requestBody": UPLOAD,
            "responses": {
                "201": json_response(
                    {"type": "object", "properties": {"attachment": ref("Attachment")}}
                )
            }
            | error_responses(400, 401, 413, 429),
        }
    },
    "/agents/{agent_id}/routing": {
        "get": _op(
            "An agent's capacity",
            {"200": json_response(ref("AgentRouting"))},
            parameters=[path_param("agent_id")],
            errors=(404,),
        ),
        "patch": _op(
            "Set an agent's own capacity (null: the setting's)",
            {"200": json_response(ref("AgentRouting"))},
            parameters=[path_param("agent_id")],
            body={"type": "object", "properties": {"capacity": {"type": ["integer", "null"]}}},
            errors=(400, 404),
        ),
    },
    "/settings/attachments": {
        "get": _op("Allowed attachment types", {"200": json_response(ref("AttachmentSettings"))}),
        "patch": _op(
            "Change the allowed attachment types",
            {"200": json_response(ref("AttachmentSettings"))},
            body={"type": "object", "properties": {"allowed_types": {"type": "array"}}},
            errors=(400,),
        ),
    },
}
