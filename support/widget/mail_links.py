"""The links in our mails: reopen the chat in the widget, and unsubscribe with one click.

The reopen link (``/widget/return/<token>``) is signed and expires; it sends the visitor to the
page they chatted from with ``#support-resume=<token>``. The loader there hands the token to the
frame, which exchanges it (``POST /api/widget/resume``) for the visitor's own token and opens
the conversation, in whatever browser the mail was opened."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, current_app, jsonify, redirect, render_template, request

from ..services import mail, visitors

bp = Blueprint("mail_links", __name__)


def _page_for(visitor) -> str:
    """The page the visitor chatted from (http or https only), else our demo page."""
    url = visitor.page_url or ""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return urlunsplit(parts._replace(fragment=""))
    return request.host_url.rstrip("/") + "/demo"


@bp.get("/widget/return/<token>")
def resume_chat(token: str):
    visitor = mail.visitor_for_resume_token(token)
    if visitor is None:
        return render_template("mail/link_expired.html"), 410
    return redirect(_page_for(visitor) + "#support-resume=" + token, code=303)


@bp.post("/api/widget/resume")
def exchange_resume_token():
    """``{"token"}`` from a mailed link → ``{"visitor_id", "token"}`` (the visitor token)."""
    body = request.get_json(silent=True)
    token = body.get("token") if isinstance(body, dict) else None
    visitor = mail.visitor_for_resume_token(token)
    if visitor is None:
        error = {"code": "unauthorized", "message": "this link has expired or is not valid"}
        return jsonify({"error": error}), 401
    visitor_token = visitors.issue_token(visitor, current_app.secret_key)
    return jsonify({"visitor_id": visitor.id, "token": visitor_token})


@bp.route("/mail/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """One click (GET from the mail, or the mail client's RFC 8058 POST): no more mails about
    this conversation."""
    if not mail.unsubscribe(token):
        return render_template("mail/unsubscribed.html", ok=False), 404
    return render_template("mail/unsubscribed.html", ok=True)
