"""Oversized request bodies, from outside: refused with 413 ``payload_too_large`` before the
server reads them, whether declared (Content-Length) or streamed (chunked)."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

pytestmark = pytest.mark.e2e

MAX = 1048576


def _assert_too_large(answer: requests.Response) -> None:
    assert answer.status_code == 413, answer.text[:200]
    assert answer.json()["error"]["code"] == "payload_too_large"


def test_a_declared_large_body_is_refused_before_it_is_read(server):
    host, port = urlsplit(server.url).hostname, urlsplit(server.url).port
    with socket.create_connection((host, port), timeout=5) as sock:
        # Announces 15 MB and sends none of it: an answer proves nothing waited for the body.
        sock.sendall(
            b"POST /api/widget/visitors HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 15000000\r\n\r\n["
        )
        started = time.monotonic()
        head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 413"), head[:200]
    assert b"payload_too_large" in head or time.monotonic() - started < 5
    big = b"[" + b"1," * (MAX // 2) + b"1]"
    _assert_too_large(requests.post(server.url + "/api/widget/visitors", data=big, timeout=10))
    _assert_too_large(
        requests.post(server.url + "/socket.io/?EIO=4&transport=polling", data=big, timeout=10)
    )
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200


def test_a_chunked_body_is_bounded_too(server):
    def chunks(total: int):
        sent = 0
        yield b'{"name": "'
        while sent < total:
            yield b"x" * 65536
            sent += 65536
        yield b'"}'

    answer = requests.post(
        server.url + "/api/widget/visitors",
        data=chunks(3 * MAX),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    _assert_too_large(answer)
    small = requests.post(
        server.url + "/api/widget/visitors",
        data=iter([b'{"name": "Chunked', b' Visitor"}']),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert small.status_code == 201, small.text


def test_uploads_have_their_own_larger_limit(server):
    body = b"x" * (2 * MAX)
    for path in ("/api/widget/attachments", "/api/v1/attachments"):
        answer = requests.post(server.url + path, data=body, timeout=10)
        assert answer.status_code != 413
        _assert_too_large(requests.post(server.url + path, data=body * 6, timeout=30))
