"""Attachments: uploads checked by their bytes, images re-encoded, files linked to the message
that names them, and removed with their conversation.

An upload is stored at once and stays *unsent* until a ``message:send`` of the same sender names
it; unsent uploads are removed after a day by the retention loop."""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import timedelta

import filetype
from flask import Flask
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import ORMExecuteState, Session, selectinload

from ..extensions import db, execute_dml
from ..models import ID_PATTERN, Attachment, Conversation, Message, Setting, new_id, utcnow
from ..ratelimit import limiter
from . import storage as storage_module
from .audit import Actor, write
from .errors import InvalidPayload, RateLimited
from .storage import storage

log = logging.getLogger(__name__)

MAX_PER_MESSAGE = 5
MAX_IMAGE_PIXELS = 40_000_000
UNSENT_LIFETIME = timedelta(days=1)
SETTINGS_KEY = "attachments"

OOXML = "application/vnd.openxmlformats-officedocument."
OPENDOCUMENT = "application/vnd.oasis.opendocument."
# Every type we know how to check, with the extensions its files may carry. OLE2 files (doc, xls,
# ppt) share one container that byte sniffing cannot always tell apart, so they share extensions.
OLE_EXTENSIONS = frozenset({"doc", "xls", "ppt", "dot", "xlt", "pot"})
KNOWN_TYPES: dict[str, frozenset[str]] = {
    "image/png": frozenset({"png"}),
    "image/jpeg": frozenset({"jpg", "jpeg", "jpe", "jfif"}),
    "image/gif": frozenset({"gif"}),
    "image/webp": frozenset({"webp"}),
    "application/pdf": frozenset({"pdf"}),
    "text/plain": frozenset({"txt", "text", "log", "md", "csv"}),
    "application/msword": OLE_EXTENSIONS,
    "application/vnd.ms-excel": OLE_EXTENSIONS,
    "application/vnd.ms-powerpoint": OLE_EXTENSIONS,
    OOXML + "wordprocessingml.document": frozenset({"docx"}),
    OOXML + "spreadsheetml.sheet": frozenset({"xlsx"}),
    OOXML + "presentationml.presentation": frozenset({"pptx"}),
    OPENDOCUMENT + "text": frozenset({"odt"}),
    OPENDOCUMENT + "spreadsheet": frozenset({"ods"}),
    OPENDOCUMENT + "presentation": frozenset({"odp"}),
}
DEFAULT_ALLOWED = sorted(KNOWN_TYPES)
IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}
# What a browser would take for a web page (the WHATWG sniffing patterns, in short).
HTML_STARTS = (
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<script",
    b"<iframe",
    b"<body",
    b"<svg",
    b"<?xml",
    b"<title",
    b"<style",
    b"<a ",
    b"<img",
    b"<div",
    b"<table",
)


@dataclass(frozen=True)
class LinkedAttachment:
    """What a message's serialiser needs of an attachment, kept on a new message (as
    ``message.linked_attachments``) so that its ack, after the commit expired the row, does
    not ask the database again."""

    id: str
    name: str
    size: int
    content_type: str

    @classmethod
    def of(cls, row: Attachment) -> LinkedAttachment:
        return cls(row.id, row.name, row.size, row.content_type)


@dataclass(frozen=True)
class Uploader:
    """Who uploads: ``visitor`` or ``agent``, and its id."""

    type: str
    id: str


# --- loading -----------------------------------------------------------------------------------


def _load_with_messages(state: ORMExecuteState) -> None:
    """Every query of messages loads their attachments in one more query (no N+1), except the
    reload of one expired message (after a commit), whose attachments are read only if used."""
    if (
        state.is_select
        and not state.is_column_load
        and not state.is_relationship_load
        and any(
            column.get("expr") is Message
            for column in getattr(state.statement, "column_descriptions", ())
        )
    ):
        state.statement = state.statement.options(selectinload(Message.attachments))


def init_app(app: Flask) -> None:
    """Install the message loader option (once per process) and the configured storage."""
    if not sa_event.contains(Session, "do_orm_execute", _load_with_messages):
        sa_event.listen(Session, "do_orm_execute", _load_with_messages)
    storage_module.init_app(app)


# --- settings ----------------------------------------------------------------------------------


def allowed_types() -> list[str]:
    """The admins' allow-list of content types (all known types by default)."""
    row = db.session.get(Setting, SETTINGS_KEY)
    stored = (row.value or {}).get("allowed_types") if row else None
    return stored if isinstance(stored, list) else list(DEFAULT_ALLOWED)


def save_allowed_types(types, *, actor: Actor | None = None) -> list[str]:
    """Replace the allow-list; every entry must be a type this server can check. Audited with
    ``actor``."""
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise InvalidPayload("allowed_types must be a list of content types")
    unknown = sorted(set(types) - set(KNOWN_TYPES))
    if unknown:
        raise InvalidPayload(f"unknown content types: {', '.join(unknown)[:200]}")
    row = db.session.get(Setting, SETTINGS_KEY) or Setting(key=SETTINGS_KEY, value={})
    row.value = {**(row.value or {}), "allowed_types": sorted(set(types))}
    db.session.add(row)
    write(actor, "settings_changed", "attachments", {"allowed_types": row.value["allowed_types"]})
    db.session.commit()
    return row.value["allowed_types"]


# --- checking ----------------------------------------------------------------------------------


def clean_name(name: str | None) -> str:
    """A display name without paths or control characters, at most 255 characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    return name[-255:] or "file"


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _looks_like_text(data: bytes) -> bool:
    """UTF-8 without NULs, and nothing a browser would sniff as a web page."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return not head.startswith(HTML_STARTS)


def sniff(data: bytes) -> str | None:
    """The content type the bytes say, among the known ones; None for anything else."""
    kind = filetype.guess(data)
    if kind is not None:
        return kind.mime if kind.mime in KNOWN_TYPES else None
    return "text/plain" if _looks_like_text(data) else None


def _same_family(claimed: str | None, detected: str) -> bool:
    """A claimed content type agrees with the bytes: the same type, no claim, or the generic
    ones browsers send when they do not know. A claimed image or PDF must be what it says."""
    claimed = (claimed or "").split(";", 1)[0].strip().lower()
    if claimed in ("", "application/octet-stream", detected):
        return True
    if claimed in ("image/jpg", "image/pjpeg"):
        return detected == "image/jpeg"
    strict = claimed.startswith("image/") or claimed == "application/pdf" or "html" in claimed
    return not strict and not detected.startswith("image/") and detected != "application/pdf"


def checked_type(name: str, claimed: str | None, data: bytes) -> str:
    """The file's real content type, when it is allowed and its name and claimed type agree
    with its bytes; ``InvalidPayload`` otherwise."""
    detected = sniff(data)
    if detected is None or detected not in allowed_types():
        raise InvalidPayload("this type of file is not allowed")
    if _extension(name) not in KNOWN_TYPES[detected] or not _same_family(claimed, detected):
        raise InvalidPayload("the file's name or type does not match its contents")
    return detected


def reencode_image(data: bytes, content_type: str) -> bytes:
    """The image drawn again by Pillow: no EXIF, GPS or comments survive, and whatever else
    the file hid (a polyglot's script) is gone. Orientation is applied first."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise InvalidPayload("this image is too large")
            frames = getattr(image, "n_frames", 1)
            output = io.BytesIO()
            if frames > 1:
                image.save(output, IMAGE_FORMATS[content_type], save_all=True)
            else:
                image.load()
                upright = ImageOps.exif_transpose(image)
                _save_plain(upright, content_type, output)
            return output.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidPayload("this image could not be read") from None


def _save_plain(image: Image.Image, content_type: str, output: io.BytesIO) -> None:
    """Save without metadata: a fresh image carries no ``info`` from the original."""
    fmt = IMAGE_FORMATS[content_type]
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    palette = image.getpalette()
    if image.mode == "P" and palette:
        clean.putpalette(palette)
    clean.save(output, fmt, **({"quality": 90} if fmt in ("JPEG", "WEBP") else {}))


# --- storing -----------------------------------------------------------------------------------


def store_upload(uploader: Uploader, name: str | None, claimed: str | None, data: bytes):
    """Check, clean and store one uploaded file; returns its (unsent) ``Attachment``.
    A visitor past its upload budget gets ``RateLimited``; refused files cost no budget."""
    if uploader.type == "visitor" and limiter.spent("visitor_uploads", uploader.id):
        raise RateLimited("too many uploads; wait a while and try again")
    name = clean_name(name)
    content_type = checked_type(name, claimed, data)
    inline = content_type in IMAGE_FORMATS
    if inline:
        data = reencode_image(data, content_type)
    if uploader.type == "visitor" and not limiter.allow("visitor_uploads", uploader.id):
        raise RateLimited("too many uploads; wait a while and try again")
    key = new_id()
    storage().put(key, data, content_type)
    attachment = Attachment(
        uploader_type=uploader.type,
        uploader_id=uploader.id,
        name=name,
        content_type=content_type,
        size=len(data),
        storage_key=key,
        inline=inline,
        created_at=utcnow(),
    )
    db.session.add(attachment)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage().delete(key)  # no row will ever name this file
        raise
    return attachment


def attach_to_message(message, attachment_ids) -> None:
    """Link the sender's unsent uploads to ``message`` (anything with ``id``,
    ``conversation_id``, ``sender_type`` and ``sender_id``: the hot path's plain row) in its
    transaction, and keep them on it as ``linked_attachments`` for its serialiser. The update
    matches only uploads of this sender that no message holds yet, so an id that is unknown,
    foreign or already sent (even by a concurrent message) refuses the whole message."""
    ids = list(dict.fromkeys(attachment_ids or []))
    if not ids:
        message.linked_attachments = ()
        return
    if len(ids) > MAX_PER_MESSAGE or not all(ID_PATTERN.fullmatch(i) for i in ids):
        db.session.rollback()
        raise InvalidPayload(f"at most {MAX_PER_MESSAGE} attachments, by their ids")
    linked = execute_dml(
        update(Attachment)
        .where(
            Attachment.id.in_(ids),
            Attachment.uploader_type == message.sender_type,
            Attachment.uploader_id == message.sender_id,
            Attachment.message_id.is_(None),
        )
        .values(message_id=message.id, conversation_id=message.conversation_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if linked != len(ids):
        db.session.rollback()  # the message and its seq go with it: nothing is stored
        raise InvalidPayload("unknown, foreign or already sent attachment")
    rows = list(
        db.session.scalars(
            select(Attachment).where(Attachment.id.in_(ids)).order_by(Attachment.created_at)
        )
    )
    message.linked_attachments = tuple(LinkedAttachment.of(row) for row in rows)


def preview_of(linked) -> str:
    """The inbox preview of a message without text: its files' names."""
    return ", ".join("\U0001f4ce " + a.name for a in linked)


# --- reading and removing ----------------------------------------------------------------------


def get_attachment(attachment_id: str) -> Attachment | None:
    if not ID_PATTERN.fullmatch(attachment_id or ""):
        return None
    return db.session.get(Attachment, attachment_id)


def read_bytes(attachment: Attachment) -> bytes | None:
    return storage().get(attachment.storage_key)


def zip_of_conversation(conversation_id: str) -> bytes:
    """A zip of the conversation's files, named ``seq-name`` in message order (unique names)."""
    rows = db.session.execute(
        select(Attachment, Message.seq)
        .join(Message, Attachment.message_id == Message.id)
        .where(Attachment.conversation_id == conversation_id)
        .order_by(Message.seq, Attachment.created_at)
    ).all()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (attachment, seq) in enumerate(rows, start=1):
            data = read_bytes(attachment)
            if data is not None:
                archive.writestr(f"{seq:04d}-{index}-{attachment.name}", data)
    return buffer.getvalue()


def count_for_visitor(visitor_id: str) -> int:
    """How many files are stored about a visitor: in its conversations (either side's) or
    uploaded by it and not yet sent."""
    in_conversations = select(Conversation.id).where(Conversation.visitor_id == visitor_id)
    query = select(func.count()).where(
        or_(
            Attachment.conversation_id.in_(in_conversations),
            and_(Attachment.uploader_type == "visitor", Attachment.uploader_id == visitor_id),
        )
    )
    return db.session.scalar(query) or 0


def _remove(rows) -> int:
    """Delete attachment rows and then their files (a crash in between leaves a stray file,
    never a row pointing at nothing)."""
    rows = list(rows)
    if not rows:
        return 0
    db.session.execute(delete(Attachment).where(Attachment.id.in_([r.id for r in rows])))
    _remove_files([row.storage_key for row in rows])
    return len(rows)


def _remove_files(keys) -> None:
    for key in keys:
        try:
            storage().delete(key)
        except Exception:
            log.exception("could not delete attachment file %s", key)


def delete_for_conversations(conversation_ids) -> int:
    """Remove the attachments of these conversations (before their messages go).
    ``conversation_ids`` is a list or a SELECT of ids, so purge can name only the conversations
    that are still expired at the moment of deletion."""
    if isinstance(conversation_ids, list) and not conversation_ids:
        return 0
    keys = db.session.scalars(
        delete(Attachment)
        .where(Attachment.conversation_id.in_(conversation_ids))
        .returning(Attachment.storage_key)
    ).all()
    _remove_files(keys)
    return len(keys)


def delete_unsent_of(uploader_type: str, uploader_id: str) -> int:
    """Remove one sender's unsent uploads (visitor erasure)."""
    return _remove(
        db.session.scalars(
            select(Attachment).where(
                Attachment.uploader_type == uploader_type,
                Attachment.uploader_id == uploader_id,
                Attachment.message_id.is_(None),
            )
        )
    )


def delete_stale_unsent(lifetime: timedelta = UNSENT_LIFETIME) -> int:
    """Remove uploads no message named within ``lifetime``; commits. Returns how many."""
    cutoff = utcnow() - lifetime
    count = _remove(
        db.session.scalars(
            select(Attachment).where(
                Attachment.message_id.is_(None), Attachment.created_at < cutoff
            )
        )
    )
    db.session.commit()
    return count


SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def ascii_name(name: str) -> str:
    """A plain-ASCII fallback file name for old clients (``filename=``)."""
    return SAFE_NAME.sub("_", name).strip("._") or "file"
