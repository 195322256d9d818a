"""The OpenAPI document of ``/api/v1`` (generated from ``support/schemas``): it is valid
OpenAPI 3.1, describes exactly the routes Flask serves, and what the routes really answer
validates against it, every field the server sends included."""

from __future__ import annotations

import copy
import io
import re

import jsonschema
import pytest
from openapi_spec_validator import validate
from pydantic import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from support.api import openapi
from support.schemas import http
from support.services import agents, conversations, search, settings, visitors

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def described(document: dict) -> set[tuple[str, str]]:
    return {
        (method.upper(), "/api/v1" + path)
        for path, operations in document["paths"].items()
        for method in operations
    }


def served(app) -> set[tuple[str, str]]:
    """Flask's ``/api/v1`` routes, ``<converter:name>`` written as ``{name}``."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(method, path) for method in rule.methods - IGNORED_METHODS}
    return routes


def test_every_route_is_described_and_every_description_is_a_route(app, client):
    document = client.get("/api/v1/openapi.json").json
    assert served(app) - described(document) == set(), "routes missing from the document"
    assert described(document) - served(app) == set(), "described routes that do not exist"


def test_the_document_is_valid_openapi_3_1(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any error
    assert document == openapi.document()  # what is served is what is built


def test_limits_in_the_schemas_are_the_services_own():
    assert http.MIN_PASSWORD_LENGTH == agents.MIN_PASSWORD_LENGTH
    assert http.MAX_PER_PAGE == search.MAX_PER_PAGE
    assert http.MAX_CAPACITY == settings.MAX_CAPACITY
    assert http.MAX_REQUEUE_MINUTES == settings.MAX_REQUEUE_MINUTES


WIDGET_BODIES = [
    {},
    {"brand": "x"},
    {"brand": {"name": "Shop"}},
    {"layout": None},
    {"allowed_origins": None},
    {"allowed_origins": ["https://shop.example"]},
    {"allowed_origins": "https://shop.example"},
    {"retention_days": 0},
    {"retention_days": 3650},
    {"retention_days": 3651},
    {"retention_days": "30"},
    {"retention_days": None},
]


@pytest.mark.parametrize("body", WIDGET_BODIES)
def test_widget_settings_model_accepts_only_what_the_service_accepts(client, ctx, body):
    """The service also takes a few looser forms (one origin as a string, a number as text);
    the document promises only what it accepts."""
    admin = agents.create_agent("root@example.com", "Root", "password-1", is_admin=True)
    headers = {"Authorization": "Bearer " + agents.issue_api_token(admin)}
    answer = client.patch("/api/v1/settings/widget", json=body, headers=headers)
    try:
        http.WidgetSettingsChanges.model_validate(body)
    except ValidationError:
        return
    assert answer.status_code == 200, (body, answer.json)


ROUTING_BODIES = [
    {},
    {"mode": "auto"},
    {"mode": "sometimes"},
    {"capacity": 3, "claim_on_reply": False},
    {"capacity": 0},
    {"capacity": 1001},
    {"capacity": None},
    {"capacity": "3"},
    {"capacity": True},
    {"claim_on_reply": "yes"},
    {"requeue_after_minutes": None},
    {"requeue_after_minutes": 30},
    {"requeue_after_minutes": 0},
    {"colour": "blue"},
]


@pytest.mark.parametrize("body", ROUTING_BODIES)
def test_routing_changes_model_accepts_what_the_service_accepts(client, ctx, body):
    """The routing settings are checked by the service (its errors name each field): the
    documented model must agree with it on every body."""
    admin = agents.create_agent("root@example.com", "Root", "password-1", is_admin=True)
    headers = {"Authorization": "Bearer " + agents.issue_api_token(admin)}
    answer = client.patch("/api/v1/settings/routing", json=body, headers=headers)
    try:
        http.RoutingChanges.model_validate(body)
        documented = True
    except ValidationError:
        documented = False
    assert (answer.status_code == 200) == documented, (body, answer.json)


def test_query_parameters_validate_as_the_document_says(client, ctx):
    admin = agents.create_agent("root@example.com", "Root", "password-1", is_admin=True)
    headers = {"Authorization": "Bearer " + agents.issue_api_token(admin)}
    for query in ("page=0", "per_page=x", "since=yesterday", "rating=6", "status=maybe"):
        answer = client.get(f"/api/v1/conversations?{query}", headers=headers)
        assert answer.status_code == 400, query
        name = query.split("=")[0]
        assert answer.json["error"]["message"].startswith(name), answer.json
    assert client.get("/api/v1/audit?page=x", headers=headers).status_code == 400
    assert (
        client.get("/api/v1/conversations?page=&verified=maybe", headers=headers).status_code == 200
    )
    answer = client.get("/api/v1/conversations?per_page=500", headers=headers)
    assert answer.status_code == 200  # served as 100


def _closed(schema):
    """``schema`` with every object closed to undocumented fields (dicts of free keys stay
    open), so an answer carrying a field the document does not name fails."""
    if isinstance(schema, dict):
        schema = {key: _closed(value) for key, value in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    return schema


class Answers:
    """Checks real answers against the document's schema for their route and status."""

    def __init__(self, document: dict):
        self.document = _closed(copy.deepcopy(document))
        resource = Resource(contents=self.document, specification=DRAFT202012)
        self.registry = Registry().with_resource("urn:doc", resource)
        self.checked: set[tuple[str, str]] = set()

    def check(self, method: str, path: str, answer) -> None:
        """``path`` as written in the document (``{name}``)."""
        status = str(answer.status_code)
        operation = self.document["paths"][path][method]
        assert status in operation["responses"], (method, path, status, answer.text)
        content = operation["responses"][status].get("content", {})
        if "application/json" in content and "schema" in content["application/json"]:
            schema = content["application/json"]["schema"]
            ref = {"$ref": "urn:doc" + schema["$ref"]} if "$ref" in schema else schema
            validator = jsonschema.Draft202012Validator(
                ref,
                registry=self.registry,
                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
            )
            errors = [
                f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(answer.json)
            ]
            assert not errors, (method, path, errors[:5])
        if answer.status_code < 300:
            self.checked.add((method, path))


@pytest.fixture
def world(client, ctx):
    """Two agents with tokens, a webhook, and a rated conversation with a reply, a note, a
    claim and an attachment."""
    from support.services import messages, webhooks

    admin = agents.create_agent("root@example.com", "Root", "password-1", is_admin=True)
    agent = agents.create_agent("agent@example.com", "Agnes", "password-2")
    webhook = webhooks.create_webhook("https://hooks.example/x", ["message.created"])
    token = agents.issue_api_token(admin)
    headers = {"Authorization": f"Bearer {token}"}
    upload = client.post(
        "/api/v1/attachments",
        data={"file": (io.BytesIO(b"hello, plain text"), "note.txt")},
        headers={"Authorization": f"Bearer {agents.issue_api_token(agent)}"},
    )
    assert upload.status_code == 201, upload.text
    visitor = visitors.create_visitor(
        {"name": "Vera", "email": "vera@example.com"},
        identity_secret=None,
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
        ip_address="10.0.0.1",
    )
    _, conversation = conversations.post_visitor_message(visitor, "v-1", "Hello there")
    conversations.claim(agent, conversation.id)
    messages.send_agent_message(
        agent, conversation.id, "a-1", "", attachment_ids=[upload.json["attachment"]["id"]]
    )
    messages.send_agent_message(agent, conversation.id, "a-2", "a note", private=True)
    conversations.close(agent, conversation.id)
    conversations.rate(visitors.visitor_by_id(visitor.id), 5, "great")
    deliveries = webhooks.deliveries(webhook.id)
    assert deliveries, "a message.created delivery was queued"
    return {
        "headers": headers,
        "upload": upload,
        "admin": admin.id,
        "agent": agent.id,
        "visitor": visitor.id,
        "conversation": conversation.id,
        "webhook": webhook.id,
        "delivery": deliveries[0].id,
    }


def test_real_answers_validate_against_the_document(client, world):
    document = client.get("/api/v1/openapi.json").json
    answers, headers = Answers(document), world["headers"]
    c, a, w = world["conversation"], world["agent"], world["webhook"]

    def call(method: str, path: str, **kwargs):
        url = "/api/v1" + path.format(
            conversation_id=c, agent_id=a, webhook_id=w, visitor_id=world["visitor"],
            delivery_id=world["delivery"], response_id=world.get("canned"),
            token_id=world.get("token"),
        )  # fmt: skip
        answer = client.open(url, method=method.upper(), headers=headers, **kwargs)
        answers.check(method, path, answer)
        return answer

    answers.check("post", "/attachments", world["upload"])
    call("post", "/auth/token", json={"email": "root@example.com", "password": "password-1"})
    call("post", "/auth/token", json={"email": "root@example.com"})  # 401, in the Error shape
    call("get", "/conversations")
    call("get", "/conversations", query_string={"status": "closed", "q": "hello"})
    call("get", "/conversations", query_string={"page": "0"})  # 400
    call("get", "/conversations/{conversation_id}")
    call("get", "/conversations/{conversation_id}/transcript", query_string={"format": "json"})
    call("get", "/conversations/{conversation_id}/attachments.zip")
    call("get", "/agents")
    call("post", "/agents", json={"email": "new@example.com", "name": "New"})
    call("post", "/agents", json={"email": "new2@example.com", "name": 5})  # 400
    call("get", "/agents/{agent_id}")
    call("patch", "/agents/{agent_id}", json={"name": "Agnes B", "capacity": 3})
    call("get", "/agents/{agent_id}/tokens")
    world["token"] = call("post", "/agents/{agent_id}/tokens", json={"label": "bot"}).json["id"]
    call("get", "/agents/{agent_id}/tokens")
    call("get", "/agents/{agent_id}/routing")
    call("patch", "/agents/{agent_id}/routing", json={"capacity": None})
    call("get", "/settings/widget")
    call("put", "/settings/widget", json={"brand": {"name": "Shop"}})
    call("patch", "/settings/widget", json={"retention_days": 0})  # 400 with fields
    call("patch", "/settings/widget", json={"retention_days": 30, "allowed_origins": None})
    call("get", "/settings/routing")
    call("patch", "/settings/routing", json={"claim_on_reply": True})
    call("put", "/settings/routing", json={"capacity": 4})
    call("get", "/settings/attachments")
    call("patch", "/settings/attachments", json={"allowed_types": ["text/plain"]})
    world["canned"] = call(
        "post", "/canned-responses", json={"shortcut": "hi", "title": "Hi", "body": "Hello!"}
    ).json["id"]
    call("get", "/canned-responses")
    call(
        "put", "/canned-responses/{response_id}", json={"shortcut": "hi", "title": "H", "body": "B"}
    )
    call("get", "/exports/conversations", query_string={"format": "csv"})
    call("get", "/visitors/{visitor_id}/export")
    call("get", "/reports")
    call("get", "/audit")
    call("get", "/webhooks")
    call(
        "post",
        "/webhooks",
        json={"url": "https://hooks.example/y", "events": ["conversation.closed"]},
    )
    call("get", "/webhooks/{webhook_id}/deliveries")
    call("post", "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")
    call("get", "/openapi.json")
    call("get", "/docs")
    call("delete", "/canned-responses/{response_id}")
    call("delete", "/agents/{agent_id}/tokens/{token_id}")
    call("delete", "/webhooks/{webhook_id}")
    call("delete", "/conversations/{conversation_id}")
    call("delete", "/visitors/{visitor_id}")

    # Every operation that answers JSON was checked with a real answer.
    json_operations = {
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if any("application/json" in r.get("content", {}) for r in operation["responses"].values())
    }
    assert json_operations - answers.checked == set()
