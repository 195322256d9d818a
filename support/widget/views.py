"""The widget's loader (``/widget.js``), its frame (``/widget/frame``) and the ``/demo`` page.

The loader runs on customers' pages; the frame is this server's own page inside an iframe, so its
CSS, socket and storage stay apart from the host. Both are static files: the frame reads its
content from ``/api/widget/config`` at run time, which keeps these views thin and cacheable.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, send_from_directory

from ..services import settings

bp = Blueprint("widget", __name__)

LOADER_FILE = "widget/loader.js"


def frame_ancestors(allowed: list[str] | None) -> str:
    """The CSP ``frame-ancestors`` source list: this server itself plus the embedding sites
    (``*`` when any site may embed the widget)."""
    return " ".join(["'self'", *(allowed if allowed is not None else ["*"])])


def frame_policy(allowed: list[str] | None) -> str:
    """The frame's Content-Security-Policy: embeddable only by the allowed origins, no plugins,
    no base-URL or form hijacking, images only from here.

    The frame has no inline script or style of its own, but the policy does not forbid them:
    accessibility audits (axe-core in the browser tests, and site owners' own audit tools) are
    injected into the page as inline script. Visitor and agent text is only ever inserted as
    text, which is what keeps script out."""
    return "; ".join(
        [
            f"frame-ancestors {frame_ancestors(allowed)}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "img-src 'self' data:",
        ]
    )


@bp.get("/widget.js")
def loader() -> Response:
    """The embed loader. Short cache so a new release reaches sites within minutes."""
    response = send_from_directory(
        current_app.static_folder, LOADER_FILE, mimetype="application/javascript", max_age=300
    )
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/widget/frame")
def frame() -> Response:
    """The widget itself, loaded by the loader in an iframe."""
    allowed = settings.allowed_origins(current_app.config["ALLOWED_ORIGINS"])
    response = Response(render_template("widget/frame.html"))
    response.headers["Content-Security-Policy"] = frame_policy(allowed)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/demo")
def demo() -> str:
    """A sample news article with the widget embedded, to see the whole thing in a minute."""
    return render_template("widget/demo.html")
