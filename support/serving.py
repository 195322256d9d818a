"""Running the real server: the async framework's patching, the connection cap, and the loop."""

from __future__ import annotations

import os


def patch_for_serving() -> None:
    """eventlet (or gevent) must patch the standard library before Flask, the database drivers
    and the socket libraries are imported."""
    mode = os.environ.get("SUPPORT_ASYNC_MODE", "eventlet")
    if mode == "eventlet":
        import warnings

        with warnings.catch_warnings():
            # Chosen knowingly (DESIGN.md: eventlet now, gevent as the documented way out).
            warnings.simplefilter("ignore")
            import eventlet

        eventlet.monkey_patch()
    elif mode == "gevent":
        from gevent import monkey

        monkey.patch_all()


def raise_connection_cap(wanted: int = 10_000) -> None:
    """eventlet's server stops at 1,024 connections by default, and the process's open-file
    limit often sits at 1,024 too; raise both as far as the system allows."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = wanted + 100 if hard == resource.RLIM_INFINITY else min(hard, wanted + 100)
        if soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ImportError, ValueError, OSError):
        pass
    try:
        import eventlet.wsgi

        eventlet.wsgi.DEFAULT_MAX_SIMULTANEOUS_REQUESTS = wanted
    except ImportError:
        pass


def run(app, host: str, port: int) -> None:
    """Serve ``app`` until stopped."""
    from .extensions import socketio

    raise_connection_cap()
    kwargs = {"log_output": False}
    if socketio.async_mode == "threading":
        kwargs["allow_unsafe_werkzeug"] = True
    socketio.run(app, host=host, port=port, **kwargs)
