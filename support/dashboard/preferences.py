"""An agent's own mail preferences: whether they are mailed about visitors who wait."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..services import mail
from .views import bp


def _key() -> str:
    return f"agent:{current_user.id}"


@bp.get("/dashboard/preferences")
@login_required
def preferences():
    return render_template("dashboard/preferences.html", waiting_mails=not mail.opted_out(_key()))


@bp.post("/dashboard/preferences")
@login_required
def save_preferences():
    mail.set_opt_out(_key(), request.form.get("waiting_mails") != "1")
    flash("Saved.")
    return redirect(url_for("dashboard.preferences"))
