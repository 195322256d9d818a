"""Log injection from outside: client-controlled text with CR, LF and terminal escapes must not
forge a log line or reach the terminal raw, whichever library logs it (here Engine.IO's own
logger, which writes through a handler of its own as well as the root's)."""

from __future__ import annotations

import time

import pytest
import requests

pytestmark = pytest.mark.e2e

FORGED = "2026-01-01 00:00:00 INFO support: admin signed in"


def test_a_forged_line_in_a_socketio_url_stays_on_its_line(server):
    sid = f"abc%0A{FORGED}%0D%1b[31m%E2%80%A8"
    for transport_request in (requests.get, requests.post):
        transport_request(
            server.url + f"/socket.io/?EIO=4&transport=polling&sid={sid}", data="1", timeout=5
        )
    time.sleep(0.3)
    log = server.log.read_text()
    assert "Invalid session abc\\n2026-01-01" in log
    for line in log.splitlines():
        assert not line.startswith(FORGED[:10]), line
    assert "\x1b" not in log and "\r" not in log and "\u2028" not in log


def test_tracebacks_keep_their_lines_but_cannot_forge_one(app):
    import io
    import logging

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("support.test_log_injection")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError(f"bad input\n{FORGED}\x1b[2J")
        except ValueError:
            logger.exception("event %s failed", f"x\n{FORGED}")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines[0] == f"event x\\n{FORGED} failed"
    assert lines[1] == "Traceback (most recent call last):"
    assert all(line.startswith("    ") for line in lines[2:])
    assert "\x1b" not in stream.getvalue()
