"""Support: a self-hosted live-chat and contact widget.

``create_app`` is the application factory (``flask --app support run`` finds it). Its imports are
deferred on purpose: ``support serve`` must monkey-patch eventlet before Flask, the database
drivers or the socket libraries are imported, and importing this package must not get there first.
"""


def create_app(config: dict | None = None):
    """Build the Flask application; ``config`` overrides settings (tests)."""
    from .app import build_app

    return build_app(config)
