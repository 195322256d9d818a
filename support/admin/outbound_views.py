"""Admin pages for what leaves the server: webhook endpoints with their recent deliveries, and
the mail settings (agents told about visitors who wait)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..services import agent_mail, outbox, webhooks
from ..services.errors import ServiceError
from .blueprint import acting, bp


def _webhooks_page(status: int = 200, **extra):
    return render_template(
        "admin/webhooks.html",
        webhooks=webhooks.list_webhooks(),
        event_types=webhooks.EVENT_TYPES,
        form=extra.pop("form", {}),
        **extra,
    ), status


@bp.get("/webhooks")
def webhooks_page():
    return _webhooks_page()


@bp.post("/webhooks")
def create_webhook():
    """Add an endpoint; its secret is shown on the answer page only."""
    form = request.form
    try:
        webhook = webhooks.create_webhook(
            form.get("url", ""), form.getlist("events"), actor=acting()
        )
    except ServiceError as error:
        return _webhooks_page(error.status, form=form, error=error.message)
    return _webhooks_page(created=webhook)


@bp.post("/webhooks/<webhook_id>/delete")
def delete_webhook(webhook_id: str):
    webhook = webhooks.delete_webhook(webhook_id, actor=acting())
    flash(f"Deleted the webhook to {webhook.url}.")
    return redirect(url_for("admin.webhooks_page"))


@bp.post("/webhooks/<webhook_id>/enable")
def enable_webhook(webhook_id: str):
    """Turn an endpoint that was disabled for failing back on."""
    webhook = webhooks.set_active(webhook_id, True, actor=acting())
    flash(f"The webhook to {webhook.url} is on again.")
    return redirect(url_for("admin.webhook_page", webhook_id=webhook.id))


@bp.get("/webhooks/<webhook_id>")
def webhook_page(webhook_id: str):
    """One endpoint and its recent deliveries."""
    webhook = webhooks.get_webhook(webhook_id)
    return render_template(
        "admin/webhook.html", webhook=webhook, deliveries=webhooks.deliveries(webhook.id)
    )


@bp.post("/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver")
def redeliver(webhook_id: str, delivery_id: str):
    webhook = webhooks.get_webhook(webhook_id)
    if outbox.send_again(delivery_id, webhook_id=webhook.id) is None:
        flash("No such delivery.")
    else:
        flash("The delivery will be sent again in a moment, with the same webhook-id.")
    return redirect(url_for("admin.webhook_page", webhook_id=webhook.id))


@bp.get("/mail")
def mail_page():
    return render_template("admin/mail.html", values=agent_mail.mail_settings())


@bp.post("/mail")
def save_mail():
    """How long a visitor may wait unanswered before agents are mailed, and which agents."""
    form = request.form
    try:
        agent_mail.save_mail_settings(
            form.get("notify_waiting_minutes", "").strip() or None,
            form.get("notify_waiting_to", "all"),
            actor=acting(),
        )
    except ServiceError as error:
        values = {"notify_waiting_minutes": form.get("notify_waiting_minutes")}
        values["notify_waiting_to"] = form.get("notify_waiting_to")
        return render_template("admin/mail.html", values=values, error=error.message), 400
    flash("Saved.")
    return redirect(url_for("admin.mail_page"))
