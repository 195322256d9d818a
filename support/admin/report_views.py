"""Reports (figures and charts for a chosen period) and the read-only audit log."""

from __future__ import annotations

from flask import render_template, request

from ..http_query import date_arg
from ..models import utcnow
from ..services import agents, reports
from ..services.errors import ServiceError
from . import charts
from .blueprint import bp


def report_charts(report: dict) -> dict:
    """The report's charts as inline SVG."""
    overall = report["overall"]
    per_day = [(row["date"][5:], row["conversations"]) for row in report["per_day"]]
    stars = [(f"{star} ★", overall["rating_distribution"][str(star)]) for star in range(5, 0, -1)]
    first_response = [
        (row["agent"]["name"], row["first_response_median"]) for row in report["agents"]
    ]
    return {
        "per_day": charts.column_chart(per_day, "Conversations per day"),
        "ratings": charts.bar_chart(stars, "Ratings"),
        "first_response": charts.bar_chart(
            first_response,
            "Median first response time per agent",
            fmt=reports.format_duration,
        ),
    }


@bp.get("/reports")
def reports_page():
    """Volume, first response and resolution times, ratings: overall and per agent."""
    default_since, default_until = reports.default_period(utcnow().date())
    error = None
    try:
        since = date_arg("since") or default_since
        until = date_arg("until") or default_until
        report = reports.build_report(since, until)
    except ServiceError as problem:
        error, since, until = problem.message, default_since, default_until
        report = reports.build_report(since, until)
    return render_template(
        "admin/reports.html",
        report=report,
        charts=report_charts(report),
        since=since,
        until=until,
        error=error,
        duration=reports.format_duration,
    ), (400 if error else 200)


@bp.get("/audit")
def audit_page():
    """Who signed in, changed settings, exported, deleted or erased what, and when."""
    error, events, total = None, [], 0
    search = reports.AuditSearch()
    try:
        search = reports.AuditSearch(
            action=request.args.get("action") or None,
            actor=request.args.get("actor") or None,
            since=date_arg("since"),
            until=date_arg("until"),
            page=max(1, request.args.get("page", 1, type=int) or 1),
        )
        events, total = reports.search_audit(search)
    except ServiceError as problem:
        error = problem.message
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/audit.html",
        events=events,
        total=total,
        search=search,
        filters=filters,
        pages=max(1, -(-total // search.per_page)),
        actions=reports.audit_actions(),
        agents=agents.list_agents(),
        error=error,
    ), (400 if error else 200)
