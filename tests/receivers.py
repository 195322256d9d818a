"""Real receivers for outbound tests: an HTTP server that records webhook deliveries, and an
SMTP server (aiosmtpd) that records mails. Both run in threads of the test process."""

from __future__ import annotations

import email
import email.policy
import http.server
import threading
import time

from tests.helpers import free_port


class WebhookReceiver:
    """A tiny ``http.server`` on a free port. ``answers`` is a list of what to do with each
    request in turn (an HTTP status, or ``("sleep", seconds)`` to answer 200 too late); once it
    is used up every request gets 200."""

    def __init__(self, answers=None, port: int | None = None):
        self.answers = list(answers or [])
        self.requests: list[dict] = []  # answered, with the answer's status
        self.arrivals: list[dict] = []  # the headers of every request, as it arrives
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._cond = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                with receiver._cond:
                    receiver.arrivals.append(dict(self.headers.items()))
                    receiver._cond.notify_all()
                    answer = receiver.answers.pop(0) if receiver.answers else 200
                if isinstance(answer, tuple):
                    time.sleep(answer[1])
                    answer = 200
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver._cond:
                    receiver.requests.append(
                        {"headers": dict(self.headers.items()), "body": body, "status": answer}
                    )
                    receiver._cond.notify_all()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 20) -> list[dict]:
        """The first ``count`` recorded requests, waiting for them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{len(self.requests)} of {count} deliveries arrived")
                self._cond.wait(remaining)
            return list(self.requests)

    def wait_for_arrival(self, timeout: float = 20) -> dict:
        """The headers of the first request, as soon as it arrives (before it is answered)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self.arrivals:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("no delivery arrived")
                self._cond.wait(remaining)
            return self.arrivals[0]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MailReceiver:
    """aiosmtpd's SMTP server on a free port, keeping every mail it is given. Recipients in
    ``refuse`` are refused with a 550, like an unknown mailbox."""

    def __init__(self, refuse: tuple[str, ...] = ()):
        from aiosmtpd.controller import Controller

        self.messages: list[email.message.EmailMessage] = []
        self.refuse = set(refuse)
        self._cond = threading.Condition()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.url = f"smtp://127.0.0.1:{self.port}"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._cond:
            self.messages.append(message)
            self._cond.notify_all()
        return "250 Message accepted"

    def wait_for(self, count: int, timeout: float = 20) -> list:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{len(self.messages)} of {count} mails arrived")
                self._cond.wait(remaining)
            return list(self.messages)

    def close(self) -> None:
        self.controller.stop()


def text_part(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()
