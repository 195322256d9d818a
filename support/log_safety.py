"""Log lines an attacker cannot forge.

Much of what the server logs comes from clients: a session id in a URL, an event name, a header.
A CR or LF inside it would start what looks like a line of its own (a fake sign-in, a fake
error), and other control characters can rewrite a terminal. So every log record is made safe
when it is created, whichever logger made it (ours, Engine.IO's, Socket.IO's, Werkzeug's,
eventlet's) and whichever handler writes it (the CLI's, alembic's, Engine.IO's own):

- the message has its control characters escaped (``\\n`` becomes the two characters ``\\n``);
- a traceback keeps its line breaks, with control characters escaped within each line and every
  line after the first indented, so no line of it can pass for a record of its own.
"""

from __future__ import annotations

import logging
import re

CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """``text`` with each control character written as its Python escape (``\\r``, ``\\x1b``)."""
    return CONTROL_CHARACTERS.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


def _safe_block(text: str) -> str:
    first, *rest = text.split("\n")
    return "\n".join([escape_controls(first), *("    " + escape_controls(line) for line in rest)])


def _make_safe(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format: leave it to the handler's own error reporting
        return
    record.msg, record.args = escape_controls(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = _safe_block(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = _safe_block(record.stack_info)


def install() -> None:
    """Make every log record created from now on safe (once per process)."""
    create = logging.getLogRecordFactory()
    if getattr(create, "support_safe", False):
        return

    def safe_record(*args, **kwargs) -> logging.LogRecord:
        record = create(*args, **kwargs)
        _make_safe(record)
        return record

    safe_record.support_safe = True  # type: ignore[attr-defined]  # a marker, read by getattr above
    logging.setLogRecordFactory(safe_record)
