"""The admin routes of ``/api/v1``: admins only, and each doing what the admin pages do."""

from __future__ import annotations

import csv
import io
import json

import pytest

from support.api import admin_api
from support.extensions import csrf
from tests.test_admin import PASSWORD, make_conversation, make_team


@pytest.fixture
def api(app):
    """The app with the admin API (registered here until ``create_app`` does it) and tokens."""
    if "admin_api" not in app.blueprints:
        csrf.exempt(admin_api.bp)
        app.register_blueprint(admin_api.bp)
    client = app.test_client()
    with app.app_context():
        team = {key: agent.id for key, agent in make_team().items()}

    def token(email):
        answer = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        return {"Authorization": "Bearer " + answer.get_json()["token"]}

    client.admin = token("admin@example.com")
    client.agent = token("alice@example.com")
    client.team = team
    return client


def admin_api_routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin_api.") and rule.endpoint != "admin_api.api_docs":
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<{arg}>", "x" * 32)
            routes += [(m, path) for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


def test_every_admin_api_route_refuses_anonymous_and_agents(app, api):
    routes = admin_api_routes(app)
    assert len(routes) >= 18
    for method, path in routes:
        anonymous = api.open(path, method=method, json={})
        assert anonymous.status_code == 401, (method, path)
        assert anonymous.get_json()["error"]["code"] == "unauthorized"
        agent = api.open(path, method=method, json={}, headers=api.agent)
        assert agent.status_code == 403, (method, path)
        assert agent.get_json()["error"]["code"] == "forbidden"


def test_agents_invite_update_deactivate_and_tokens(api):
    created = api.post(
        "/api/v1/agents", headers=api.admin, json={"email": "Nia@Example.com", "name": "Nia"}
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["agent"]["email"] == "nia@example.com" and body["agent"]["invited"]
    assert "/admin/invite/" in body["invite_url"]
    nia = body["agent"]["id"]
    dup = api.post(
        "/api/v1/agents", headers=api.admin, json={"email": "nia@example.com", "name": "Nia"}
    )
    assert dup.status_code == 409
    changed = api.patch(
        f"/api/v1/agents/{nia}",
        headers=api.admin,
        json={"name": "Nia N", "admin": True, "password": "long-enough-pw"},
    )
    assert (
        changed.get_json()["agent"] | {"name": "Nia N", "admin": True}
        == changed.get_json()["agent"]
    )
    token = api.post(f"/api/v1/agents/{nia}/tokens", headers=api.admin, json={"label": "bot"})
    assert token.status_code == 201
    nia_auth = {"Authorization": "Bearer " + token.get_json()["token"]}
    assert api.get("/api/v1/conversations", headers=nia_auth).status_code == 200
    listed = api.get(f"/api/v1/agents/{nia}/tokens", headers=api.admin).get_json()["items"]
    assert [t["label"] for t in listed] == ["bot"] and "token" not in listed[0]
    assert (
        api.patch(f"/api/v1/agents/{nia}", headers=api.admin, json={"active": False}).get_json()[
            "agent"
        ]["active"]
        is False
    )
    assert api.get("/api/v1/conversations", headers=nia_auth).status_code == 401
    api.patch(f"/api/v1/agents/{nia}", headers=api.admin, json={"active": True})
    assert (
        api.delete(f"/api/v1/agents/{nia}/tokens/{listed[0]['id']}", headers=api.admin).status_code
        == 204
    )
    assert api.get("/api/v1/conversations", headers=nia_auth).status_code == 401
    bad = api.patch(f"/api/v1/agents/{nia}", headers=api.admin, json={"admin": "yes"})
    assert bad.status_code == 400


def test_settings_put_validates_and_reaches_the_widget_config(api):
    bad = api.put(
        "/api/v1/settings/widget",
        headers=api.admin,
        json={
            "contact": {
                "phone": "+1 555 0100",
                "socials": [{"network": "x", "url": "javascript:alert(1)", "label": "X"}],
            }
        },
    )
    assert bad.status_code == 400
    assert bad.get_json()["error"]["fields"] == {
        "contact.socials.0.url": "must be a full http:// or https:// address"
    }
    assert api.get("/api/widget/config").get_json()["contact"]["phone"] == "+1 202 555 0180"
    good = api.put(
        "/api/v1/settings/widget",
        headers=api.admin,
        json={
            "contact": {
                "phone": "+1 555 0100",
                "socials": [{"network": "x", "url": "https://x.com/acme", "label": "X"}],
            }
        },
    )
    assert good.status_code == 200
    config = api.get("/api/widget/config").get_json()
    assert config["contact"]["phone"] == "+1 555 0100"
    assert config["contact"]["socials"] == [
        {"network": "x", "url": "https://x.com/acme", "label": "X"}
    ]
    assert config["contact"]["intro"].startswith("Have a question")  # untouched sections stay
    assert (
        api.get("/api/v1/settings/widget", headers=api.admin).get_json()["contact"]["phone"]
        == "+1 555 0100"
    )


def test_canned_responses_crud(api):
    made = api.post(
        "/api/v1/canned-responses",
        headers=api.admin,
        json={"shortcut": "hi", "title": "Hello", "body": "Hello there"},
    )
    assert made.status_code == 201
    row = made.get_json()["id"]
    assert (
        api.put(
            f"/api/v1/canned-responses/{row}",
            headers=api.admin,
            json={"shortcut": "hello", "title": "Hello", "body": "Hi!"},
        ).get_json()["shortcut"]
        == "hello"
    )
    assert (
        api.post(
            "/api/v1/canned-responses",
            headers=api.admin,
            json={"shortcut": "hello", "title": "x", "body": "y"},
        ).status_code
        == 409
    )
    assert [
        r["body"]
        for r in api.get("/api/v1/canned-responses", headers=api.admin).get_json()["items"]
    ] == ["Hi!"]
    assert api.delete(f"/api/v1/canned-responses/{row}", headers=api.admin).status_code == 204


def test_exports_visitors_reports_and_audit(app, api):
    with app.app_context():
        first = make_conversation(
            name="Ann", email="ann@example.com", messages=[("visitor", "-1 refund please")]
        )
        make_conversation(name="Ben", messages=[("visitor", "hello")])
        visitor_id, conversation_id = first.visitor_id, first.id
    exported = api.get("/api/v1/exports/conversations?format=csv&q=refund", headers=api.admin)
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert len(rows) == 2 and rows[1][0] == conversation_id and rows[1][-1] == "'-1 refund please"
    as_json = json.loads(
        api.get("/api/v1/exports/conversations?format=json", headers=api.admin).get_data(
            as_text=True
        )
    )
    assert len(as_json) == 2
    assert api.get("/api/v1/exports/conversations?format=xml", headers=api.admin).status_code == 400
    data = api.get(f"/api/v1/visitors/{visitor_id}/export", headers=api.admin).get_json()
    assert data["visitor"]["email"] == "ann@example.com"
    assert api.delete(f"/api/v1/visitors/{visitor_id}", headers=api.admin).status_code == 204
    assert api.get(f"/api/v1/visitors/{visitor_id}/export", headers=api.admin).status_code == 404
    report = api.get("/api/v1/reports?since=2026-03-01&until=2026-03-31", headers=api.admin)
    assert report.get_json()["overall"]["conversations"] == 1
    audit = api.get("/api/v1/audit?action=visitor_erased", headers=api.admin).get_json()
    assert audit["total"] == 1 and audit["items"][0]["target"] == visitor_id


def test_api_docs_page_loads_the_vendored_viewer(api):
    page = api.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "vendor/swagger-ui/swagger-ui-bundle." in html and "<script>" not in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert api.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
