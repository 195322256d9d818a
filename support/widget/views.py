"""The widget's frame (``/widget/frame``) and the ``/demo`` page (WhiteNoise serves the loader,
``/widget.js``: see ``support.static_files``).

The loader runs on customers' pages; the frame is this server's own page inside an iframe, so its
CSS, socket and storage stay apart from the host. Both are static files: the frame reads its
content from ``/api/widget/config`` at run time, which keeps these views thin and cacheable.
"""

from __future__ import annotations

import functools

from flask import Blueprint, Response, current_app, render_template

from ..http_cache import Answer, etag_of, public, public_answer, public_response
from ..origins import allowed_origins
from ..services import settings

bp = Blueprint("widget", __name__)


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


FRAME_MAX_AGE = 60  # a changed list of allowed origins reaches cached frames within a minute


def _frame_html() -> bytes:
    """The frame's page, rendered once per process (it names only fingerprinted static files);
    again on every request while templates reload (development)."""
    if current_app.jinja_env.auto_reload:
        return render_template("widget/frame.html").encode()
    cached = current_app.extensions.get("support.frame_html")
    if cached is None:
        cached = current_app.extensions["support.frame_html"] = render_template(
            "widget/frame.html"
        ).encode()
    return cached


@functools.lru_cache(maxsize=32)
def _frame_etag(html: bytes, policy: str) -> str:
    """Kept: the page and its policy change rarely, and every page view asks."""
    return etag_of(html, policy)


@bp.get("/widget/frame")
@public
def frame() -> Response:
    """The widget itself, loaded by the loader in an iframe. The same for every visitor, so it
    is cached briefly and revalidated by an ETag covering the page and its embedding policy."""
    allowed = allowed_origins(snapshot=True)
    policy = frame_policy(allowed)
    html = _frame_html()
    return public_response(
        html,
        "text/html",
        FRAME_MAX_AGE,
        etag=_frame_etag(html, policy),
        extra_headers=dict(_frame_headers(policy)),
    )


def _frame_headers(policy: str) -> list[tuple[str, str]]:
    return [("Content-Security-Policy", policy), ("Referrer-Policy", "no-referrer")]


def frame_before_flask(app, engine):
    """``frame``'s GET answer for ``http_cache.PublicAnswers``, exactly as the view gives it,
    once the page is rendered and while the settings' snapshot is fresh (else None: the view
    renders the page, reads the settings again)."""

    def answer(environ: dict) -> Answer | None:
        stored = settings.fresh_widget_settings(engine)
        html = app.extensions.get("support.frame_html")
        if stored is None or html is None or app.jinja_env.auto_reload:
            return None
        policy = frame_policy(settings.allowed_origins_of(stored, app.config["ALLOWED_ORIGINS"]))
        return public_answer(
            environ,
            html,
            "text/html; charset=utf-8",
            FRAME_MAX_AGE,
            _frame_etag(html, policy),
            extra_headers=_frame_headers(policy),
        )

    return answer


@bp.get("/demo")
@public
def demo() -> str:
    """A sample news article with the widget embedded, to see the whole thing in a minute."""
    return render_template("widget/demo.html")
