"""The admin blueprint and what every admin page shares: admins only, strict page headers,
and who acts (the signed-in admin, from the request's address) for the services' audit log."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from ..dashboard.security import apply_page_headers
from ..extensions import login_manager
from ..friendly_names import visitor_name
from ..services.audit import Actor

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.add_app_template_filter(visitor_name, "visitor_name")

# Pages someone without an account opens: the one-time invite link.
PUBLIC_ENDPOINTS = {"admin.accept_invite"}


@bp.before_request
def admins_only():
    """Anonymous visitors go to the sign-in page; signed-in agents who are not admins get 403."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_admin:
        return render_template("admin/forbidden.html"), 403
    return None


@bp.after_request
def page_headers(response):
    return apply_page_headers(response)


def acting() -> Actor:
    """The signed-in admin and its address, for the audit entry the service writes."""
    return Actor(current_user._get_current_object(), request.remote_addr)
