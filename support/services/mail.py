"""Mail: what we tell visitors and agents by email, sent through the outbox.

- A visitor with an email address who has not read an agent's message within
  ``SUPPORT_MAIL_UNREAD_DELAY_SECONDS`` (120) gets the conversation's unread agent messages, with
  a signed link that reopens the chat in the widget and a one-click unsubscribe link. Messages
  that arrive before that mail goes join it (one pending mail per conversation); a later mail
  carries only what the earlier ones did not.
- ``transcript:email`` mails a conversation's public transcript (a few per visitor per hour).
- Agents are mailed about conversations that wait unanswered longer than the admin's setting
  (``agent_mail``).

A mail is rendered when it is sent, not when it is queued, so it shows what is unread *then*.
With no ``SUPPORT_SMTP_URL`` mails are written to the server log.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, has_request_context, render_template, request
from flask_mailman import EmailMultiAlternatives
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import select

from ..config import secret_key
from ..extensions import db, mail
from ..models import (
    Conversation,
    MailOptOut,
    Message,
    OutboxItem,
    Visitor,
    by_id,
    utcnow,
)
from ..ratelimit import limiter
from . import settings
from .errors import InvalidPayload, NotFound, RateLimited
from .outbox import Claimed, Outcome, enqueue

log = logging.getLogger(__name__)

RESUME_SALT = "support.mail.resume"
UNSUBSCRIBE_SALT = "support.mail.unsubscribe"
LANGUAGES = ("en", "fr", "es", "ar")

TEXTS = {
    "en": {
        "unread_subject": "New reply from {brand}",
        "unread_intro": "You have a reply in your conversation with {brand}:",
        "continue": "Continue the conversation",
        "unsubscribe": "Stop emails about this conversation",
        "transcript_subject": "Your conversation with {brand}",
        "transcript_intro": "Here is your conversation with {brand}.",
        "you": "You",
    },
    "fr": {
        "unread_subject": "Nouvelle réponse de {brand}",
        "unread_intro": "Vous avez une réponse dans votre conversation avec {brand} :",
        "continue": "Reprendre la conversation",
        "unsubscribe": "Ne plus recevoir d’e-mails sur cette conversation",
        "transcript_subject": "Votre conversation avec {brand}",
        "transcript_intro": "Voici votre conversation avec {brand}.",
        "you": "Vous",
    },
    "es": {
        "unread_subject": "Nueva respuesta de {brand}",
        "unread_intro": "Tienes una respuesta en tu conversación con {brand}:",
        "continue": "Continuar la conversación",
        "unsubscribe": "Dejar de recibir correos sobre esta conversación",
        "transcript_subject": "Tu conversación con {brand}",
        "transcript_intro": "Aquí tienes tu conversación con {brand}.",
        "you": "Tú",
    },
    "ar": {
        "unread_subject": "رد جديد من {brand}",
        "unread_intro": "لديك رد في محادثتك مع {brand}:",
        "continue": "متابعة المحادثة",
        "unsubscribe": "إيقاف الرسائل حول هذه المحادثة",
        "transcript_subject": "محادثتك مع {brand}",
        "transcript_intro": "إليك محادثتك مع {brand}.",
        "you": "أنت",
    },
}


# --- configuration -----------------------------------------------------------------------------


def configure(app) -> None:
    """Map ``SUPPORT_SMTP_URL`` (``smtp://user:pass@host:port``, ``?starttls=true``,
    ``smtps://``) onto Flask-Mailman; without it, mails go to the log."""
    url = app.config.get("SMTP_URL")
    app.config["MAIL_DEFAULT_SENDER"] = app.config.get("MAIL_FROM") or default_sender()
    app.config["MAIL_TIMEOUT"] = 30
    if not url:
        app.config["MAIL_BACKEND"] = "support.mail_log"
    else:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SUPPORT_SMTP_URL must look like smtp://user:pass@host:port")
        from urllib.parse import parse_qs, unquote

        query = parse_qs(parts.query)
        app.config.update(
            MAIL_BACKEND="smtp",
            MAIL_SERVER=parts.hostname,
            MAIL_PORT=parts.port or (465 if parts.scheme == "smtps" else 25),
            MAIL_USERNAME=unquote(parts.username) if parts.username else None,
            MAIL_PASSWORD=unquote(parts.password) if parts.password else None,
            MAIL_USE_SSL=parts.scheme == "smtps",
            MAIL_USE_TLS=query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"),
        )
    mail.init_app(app)


def default_sender() -> str:
    import socket

    return "support@" + (socket.gethostname() or "localhost")


# --- links -------------------------------------------------------------------------------------


def base_url() -> str:
    """Where this server is reached: the request's own address while one is being handled
    (remembered in each queued mail), else ``SUPPORT_PUBLIC_URL``."""
    if has_request_context():
        return request.host_url.rstrip("/")
    return (current_app.config.get("PUBLIC_URL") or "http://localhost:5000").rstrip("/")


def resume_token(visitor_id: str, conversation_id: str) -> str:
    serializer = URLSafeTimedSerializer(secret_key(), salt=RESUME_SALT)
    return serializer.dumps({"v": visitor_id, "c": conversation_id})


def visitor_for_resume_token(token) -> Visitor | None:
    """The visitor a mailed link names, while the link is fresh
    (``SUPPORT_MAIL_LINK_MAX_AGE_SECONDS``, a week)."""
    if not isinstance(token, str) or len(token) > 500:
        return None
    serializer = URLSafeTimedSerializer(secret_key(), salt=RESUME_SALT)
    try:
        data = serializer.loads(token, max_age=int(current_app.config["MAIL_LINK_MAX_AGE_SECONDS"]))
    except BadSignature:
        return None
    return by_id(Visitor, data.get("v")) if isinstance(data, dict) else None


def unsubscribe_token(conversation_id: str) -> str:
    return URLSafeSerializer(secret_key(), salt=UNSUBSCRIBE_SALT).dumps(conversation_id)


def unsubscribe(token) -> bool:
    """Stop mails about the conversation a link names; False for a forged link."""
    if not isinstance(token, str) or len(token) > 500:
        return False
    try:
        conversation_id = URLSafeSerializer(secret_key(), salt=UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return False
    set_opt_out(f"conversation:{conversation_id}", True)
    return True


def opted_out(key: str) -> bool:
    return db.session.get(MailOptOut, key) is not None


def set_opt_out(key: str, value: bool) -> None:
    """Turn one subject's mails off (True) or on again (False), and commit."""
    row = db.session.get(MailOptOut, key)
    if value and row is None:
        db.session.add(MailOptOut(key=key, created_at=utcnow()))
    elif not value and row is not None:
        db.session.delete(row)
    db.session.commit()


# --- queueing ----------------------------------------------------------------------------------


def _language(locale: str | None) -> str:
    short = (locale or "en").split("-")[0].split("_")[0].lower()
    return short if short in LANGUAGES else "en"


def enqueue_unread_mail(session, message: dict, conversation: dict) -> None:
    """After an agent's public message to a visitor who left an address: one mail, due after
    the delay, unless one is already waiting for this conversation (it will carry this
    message too)."""
    if message["private"] or message["sender"]["type"] != "agent":
        return
    if not (conversation.get("visitor") or {}).get("email"):
        return
    topic = f"unread:{conversation['id']}"
    if session.get(MailOptOut, f"conversation:{conversation['id']}") is not None:
        return
    # Only a mail not yet claimed can still take this message; one being sent has its content.
    waiting = session.scalar(
        select(OutboxItem.id).where(
            OutboxItem.topic == topic, OutboxItem.status == "pending", OutboxItem.attempts == 0
        )
    )
    if waiting is not None:
        return
    delay = timedelta(seconds=float(current_app.config["MAIL_UNREAD_DELAY_SECONDS"]))
    enqueue(
        "mail",
        {"template": "unread", "conversation_id": conversation["id"], "base_url": base_url()},
        session=session,
        conversation_id=conversation["id"],
        topic=topic,
        due_at=utcnow() + delay,
    )


def request_transcript(visitor: Visitor, conversation: Conversation | None, email) -> None:
    """Queue the public transcript of ``conversation`` for ``email`` (default: the visitor's)."""
    address = email or visitor.email
    if not address:
        raise InvalidPayload("no email address: give one, or identify the visitor first")
    if conversation is None:
        raise NotFound("there is no conversation to send")
    if not limiter.allow("transcript_mails", visitor.id):
        raise RateLimited("too many transcript mails; try again later")
    enqueue(
        "mail",
        {
            "template": "transcript",
            "conversation_id": conversation.id,
            "to": address,
            "base_url": base_url(),
        },
        conversation_id=conversation.id,
    )
    db.session.commit()


# --- building and sending ----------------------------------------------------------------------


def brand_name() -> str:
    return settings.widget_settings()["brand"]["name"]


def render_message(subject: str, to: list[str], template: str, headers=None, **context):
    text = render_template(f"mail/{template}.txt", **context)
    html = render_template(f"mail/{template}.html", **context)
    subject = " ".join(subject.split())  # names in subjects come from visitors: one line
    message = EmailMultiAlternatives(subject, text, to=to, headers=headers or {})
    message.attach_alternative(html, "text/html")
    return message


def _mailed_through(conversation_id: str) -> int:
    """The highest seq an earlier unread mail of this conversation carried."""
    rows = db.session.scalars(
        select(OutboxItem.payload).where(
            OutboxItem.topic == f"unread:{conversation_id}", OutboxItem.status == "sent"
        )
    )
    return max((int(p.get("through_seq") or 0) for p in rows), default=0)


def _build_unread(payload: dict):
    conversation = db.session.get(Conversation, payload.get("conversation_id") or "")
    if conversation is None or not conversation.visitor.email:
        return None, {}
    if opted_out(f"conversation:{conversation.id}"):
        return None, {}
    after = max(conversation.visitor_read_seq, _mailed_through(conversation.id))
    unread = [
        m
        for m in db.session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id, Message.seq > after)
            .order_by(Message.seq)
        )
        if m.sender_type == "agent" and not m.private
    ]
    if not unread:
        return None, {}
    visitor, brand, base = conversation.visitor, brand_name(), payload["base_url"]
    texts = TEXTS[_language(visitor.locale)]
    unsubscribe_url = f"{base}/mail/unsubscribe/{unsubscribe_token(conversation.id)}"
    message = render_message(
        texts["unread_subject"].format(brand=brand),
        [conversation.visitor.email],  # checked above
        "unread",
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        texts=texts,
        brand=brand,
        rtl=_language(visitor.locale) == "ar",
        messages=unread,
        resume_url=f"{base}/widget/return/{resume_token(visitor.id, conversation.id)}",
        unsubscribe_url=unsubscribe_url,
    )
    return message, {"through_seq": unread[-1].seq}


def _build_transcript(payload: dict):
    conversation = db.session.get(Conversation, payload.get("conversation_id") or "")
    if conversation is None:
        return None, {}
    visitor, brand = conversation.visitor, brand_name()
    language = _language(visitor.locale)
    texts = TEXTS[language]
    messages = db.session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.private.is_(False))
        .order_by(Message.seq)
    ).all()
    message = render_message(
        texts["transcript_subject"].format(brand=brand),
        [payload["to"]],
        "transcript",
        texts=texts,
        brand=brand,
        rtl=language == "ar",
        messages=messages,
    )
    return message, {}


def _builders() -> dict:
    from . import agent_mail

    return {
        "unread": _build_unread,
        "transcript": _build_transcript,
        "waiting": agent_mail.build_waiting,
    }


def deliver(claimed: Claimed) -> Outcome:
    """Render and send one mail (the outbox calls this with no transaction open). A refused
    recipient fails for good; a server that is down or busy is tried again."""
    builder = _builders().get(claimed.payload.get("template"))
    if builder is None:
        return Outcome(error="unknown mail template", permanent=True)
    message, update = builder(claimed.payload)
    db.session.rollback()  # no transaction stays open while we talk to the SMTP server
    if message is None:
        return Outcome(skipped=True)
    message.connection = mail.get_connection()
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        return Outcome(error=f"recipient refused: {error.recipients}", permanent=True)
    except smtplib.SMTPResponseException as error:
        return Outcome(
            response_code=error.smtp_code,
            error=f"SMTP {error.smtp_code}: {error.smtp_error!r}",
            permanent=500 <= error.smtp_code < 600,
        )
    except (smtplib.SMTPException, OSError) as error:
        return Outcome(error=f"{type(error).__name__}: {error}")
    return Outcome(ok=True, payload_update=update)
