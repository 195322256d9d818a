"""The OpenAPI 3 description of ``/api/v1``, built from the same schemas the server validates."""

from __future__ import annotations

from functools import cache
from typing import Any

from . import openapi_admin, openapi_files
from .openapi_parts import (
    error_responses,
    json_response,
    path_param,
    query_param,
    ref,
    request_body,
)

ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        }
    },
}

SENDER = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["visitor", "agent", "system"]},
        "id": {"type": ["string", "null"]},
        "name": {"type": ["string", "null"]},
    },
}

MESSAGE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "conversation_id": {"type": "string"},
        "seq": {"type": "integer", "minimum": 1},
        "client_id": {"type": ["string", "null"]},
        "sender": SENDER,
        "body": {"type": "string"},
        "private": {"type": "boolean"},
        "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/Attachment"}},
        "created_at": {"type": "string", "format": "date-time"},
    },
}

CONVERSATION = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "visitor": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "name": {
                    "type": ["string", "null"],
                    "description": "the visitor's own name, or a stable friendly one",
                },
                "email": {"type": ["string", "null"]},
                "verified": {"type": "boolean"},
            },
        },
        "assignee": {
            "type": ["object", "null"],
            "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
        },
        "last_seq": {"type": "integer"},
        "rating": {"type": ["integer", "null"]},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "unread": {
            "type": "integer",
            "description": "visitor messages after the asking agent's own read mark",
        },
        "waiting_since": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "the visitor's first message after the team's last reply",
        },
    },
}


CONVERSATION_ID = path_param("id")
CREDENTIALS = {
    "type": "object",
    "required": ["email", "password"],
    "properties": {"email": {"type": "string"}, "password": {"type": "string"}},
}

LIST_PARAMETERS = [
    query_param("status", "open or closed", {"type": "string", "enum": ["open", "closed"]}),
    query_param("assignee", "an agent id, `me` or `none`"),
    query_param("q", "words that must all appear in the messages or the visitor's name or email"),
    query_param("since", "first creation date, inclusive", {"type": "string", "format": "date"}),
    query_param("until", "last creation date, inclusive", {"type": "string", "format": "date"}),
    query_param("page", "page number from 1", {"type": "integer", "minimum": 1}),
    query_param("per_page", "items per page", {"type": "integer", "minimum": 1, "maximum": 100}),
]


@cache
def document() -> dict:
    """The whole document (built once per process)."""
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Support API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR, "Message": MESSAGE, "Conversation": CONVERSATION},
        },
        "paths": {
            "/auth/token": {
                "post": {
                    "summary": "Exchange an email and password for a bearer token",
                    "requestBody": request_body(CREDENTIALS),
                    "responses": {
                        "200": json_response(
                            {
                                "type": "object",
                                "properties": {
                                    "token": {"type": "string"},
                                    "agent": {
                                        "type": "object",
                                        "properties": {
                                            "id": {"type": "string"},
                                            "name": {"type": "string"},
                                            "email": {"type": "string"},
                                            "admin": {"type": "boolean"},
                                        },
                                    },
                                },
                            }
                        )
                    }
                    | error_responses(400, 401, 429),
                }
            },
            "/conversations": {
                "get": {
                    "summary": "Search conversations",
                    "security": bearer,
                    "parameters": LIST_PARAMETERS,
                    "responses": {
                        "200": json_response(
                            {
                                "type": "object",
                                "properties": {
                                    "items": {"type": "array", "items": ref("Conversation")},
                                    "total": {"type": "integer"},
                                    "page": {"type": "integer"},
                                },
                            }
                        )
                    }
                    | error_responses(400, 401),
                }
            },
            "/conversations/{id}": {
                "get": {
                    "summary": "A conversation with all its messages and notes",
                    "security": bearer,
                    "parameters": [CONVERSATION_ID],
                    "responses": {
                        "200": json_response(
                            {
                                "type": "object",
                                "properties": {
                                    "conversation": ref("Conversation"),
                                    "messages": {"type": "array", "items": ref("Message")},
                                },
                            }
                        )
                    }
                    | error_responses(401, 404),
                },
                "delete": {
                    "summary": "Delete a conversation and clear its visitor's personal data",
                    "security": bearer,
                    "parameters": [CONVERSATION_ID],
                    "responses": {"204": {"description": "Deleted"}}
                    | error_responses(401, 403, 404),
                },
            },
            "/conversations/{id}/transcript": {
                "get": {
                    "summary": "Download a transcript",
                    "security": bearer,
                    "parameters": [
                        CONVERSATION_ID,
                        query_param(
                            "format",
                            "txt, csv or json",
                            {"type": "string", "enum": ["txt", "csv", "json"], "default": "txt"},
                        ),
                    ],
                    "responses": {"200": {"description": "The transcript as an attachment"}}
                    | error_responses(400, 401, 404),
                }
            },
        },
    }
    doc["paths"] |= openapi_admin.PATHS
    doc["components"]["schemas"] |= openapi_admin.SCHEMAS
    doc["paths"] |= openapi_files.PATHS
    doc["components"]["schemas"] |= openapi_files.SCHEMAS
    return doc
