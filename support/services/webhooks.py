"""Webhooks: endpoints that receive signed deliveries of conversation events (PROTOCOL §5).

Deliveries follow the Standard Webhooks convention: a JSON body ``{"type", "timestamp",
"data"}`` and the headers ``webhook-id`` (the outbox row's id, the same on every retry),
``webhook-timestamp`` and ``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of
``"{id}.{timestamp}.{body}"`` under the secret's bytes). Private and loopback targets are refused
unless ``SUPPORT_WEBHOOKS_ALLOW_PRIVATE`` is true, checked against the address the name resolves
to at send time (and the request goes to that very address, so a name cannot resolve to a
public address for the check and to a private one for the request).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import urllib3
from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..models import AuditEvent, OutboxItem, Webhook, by_id, utcnow
from .audit import Actor, write
from .errors import InvalidPayload, NotFound
from .outbox import Claimed, Outcome, enqueue

EVENT_TYPES = (
    "conversation.created",
    "message.created",
    "conversation.assigned",
    "conversation.closed",
    "conversation.rated",
)
SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
MAX_URL_LENGTH = 2000
USER_AGENT = "Support-Webhooks/1"


# --- endpoints ---------------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _clean_url(url) -> str:
    if not isinstance(url, str) or not url.strip() or len(url) > MAX_URL_LENGTH:
        raise InvalidPayload(f"url must be an http or https URL of at most {MAX_URL_LENGTH} chars")
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidPayload("url must be an http or https URL")
    try:
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise InvalidPayload("url has an invalid port") from None
    return url


def _clean_events(event_types) -> list[str]:
    if not isinstance(event_types, list) or not event_types:
        raise InvalidPayload("events must be a non-empty list of event types")
    unknown = [e for e in event_types if e not in EVENT_TYPES]
    if unknown:
        raise InvalidPayload(f"unknown event types: {unknown!r}; known: {', '.join(EVENT_TYPES)}")
    return list(dict.fromkeys(event_types))


def create_webhook(url, event_types, *, actor: Actor | None = None) -> Webhook:
    """Add an endpoint, audited with ``actor``; the caller shows its secret once."""
    webhook = Webhook(
        url=_clean_url(url),
        events=_clean_events(event_types),
        secret=new_secret(),
        active=True,
        created_at=utcnow(),
    )
    db.session.add(webhook)
    write(actor, "webhook_created", webhook.url[:200], {"events": webhook.events})
    db.session.commit()
    _subscribers.clear()
    return webhook


def list_webhooks() -> list[Webhook]:
    return list(db.session.scalars(select(Webhook).order_by(Webhook.created_at)))


def get_webhook(webhook_id) -> Webhook:
    webhook = by_id(Webhook, webhook_id)
    if webhook is None:
        raise NotFound("no such webhook")
    return webhook


def delete_webhook(webhook_id, *, actor: Actor | None = None) -> Webhook:
    """Remove an endpoint; its pending deliveries are dropped (marked skipped)."""
    webhook = get_webhook(webhook_id)
    db.session.execute(
        update(OutboxItem)
        .where(OutboxItem.webhook_id == webhook.id, OutboxItem.status == "pending")
        .values(status="skipped", last_error="webhook deleted")
    )
    db.session.delete(webhook)
    write(actor, "webhook_deleted", webhook.url[:200])
    db.session.commit()
    _subscribers.clear()
    return webhook


def set_active(webhook_id, active: bool, *, actor: Actor | None = None) -> Webhook:
    """Turn an endpoint on (clearing its failure streak) or off."""
    webhook = get_webhook(webhook_id)
    webhook.active = active
    webhook.failing_since = None
    write(actor, "webhook_enabled" if active else "webhook_disabled", webhook.url[:200])
    db.session.commit()
    _subscribers.clear()
    return webhook


def deliveries(webhook_id, limit: int = 50) -> list[OutboxItem]:
    from .outbox import recent

    return recent(webhook_id=get_webhook(webhook_id).id, limit=limit)


# --- enqueueing --------------------------------------------------------------------------------


class _SubscriberCache:
    """Active endpoints and their event types, re-read at most every few seconds so a busy chat
    does not pay a query per message; a change made by this process clears it at once."""

    TTL = 3.0

    def __init__(self) -> None:
        self._value: list[tuple[str, frozenset]] | None = None
        self._read_at = 0.0

    def clear(self) -> None:
        self._value = None

    def get(self, session) -> list[tuple[str, frozenset]]:
        if self._value is None or time.monotonic() - self._read_at > self.TTL:
            rows = session.execute(select(Webhook.id, Webhook.events).where(Webhook.active))
            self._value = [(row.id, frozenset(row.events or ())) for row in rows]
            self._read_at = time.monotonic()
        return self._value


_subscribers = _SubscriberCache()


def enqueue_event(session, event_type: str, data: dict) -> int:
    """A delivery for each active endpoint that chose ``event_type``, in ``session``'s
    transaction; how many. ``data`` is a message (with ``conversation_id``) or a
    conversation."""
    targets = [wid for wid, types in _subscribers.get(session) if event_type in types]
    if not targets:
        return 0
    now = utcnow()
    stamp = now.isoformat(timespec="milliseconds") + "Z"
    body = json.dumps(
        {"type": event_type, "timestamp": stamp, "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    for webhook_id in targets:
        enqueue(
            "webhook",
            {"type": event_type, "body": body},
            session=session,
            webhook_id=webhook_id,
            conversation_id=data.get("conversation_id") or data.get("id"),
        )
    return len(targets)


# --- sending -----------------------------------------------------------------------------------


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header value."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class RefusedTarget(Exception):
    """The endpoint's name resolves to an address we may not call."""


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve_target(host: str, port: int) -> str:
    """The address to connect to; raises ``RefusedTarget`` for private and loopback ones
    unless ``SUPPORT_WEBHOOKS_ALLOW_PRIVATE`` is true."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]  # an IP address for SOCK_STREAM
    if not addresses:
        raise OSError(f"{host} does not resolve")
    allowed = str(current_app.config["WEBHOOKS_ALLOW_PRIVATE"]).lower() in ("1", "true", "yes")
    if not allowed:
        refused = [a for a in addresses if not _is_public(a)]
        if refused:
            raise RefusedTarget(
                f"{host} resolves to a private or loopback address ({refused[0]}); "
                "set SUPPORT_WEBHOOKS_ALLOW_PRIVATE=true to allow it"
            )
    return addresses[0]


def _post(url: str, headers: dict, body: bytes, timeout: float) -> int:
    """POST to the address the URL's host resolves to now, with the name kept for the Host
    header, TLS SNI and certificate checks. Returns the status code."""
    parts = urlsplit(url)
    if not parts.hostname:  # never saved so (see validation), but not deliverable either
        raise RefusedTarget("the URL names no host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve_target(parts.hostname, port)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    kwargs: dict[str, Any] = {
        "port": port,
        "timeout": urllib3.Timeout(total=timeout),
        "retries": False,
    }
    pool: urllib3.HTTPConnectionPool
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, server_hostname=parts.hostname, assert_hostname=parts.hostname, **kwargs
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, **kwargs)
    host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers=headers | {"Host": host_header},
            redirect=False,
            preload_content=False,
        )
        response.drain_conn()
        return response.status
    finally:
        pool.close()


def deliver(claimed: Claimed) -> Outcome:
    """Send one delivery (the outbox calls this with no transaction open)."""
    webhook = db.session.get(Webhook, claimed.webhook_id) if claimed.webhook_id else None
    if webhook is None or not webhook.active:
        return Outcome(skipped=True, error="webhook deleted or disabled")
    url, secret = webhook.url, webhook.secret
    db.session.rollback()  # nothing is held open while we wait on the network
    message_id = "msg_" + claimed.id
    timestamp = int(time.time())
    body = claimed.payload["body"]
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }
    try:
        timeout = float(current_app.config["WEBHOOK_TIMEOUT_SECONDS"])
        status = _post(url, headers, body.encode(), timeout)
    except RefusedTarget as error:
        return Outcome(error=str(error), permanent=True)
    except (urllib3.exceptions.HTTPError, OSError) as error:
        return Outcome(error=f"{type(error).__name__}: {error}")
    if 200 <= status < 300:
        return Outcome(ok=True, response_code=status)
    return Outcome(response_code=status, error=f"HTTP {status}")


def after_attempt(item: OutboxItem, outcome: Outcome) -> None:
    """Track an endpoint's health: a success clears ``failing_since``; an endpoint that has
    failed without a success for ``SUPPORT_WEBHOOK_DISABLE_AFTER_SECONDS`` is disabled, with a
    note in the audit log. Runs in the transaction that records the attempt."""
    webhook = db.session.get(Webhook, item.webhook_id) if item.webhook_id else None
    if webhook is None or outcome.skipped:
        return
    now = utcnow()
    if outcome.ok:
        webhook.failing_since = None
        return
    if webhook.failing_since is None:
        webhook.failing_since = now
    window = timedelta(seconds=float(current_app.config["WEBHOOK_DISABLE_AFTER_SECONDS"]))
    if webhook.active and now - webhook.failing_since >= window:
        webhook.active = False
        _subscribers.clear()
        db.session.add(
            AuditEvent(
                action="webhook_disabled",
                target=webhook.url[:200],
                detail={
                    "webhook_id": webhook.id,
                    "failing_since": webhook.failing_since.isoformat() + "Z",
                    "last_error": item.last_error,
                },
                created_at=now,
            )
        )
