"""The OpenAPI 3.1 description of ``/api/v1``, generated from the pydantic models the handlers
validate with (``schemas.http``) and those describing their answers (``schemas.answers``).

The only hand-written part is ``ROUTES``: one line per operation naming its models.
``tests/test_openapi.py`` checks that it matches Flask's routes both ways and that real answers
validate against the generated schemas."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus

from pydantic import BaseModel

from ..schemas import answers as a
from ..schemas import http as h

REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class File:
    """An answer that is a file or a page, not a JSON object described by a model."""

    description: str
    media_types: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # under /api/v1, with {name} path parameters
    summary: str
    tag: str
    answers: dict[int, type[BaseModel] | File | None]  # status → model; None: no body
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    access: str = "agent"  # "public", "agent" (bearer token) or "admin" (an admin's token)
    upload: bool = False  # a multipart body with the field ``file``


TRANSCRIPT = File("The transcript as an attachment", ("text/plain", "text/csv", "application/json"))
ZIP = File("Every file of the conversation", ("application/zip",))
EXPORT = File(
    "An attachment (CSV: one row per message; JSON: an array of transcripts)",
    ("text/csv", "application/json"),
)

ROUTES = [
    # public API (v1.py, attachments.py)
    Route("post", "/auth/token", "Exchange an email and password for a bearer token", "auth",
          {200: a.TokenAnswer}, body=h.Credentials, errors=(401, 429), access="public"),
    Route("get", "/conversations", "Search conversations", "conversations",
          {200: a.ConversationPage}, query=h.ConversationQuery, errors=(400,)),
    Route("get", "/conversations/{conversation_id}",
          "A conversation with all its messages, notes and activity", "conversations",
          {200: a.Transcript}, errors=(404,)),
    Route("delete", "/conversations/{conversation_id}",
          "Delete a conversation and clear its visitor's personal data", "conversations",
          {204: None}, errors=(404,), access="admin"),
    Route("get", "/conversations/{conversation_id}/transcript", "Download a transcript",
          "conversations", {200: TRANSCRIPT},
          query=h.TranscriptQuery, errors=(400, 404)),
    Route("get", "/conversations/{conversation_id}/attachments.zip",
          "Every file of a conversation (notes' too), as one zip", "attachments", {200: ZIP},
          errors=(404,)),
    Route("post", "/attachments", "Upload a file to send with a message (attachment_ids)",
          "attachments", {201: a.OneAttachment}, errors=(400, 413, 429), upload=True),
    Route("get", "/openapi.json", "This document", "docs",
          {200: File("OpenAPI 3.1", ("application/json",))}, access="public"),
    Route("get", "/docs", "This document, rendered by Swagger UI", "docs",
          {200: File("A page", ("text/html",))}, access="public"),
    # agents and tokens (admin_api.py)
    Route("get", "/agents", "List agents", "agents", {200: a.AgentList}, access="admin"),
    Route("post", "/agents",
          "Add an agent; without a password the answer has a one-time invite_url", "agents",
          {201: a.CreatedAgent}, body=h.NewAgent, errors=(400, 409), access="admin"),
    Route("get", "/agents/{agent_id}", "One agent", "agents", {200: a.OneAgent}, errors=(404,),
          access="admin"),
    Route("patch", "/agents/{agent_id}",
          "Rename, change role, reset password, set capacity, deactivate or reactivate an agent",
          "agents", {200: a.OneAgent}, body=h.AgentChanges, errors=(400, 404), access="admin"),
    Route("get", "/agents/{agent_id}/tokens", "An agent's API tokens", "agents",
          {200: a.ApiTokenList}, errors=(404,), access="admin"),
    Route("post", "/agents/{agent_id}/tokens", "Create a token; the plain token is in this "
          "answer only", "agents", {201: a.CreatedToken}, body=h.NewToken, errors=(400, 404),
          access="admin"),
    Route("delete", "/agents/{agent_id}/tokens/{token_id}", "Revoke a token", "agents",
          {204: None}, errors=(404,), access="admin"),
    Route("get", "/agents/{agent_id}/routing", "An agent's capacity", "routing",
          {200: a.AgentRouting}, errors=(404,), access="admin"),
    Route("patch", "/agents/{agent_id}/routing",
          "Set an agent's own capacity (null: the setting's)", "routing", {200: a.AgentRouting},
          body=h.CapacityChange, errors=(400, 404), access="admin"),
    # settings
    Route("get", "/settings/widget", "The widget settings", "settings", {200: a.WidgetSettings},
          access="admin"),
    *(
        Route(method, "/settings/widget", "Change widget settings (sections merge, lists "
              "replace); open widgets get them at once. A 400 carries error.fields and saves "
              "nothing", "settings", {200: a.WidgetSettings}, body=h.WidgetSettingsChanges,
              errors=(400,), access="admin")
        for method in ("put", "patch")
    ),
    Route("get", "/settings/routing", "The routing settings", "routing",
          {200: a.RoutingSettings}, access="admin"),
    *(
        Route(method, "/settings/routing", "Change routing settings (given fields only). A 400 "
              "carries error.fields and saves nothing", "routing", {200: a.RoutingSettings},
              body=h.RoutingChanges, errors=(400,), access="admin")
        for method in ("put", "patch")
    ),
    Route("get", "/settings/attachments", "Allowed attachment types", "attachments",
          {200: a.AttachmentSettings}, access="admin"),
    Route("patch", "/settings/attachments", "Change the allowed attachment types",
          "attachments", {200: a.AttachmentSettings}, body=h.AttachmentTypes, errors=(400,),
          access="admin"),
    # canned responses
    Route("get", "/canned-responses", "List canned responses", "canned responses",
          {200: a.CannedResponseList}, access="admin"),
    Route("post", "/canned-responses", "Add a canned response", "canned responses",
          {201: a.CannedResponse}, body=h.CannedResponseFields, errors=(400, 409),
          access="admin"),
    Route("put", "/canned-responses/{response_id}", "Change a canned response",
          "canned responses", {200: a.CannedResponse}, body=h.CannedResponseFields,
          errors=(400, 404, 409), access="admin"),
    Route("delete", "/canned-responses/{response_id}", "Delete a canned response",
          "canned responses", {204: None}, errors=(404,), access="admin"),
    # exports, visitors, reports, audit
    Route("get", "/exports/conversations", "Every matching conversation, streamed (CSV: one "
          "row per message; JSON: an array of transcripts)", "exports", {200: EXPORT},
          query=h.ExportQuery, errors=(400,), access="admin"),
    Route("get", "/visitors/{visitor_id}/export",
          "Everything stored about a visitor (an access request)", "visitors",
          {200: a.VisitorExport}, errors=(404,), access="admin"),
    Route("delete", "/visitors/{visitor_id}", "Erase a visitor and all its conversations",
          "visitors", {204: None}, errors=(404,), access="admin"),
    Route("get", "/reports", "Conversations per day, first response and resolution times "
          "(seconds, median and 90th percentile), ratings; overall and per agent", "reports",
          {200: a.Report}, query=h.PeriodQuery, errors=(400,), access="admin"),
    Route("get", "/audit", "The audit log, newest first", "audit", {200: a.AuditPage},
          query=h.AuditQuery, errors=(400,), access="admin"),
    # webhooks (webhooks_api.py)
    Route("get", "/webhooks", "Webhook endpoints (never their secrets)", "webhooks",
          {200: a.WebhookList}, access="admin"),
    Route("post", "/webhooks", "Add an endpoint; the answer carries its secret, shown this once",
          "webhooks", {201: a.OneWebhook}, body=h.NewWebhook, errors=(400,), access="admin"),
    Route("delete", "/webhooks/{webhook_id}",
          "Delete an endpoint; its pending deliveries are dropped", "webhooks", {204: None},
          errors=(404,), access="admin"),
    Route("get", "/webhooks/{webhook_id}/deliveries",
          "Recent deliveries to an endpoint, newest first", "webhooks", {200: a.DeliveryList},
          errors=(404,), access="admin"),
    Route("post", "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
          "Send a delivery again now, with its original webhook-id", "webhooks",
          {202: a.OneDelivery}, errors=(404,), access="admin"),
]  # fmt: skip


class _Components:
    """Collects each model's schema (and the models it refers to) under its class name."""

    def __init__(self) -> None:
        self.schemas: dict[str, dict] = {}

    def schema(self, model: type[BaseModel], mode: str = "serialization") -> dict:
        schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
        for name, definition in schema.pop("$defs", {}).items():
            self.schemas.setdefault(name, definition)
        return schema

    def ref(self, model: type[BaseModel], mode: str = "serialization") -> dict:
        self.schemas.setdefault(model.__name__, self.schema(model, mode))
        return {"$ref": REF.format(model=model.__name__)}


def _without_null(schema: dict) -> dict:
    """A query parameter is absent rather than null."""
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) != 1:
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return options[0] | rest


def _query_parameters(model: type[BaseModel], components: _Components) -> list[dict]:
    schema = components.schema(model, mode="validation")
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = _without_null(dict(prop))
        description = prop.pop("description", None)
        prop.pop("title", None)
        if "default" in prop and prop["default"] is None:
            del prop["default"]  # absent, not null
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _path_parameters(path: str) -> list[dict]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", path)
    ]


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _answer(status: int, answer: type[BaseModel] | File | None, components: _Components) -> dict:
    if answer is None:
        return {"description": HTTPStatus(status).phrase}
    if isinstance(answer, File):
        content: dict[str, dict] = {media_type: {} for media_type in answer.media_types}
        return {"description": answer.description, "content": content}
    return _json(components.ref(answer), HTTPStatus(status).phrase)


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


def _errors(route: Route) -> tuple[int, ...]:
    implied = {"public": (), "agent": (401,), "admin": (401, 403)}[route.access]
    return tuple(sorted(set(implied) | set(route.errors)))


def operation(route: Route, components: _Components) -> dict:
    """One operation object of the document."""
    op: dict = {"summary": route.summary, "tags": [route.tag]}
    if route.access == "admin":
        op["summary"] += " (admins only)"
    if route.access != "public":
        op["security"] = [{"bearer": []}]
    parameters = _path_parameters(route.path)
    if route.query:
        parameters += _query_parameters(route.query, components)
    if parameters:
        op["parameters"] = parameters
    if route.body:
        schema = components.ref(route.body, mode="validation")
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    if route.upload:
        op["requestBody"] = UPLOAD
    responses = {str(s): _answer(s, answer, components) for s, answer in route.answers.items()}
    for status in _errors(route):
        responses[str(status)] = _json(components.ref(a.Error), HTTPStatus(status).phrase)
    op["responses"] = responses
    return op


@cache
def document() -> dict:
    """The whole document (built once per process)."""
    components = _Components()
    paths: dict[str, dict] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method] = operation(route, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Support API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": dict(sorted(components.schemas.items())),
        },
    }
