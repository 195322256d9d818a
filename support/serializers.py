"""Models to the JSON objects of the public contract (PROTOCOL §2 and the admin API, §3): every
serializer in one place, so a field is spelled once for sockets, the API and the services.
(Activity lines are the exception: their text comes from ``services.activity``.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from itsdangerous import URLSafeTimedSerializer

from .config import secret_key
from .friendly_names import visitor_name
from .models import (
    Agent,
    ApiToken,
    AuditEvent,
    CannedResponse,
    Conversation,
    Message,
    OutboxItem,
    Visitor,
    Webhook,
)

ATTACHMENT_SALT = "support.attachment"


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z``, millisecond precision (what browsers parse everywhere)."""
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds") + "Z"


def message_dict(message: Message) -> dict:
    """A message as every client sees it."""
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "client_id": message.client_id,
        "sender": {
            "type": message.sender_type,
            "id": message.sender_id,
            "name": message.sender_name,
        },
        "body": message.body,
        "private": message.private,
        "attachments": [attachment_dict(a) for a in _attachments_of(message)],
        "created_at": iso(message.created_at),
    }


def _attachments_of(message: Message):
    """A message's attachments; a message just posted already knows them (no query)."""
    linked = getattr(message, "linked_attachments", None)
    return message.attachments if linked is None else linked


def attachment_signer() -> URLSafeTimedSerializer:
    """Signs attachment links; their age is checked when one is used."""
    return URLSafeTimedSerializer(secret_key(), salt=ATTACHMENT_SALT)


def attachment_url(attachment) -> str:
    """A signed, expiring link to the file (absolute when we know the host asked for)."""
    path = "/attachments/" + attachment_signer().dumps(attachment.id)
    return request.host_url.rstrip("/") + path if has_request_context() else path


def attachment_dict(attachment) -> dict:
    """An attachment as in PROTOCOL §2; the link works for whoever may read the message."""
    return {
        "id": attachment.id,
        "name": attachment.name,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "url": attachment_url(attachment),
    }


def visitor_dict(visitor: Visitor) -> dict:
    """The visitor fields every conversation carries."""
    return {
        "id": visitor.id,
        "name": visitor_name(visitor),
        "email": visitor.email,
        "verified": visitor.verified,
    }


def describe_user_agent(user_agent: str | None) -> dict:
    """Browser and operating system, parsed from a User-Agent header."""
    if not user_agent:
        return {"browser": None, "os": None}
    from ua_parser import parse

    result = parse(user_agent)
    browser = result.user_agent
    system = result.os
    return {
        "browser": f"{browser.family} {browser.major or ''}".strip() if browser else None,
        "os": f"{system.family} {system.major or ''}".strip() if system else None,
    }


def visitor_detail_dict(visitor: Visitor) -> dict:
    """Everything agents may see about a visitor (the dashboard's context column)."""
    return (
        visitor_dict(visitor)
        | describe_user_agent(visitor.user_agent)
        | {
            "page_url": visitor.page_url,
            "referrer": visitor.referrer,
            "locale": visitor.locale,
            "timezone": visitor.timezone,
            "user_agent": visitor.user_agent,
            "first_seen_at": iso(visitor.first_seen_at),
            "last_seen_at": iso(visitor.last_seen_at),
        }
    )


def agent_dict(agent: Agent, *, with_email: bool = False) -> dict:
    """An agent as others see it; ``with_email`` for the agent itself and admins."""
    data: dict[str, Any] = {"id": agent.id, "name": agent.name}
    if with_email:
        data |= {"email": agent.email, "admin": agent.is_admin, "active": agent.active}
    return data


AGENT_ONLY_FIELDS = (
    "preview",
    "last_message_at",
    "unread",
    "closed_at",
    "rating_comment",
    "offline",
)


def public_conversation(data: dict) -> dict:
    """The visitor's view of an agents' conversation dict."""
    return {key: value for key, value in data.items() if key not in AGENT_ONLY_FIELDS}


def conversation_dict(conversation: Conversation, *, for_agents: bool = False) -> dict:
    """A conversation. Agents also get the inbox extras (preview, unread count, closing time);
    the preview holds public messages only, but visitors have their messages anyway."""
    assignee = agent_dict(conversation.assignee) if conversation.assignee else None
    return conversation_fields(
        conversation, visitor_dict(conversation.visitor), assignee, for_agents=for_agents
    )


def conversation_fields(row, visitor: dict, assignee: dict | None, *, for_agents: bool) -> dict:
    """``conversation_dict`` from anything with the conversation's column attributes (a model,
    or a row of the message path's ``UPDATE … RETURNING``), its visitor and its assignee."""
    data = {
        "id": row.id,
        "status": row.status,
        "visitor": visitor,
        "assignee": assignee,
        "last_seq": row.last_seq,
        "rating": row.rating,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "visitor_read_seq": row.visitor_read_seq,
        "agent_read_seq": row.agent_read_seq,
    }
    if for_agents:
        data |= {
            "preview": row.preview,
            "last_message_at": iso(row.last_message_at),
            "unread": row.unread_by_agents,
            "closed_at": iso(row.closed_at),
            "rating_comment": row.rating_comment,
            "offline": bool(row.offline),  # opened while nobody could chat: answer by email
        }
    return data


# --- what admins manage (the admin API) ----------------------------------------------------------


def agent_admin_dict(agent: Agent) -> dict:
    """An agent as admins manage it: ``agent_dict`` with its email, role and state, and whether
    it still has to accept an invite."""
    return agent_dict(agent, with_email=True) | {
        "created_at": iso(agent.created_at),
        "invited": agent.password_hash is None,
        "capacity": agent.capacity,
    }


def token_dict(token: ApiToken) -> dict:
    """An API token without its secret (only its hash is stored)."""
    return {
        "id": token.id,
        "label": token.label,
        "created_at": iso(token.created_at),
        "last_used_at": iso(token.last_used_at),
        "revoked_at": iso(token.revoked_at),
    }


def canned_response_dict(row: CannedResponse) -> dict:
    return {"id": row.id, "shortcut": row.shortcut, "title": row.title, "body": row.body}


def webhook_dict(webhook: Webhook, *, with_secret: bool = False) -> dict:
    """An endpoint; its secret only when it was just created."""
    data = {
        "id": webhook.id,
        "url": webhook.url,
        "events": list(webhook.events),
        "active": webhook.active,
        "created_at": iso(webhook.created_at),
    }
    if with_secret:
        data["secret"] = webhook.secret
    return data


def delivery_dict(item: OutboxItem) -> dict:
    """One webhook delivery with its attempts (the next one only while it is pending)."""
    return {
        "id": item.id,
        "type": item.payload.get("type"),
        "status": item.status,
        "attempts": item.attempts,
        "response_code": item.response_code,
        "last_error": item.last_error,
        "created_at": iso(item.created_at),
        "last_attempt_at": iso(item.last_attempt_at),
        "next_attempt_at": iso(item.next_attempt_at) if item.status == "pending" else None,
    }


def audit_dict(event: AuditEvent) -> dict:
    """An audit log entry: who (None when anonymous), what, on what, from where, and when."""
    return {
        "id": event.id,
        "action": event.action,
        "target": event.target,
        "detail": event.detail,
        "actor": {"id": event.actor_id, "name": event.actor_name} if event.actor_id else None,
        "ip_address": event.ip_address,
        "created_at": iso(event.created_at),
    }
