"""The baseline for page views: one bare Flask route on eventlet, served like ``support serve``
(eventlet's WSGI server, ``TCP_NODELAY``, no access log) and answering a JSON body the size of
the widget's config, uncompressed and uncached.

    .venv/bin/python bench/bare_flask.py --port 5099
"""

from __future__ import annotations

import argparse
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import eventlet

eventlet.monkey_patch()

import socket  # noqa: E402

import eventlet.wsgi  # noqa: E402
from flask import Flask, jsonify  # noqa: E402

BODY = {"brand": {"name": "Bare", "tagline": "x" * 40}, "text": "y" * 800, "online": False}


def make_app() -> Flask:
    app = Flask("bare")

    @app.get("/bare")
    def bare():
        return jsonify(BODY)

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    listener = eventlet.listen((args.host, args.port))
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    eventlet.wsgi.server(listener, make_app(), log_output=False)
