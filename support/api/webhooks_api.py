"""``/api/v1/webhooks`` for admins (PROTOCOL §3): add, list and delete endpoints, see their
recent deliveries and send one again."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..http_query import json_body
from ..schemas.http import NewWebhook
from ..serializers import delivery_dict, webhook_dict
from ..services import outbox, webhooks
from ..services.errors import NotFound
from .errors import install_json_errors
from .v1 import admin_required, api_actor

bp = Blueprint("webhooks_api", __name__, url_prefix="/api/v1")
install_json_errors(bp)


@bp.get("/webhooks")
@admin_required
def list_webhooks():
    """Every endpoint (secrets are never shown again); ``items`` like the other lists."""
    items = [webhook_dict(w) for w in webhooks.list_webhooks()]
    return jsonify({"webhooks": items, "items": items})


@bp.post("/webhooks")
@admin_required
def create_webhook():
    """``{"url", "events": [type]}`` → 201 with the secret, shown this once."""
    body = json_body(NewWebhook)
    webhook = webhooks.create_webhook(body.get("url"), body.get("events"), actor=api_actor())
    return jsonify({"webhook": webhook_dict(webhook, with_secret=True)}), 201


@bp.delete("/webhooks/<webhook_id>")
@admin_required
def delete_webhook(webhook_id: str):
    webhooks.delete_webhook(webhook_id, actor=api_actor())
    return "", 204


@bp.get("/webhooks/<webhook_id>/deliveries")
@admin_required
def list_deliveries(webhook_id: str):
    """The newest deliveries first, with status, response code, attempts and times."""
    items = [delivery_dict(d) for d in webhooks.deliveries(webhook_id)]
    return jsonify({"items": items})


@bp.post("/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver")
@admin_required
def redeliver(webhook_id: str, delivery_id: str):
    """Send a delivery again now, with its original ``webhook-id``."""
    webhook = webhooks.get_webhook(webhook_id)
    item = outbox.send_again(delivery_id, webhook_id=webhook.id)
    if item is None:
        raise NotFound("no such delivery")
    return jsonify({"delivery": delivery_dict(item)}), 202
