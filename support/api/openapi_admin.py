"""OpenAPI paths and schemas of the admin routes of ``/api/v1`` (``admin_api.py``), merged into
``openapi.document()``: ``doc["paths"] |= PATHS``, ``doc["components"]["schemas"] |= SCHEMAS``."""

from __future__ import annotations

from .openapi_parts import (
    error_responses,
    json_response,
    path_param,
    query_param,
    ref,
    request_body,
)

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def _errors(*statuses: int) -> dict:
    return error_responses(401, 403, *statuses)


def _op(summary: str, responses: dict, *, parameters=None, body=None, errors=()) -> dict:
    op = {
        "summary": summary + " (admins only)",
        "security": BEARER,
        "responses": responses | _errors(*errors),
    }
    if parameters:
        op["parameters"] = parameters
    if body:
        op["requestBody"] = request_body(body)
    return op


def _items(name: str) -> dict:
    return {"type": "object", "properties": {"items": {"type": "array", "items": ref(name)}}}


STRING = {"type": "string"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
SCHEMAS = {
    "Agent": {
        "type": "object",
        "properties": {
            "id": STRING,
            "name": STRING,
            "email": STRING,
            "admin": {"type": "boolean"},
            "active": {"type": "boolean"},
            "invited": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "ApiToken": {
        "type": "object",
        "properties": {
            "id": STRING,
            "label": STRING,
            "created_at": {"type": "string", "format": "date-time"},
            "last_used_at": NULLABLE_TIME,
            "revoked_at": NULLABLE_TIME,
        },
    },
    "CannedResponse": {
        "type": "object",
        "required": ["shortcut", "title", "body"],
        "properties": {
            "id": STRING,
            "shortcut": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,39}$"},
            "title": STRING,
            "body": STRING,
        },
    },
    "WidgetSettings": {
        "type": "object",
        "description": (
            "brand {name, tagline, color #rrggbb}; layout {position left|right}; contact {phone, "
            "email, intro, socials [{network, url (http/https), label}]}; chat {greeting, "
            "offline_message, prechat_fields [{name: name|email, label, required}]}; hours "
            "{enabled, timezone (IANA), days {mon..sun: {open HH:MM, close HH:MM}}}; "
            "allowed_origins [origin] or null; retention_days int 1-3650 or null"
        ),
        "properties": {
            k: {"type": "object"} for k in ("brand", "layout", "contact", "chat", "hours")
        }
        | {
            "allowed_origins": {"type": ["array", "null"], "items": STRING},
            "retention_days": {"type": ["integer", "null"]},
        },
    },
    "AuditEvent": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "action": STRING,
            "target": {"type": ["string", "null"]},
            "detail": {"type": ["object", "null"]},
            "actor": {"type": ["object", "null"], "properties": {"id": STRING, "name": STRING}},
            "ip_address": {"type": ["string", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
}

AGENT_ID, TOKEN_ID, RESPONSE_ID, VISITOR_ID = (
    path_param("agent_id"),
    path_param("token_id"),
    path_param("response_id"),
    path_param("visitor_id"),
)
EXPORT_FILTERS = [
    query_param("format", "csv or json", {"type": "string", "enum": ["csv", "json"]}),
    query_param("status", "open or closed"),
    query_param("assignee", "an agent id, `me` or `none`"),
    query_param("q", "words that must all appear"),
    query_param("since", "YYYY-MM-DD", {"type": "string", "format": "date"}),
    query_param("until", "YYYY-MM-DD", {"type": "string", "format": "date"}),
    query_param("rating", "1-5", {"type": "integer"}),
    query_param("verified", "true or false", {"type": "boolean"}),
]
PERIOD = [
    query_param("since", "first day (default: 29 days ago)", {"type": "string", "format": "date"}),
    query_param("until", "last day (default: today)", {"type": "string", "format": "date"}),
]

PATHS = {
    "/agents": {
        "get": _op("List agents", {"200": json_response(_items("Agent"))}),
        "post": _op(
            "Add an agent; without a password the answer has a one-time invite_url",
            {
                "201": json_response(
                    {"type": "object", "properties": {"agent": ref("Agent"), "invite_url": STRING}}
                )
            },
            body={
                "type": "object",
                "required": ["email", "name"],
                "properties": {
                    "email": STRING,
                    "name": STRING,
                    "admin": {"type": "boolean"},
                    "password": {"type": "string", "minLength": 8},
                },
            },
            errors=(400, 409),
        ),
    },
    "/agents/{agent_id}": {
        "get": _op(
            "One agent",
            {"200": json_response({"type": "object", "properties": {"agent": ref("Agent")}})},
            parameters=[AGENT_ID],
            errors=(404,),
        ),
        "patch": _op(
            "Rename, change role, reset password, deactivate or reactivate an agent "
            "(deactivation ends its sessions and sockets)",
            {"200": json_response({"type": "object", "properties": {"agent": ref("Agent")}})},
            parameters=[AGENT_ID],
            body={
                "type": "object",
                "properties": {
                    "name": STRING,
                    "admin": {"type": "boolean"},
                    "active": {"type": "boolean"},
                    "password": {"type": "string", "minLength": 8},
                },
            },
            errors=(400, 404),
        ),
    },
    "/agents/{agent_id}/tokens": {
        "get": _op(
            "An agent's API tokens",
            {"200": json_response(_items("ApiToken"))},
            parameters=[AGENT_ID],
            errors=(404,),
        ),
        "post": _op(
            "Create a token; the plain token is in this answer only",
            {
                "201": json_response(
                    {
                        "allOf": [
                            ref("ApiToken"),
                            {"type": "object", "properties": {"token": STRING}},
                        ]
                    }
                )
            },
            parameters=[AGENT_ID],
            body={"type": "object", "required": ["label"], "properties": {"label": STRING}},
            errors=(400, 404),
        ),
    },
    "/agents/{agent_id}/tokens/{token_id}": {
        "delete": _op(
            "Revoke a token",
            {"204": {"description": "Revoked"}},
            parameters=[AGENT_ID, TOKEN_ID],
            errors=(404,),
        ),
    },
    "/settings/widget": {
        "get": _op("The widget settings", {"200": json_response(ref("WidgetSettings"))}),
        "put": _op(
            "Change widget settings (sections merge, lists replace); open widgets get them "
            "at once. A 400 carries error.fields (path → message) and saves nothing",
            {"200": json_response(ref("WidgetSettings"))},
            body=ref("WidgetSettings"),
            errors=(400,),
        ),
    },
    "/settings/routing": {  # its schema, RoutingSettings, is in openapi_files
        "get": _op("The routing settings", {"200": json_response(ref("RoutingSettings"))}),
        "patch": _op(
            "Change routing settings (given fields only). A 400 carries error.fields and "
            "saves nothing",
            {"200": json_response(ref("RoutingSettings"))},
            body=ref("RoutingSettings"),
            errors=(400,),
        ),
    },
    "/canned-responses": {
        "get": _op("List canned responses", {"200": json_response(_items("CannedResponse"))}),
        "post": _op(
            "Add a canned response",
            {"201": json_response(ref("CannedResponse"))},
            body=ref("CannedResponse"),
            errors=(400, 409),
        ),
    },
    "/canned-responses/{response_id}": {
        "put": _op(
            "Change a canned response",
            {"200": json_response(ref("CannedResponse"))},
            parameters=[RESPONSE_ID],
            body=ref("CannedResponse"),
            errors=(400, 404, 409),
        ),
        "delete": _op(
            "Delete a canned response",
            {"204": {"description": "Deleted"}},
            parameters=[RESPONSE_ID],
            errors=(404,),
        ),
    },
    "/exports/conversations": {
        "get": _op(
            "Every matching conversation, streamed (CSV: one row per message; JSON: "
            "an array of transcripts)",
            {"200": {"description": "An attachment"}},
            parameters=EXPORT_FILTERS,
            errors=(400,),
        ),
    },
    "/visitors/{visitor_id}/export": {
        "get": _op(
            "Everything stored about a visitor (an access request)",
            {
                "200": json_response(
                    {
                        "type": "object",
                        "properties": {
                            "visitor": {"type": "object"},
                            "conversations": {"type": "array", "items": {"type": "object"}},
                        },
                    }
                )
            },
            parameters=[VISITOR_ID],
            errors=(404,),
        ),
    },
    "/visitors/{visitor_id}": {
        "delete": _op(
            "Erase a visitor and all its conversations",
            {"204": {"description": "Erased"}},
            parameters=[VISITOR_ID],
            errors=(404,),
        ),
    },
    "/reports": {
        "get": _op(
            "Conversations per day, first response and resolution times (seconds, "
            "median and 90th percentile), ratings; overall and per agent",
            {"200": json_response({"type": "object"})},
            parameters=PERIOD,
            errors=(400,),
        ),
    },
    "/audit": {
        "get": _op(
            "The audit log, newest first",
            {
                "200": json_response(
                    {
                        "type": "object",
                        "properties": {
                            "items": {"type": "array", "items": ref("AuditEvent")},
                            "total": {"type": "integer"},
                            "page": {"type": "integer"},
                        },
                    }
                )
            },
            parameters=[
                query_param("action", "one action"),
                query_param("actor", "an agent id"),
                query_param("since", "YYYY-MM-DD"),
                query_param("until", "YYYY-MM-DD"),
                query_param("page", "from 1", {"type": "integer"}),
            ],
            errors=(400,),
        ),
    },
}


# --- webhooks (webhooks_api.py) -----------------------------------------------------------------

EVENT_TYPE = {
    "type": "string",
    "enum": [
        "conversation.created",
        "message.created",
        "conversation.assigned",
        "conversation.closed",
        "conversation.rated",
    ],
}
WEBHOOK_ID = path_param("webhook_id")
SCHEMAS |= {
    "Webhook": {
        "type": "object",
        "properties": {
            "id": STRING,
            "url": {"type": "string", "format": "uri"},
            "events": {"type": "array", "items": EVENT_TYPE},
            "active": {"type": "boolean", "description": "false once it kept failing"},
            "created_at": {"type": "string", "format": "date-time"},
            "secret": {
                "type": "string",
                "description": "whsec_ + base64 of the signing key; only in the answer to POST",
            },
        },
    },
    "WebhookDelivery": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "webhook-id is msg_ + this id"},
            "type": EVENT_TYPE,
            "status": {"type": "string", "enum": ["pending", "sent", "failed", "skipped"]},
            "attempts": {"type": "integer"},
            "response_code": {"type": ["integer", "null"]},
            "last_error": {"type": ["string", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
            "last_attempt_at": NULLABLE_TIME,
            "next_attempt_at": NULLABLE_TIME,
        },
    },
}
PATHS |= {
    "/webhooks": {
        "get": _op(
            "Webhook endpoints (never their secrets)",
            {
                "200": json_response(
                    {
                        "type": "object",
                        "properties": {
                            "webhooks": {"type": "array", "items": ref("Webhook")},
                            "items": {"type": "array", "items": ref("Webhook")},
                        },
                    }
                )
            },
        ),
        "post": _op(
            "Add an endpoint; the answer carries its secret, shown this once",
            {
                "201": json_response(
                    {"type": "object", "properties": {"webhook": ref("Webhook")}}, "Created"
                )
            },
            body={
                "type": "object",
                "required": ["url", "events"],
                "properties": {
                    "url": {"type": "string", "format": "uri", "description": "http or https"},
                    "events": {"type": "array", "minItems": 1, "items": EVENT_TYPE},
                },
            },
            errors=(400,),
        ),
    },
    "/webhooks/{webhook_id}": {
        "delete": _op(
            "Delete an endpoint; its pending deliveries are dropped",
            {"204": {"description": "Deleted"}},
            parameters=[WEBHOOK_ID],
            errors=(404,),
        ),
    },
    "/webhooks/{webhook_id}/deliveries": {
        "get": _op(
            "Recent deliveries to an endpoint, newest first",
            {"200": json_response(_items("WebhookDelivery"))},
            parameters=[WEBHOOK_ID],
            errors=(404,),
        ),
    },
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": {
        "post": _op(
            "Send a delivery again now, with its original webhook-id",
            {
                "202": json_response(
                    {"type": "object", "properties": {"delivery": ref("WebhookDelivery")}},
                    "Queued",
                )
            },
            parameters=[WEBHOOK_ID, path_param("delivery_id")],
            errors=(404,),
        ),
    },
}
