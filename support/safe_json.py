"""JSON that hostile input cannot crash.

Socket.IO packets: a payload that cannot be decoded (broken JSON, or nesting deep enough to
exhaust Python's recursion) becomes an event named ``MALFORMED_EVENT``, which the namespaces
answer ``invalid_payload``, instead of an exception deep in the transport that would leave the
client waiting for an ack that never comes. HTTP bodies: see ``SafeJSONProvider``."""

from __future__ import annotations

from engineio import json as _engineio_json
from flask.json.provider import DefaultJSONProvider

MALFORMED_EVENT = "\x00malformed"

dumps = _engineio_json.dumps


def loads(text, *args, **kwargs):
    try:
        return _engineio_json.loads(text, *args, **kwargs)
    except (RecursionError, ValueError):
        return [MALFORMED_EVENT]


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with request bodies nested too deeply for Python's parser reported as bad
    JSON (a 400 from ``get_json``, None from ``get_json(silent=True)``) rather than a crash."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
