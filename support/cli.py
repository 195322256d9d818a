"""The ``support`` command: serve | create-agent | purge | seed-demo.

Every command brings the database schema up to date first. ``main`` patches the process for
eventlet before anything else is imported when it is about to serve."""

from __future__ import annotations

import sys

import click


def _patch_for_serving(argv: list[str]) -> None:
    if "serve" in argv[1:2]:
        from .serving import patch_for_serving

        patch_for_serving()


def main() -> None:
    """Console-script entry point."""
    _patch_for_serving(sys.argv)
    try:
        cli.main(prog_name="support", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        # One line, whatever went wrong: scripts read it, people act on it.
        click.echo(f"Error: {error.format_message()}", err=True)
        sys.exit(error.exit_code)


def _app():
    from . import create_app

    app = create_app()
    with app.app_context():
        upgrade_schema(app)
    return app


def upgrade_schema(app) -> None:
    """Apply pending migrations (inside an app context)."""
    import logging

    from flask_migrate import upgrade

    root = logging.getLogger()
    level = root.level
    upgrade(directory=app.extensions["migrate"].directory)
    root.setLevel(level)  # alembic.ini's logging setup lowers it for the migration only


@click.group(help="Support: self-hosted live chat and contact widget.")
def cli() -> None:
    pass


@cli.command(help="Run the server (eventlet).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, type=click.IntRange(1, 65535), show_default=True)
def serve(host: str, port: int) -> None:
    app = _app()
    from . import serving, static_files
    from .services import agents

    with app.app_context():
        if agents.count_agents() == 0:
            token = agents.create_setup_token()
            shown_host = "localhost" if host in ("0.0.0.0", "::", "127.0.0.1") else host  # noqa: S104
            click.echo(
                "No agent yet. Create the first admin account here (the link works once):\n"
                f"  http://{shown_host}:{port}/setup/{token}"
            )
    click.echo(
        f"Support is serving on http://{host}:{port}  (demo page: /demo, dashboard: /dashboard/)"
    )
    _start_retention(app)
    static_files.prepare(app)
    _start_routing(app)
    _start_outbox(app)
    _start_hours_watch(app)
    serving.run(app, host, port)


def _start_retention(app) -> None:
    """Purge expired conversations while the server runs (the admin's retention setting)."""
    from .extensions import socketio
    from .services import retention

    interval = float(app.config["RETENTION_CHECK_SECONDS"])
    socketio.start_background_task(retention.run_forever, app, socketio.sleep, interval)


def _start_routing(app) -> None:
    """Automatic routing's sweep: assign what waits, return away agents' conversations."""
    from .extensions import socketio
    from .services import routing

    interval = float(app.config["ROUTING_SWEEP_SECONDS"])
    socketio.start_background_task(routing.run_forever, app, socketio.sleep, interval)


def _start_outbox(app) -> None:
    """Send queued mails and webhook deliveries while the server runs (one loop per process)."""
    from .extensions import socketio
    from .services import outbox

    socketio.start_background_task(outbox.run_forever, app, socketio.sleep)


def _start_hours_watch(app) -> None:
    """Tell open widgets when business hours open or close (checked every minute)."""
    from .extensions import socketio
    from .services import business_hours

    socketio.start_background_task(business_hours.watch_forever, app, socketio.sleep, 60.0)


@cli.command("create-agent", help="Add an agent (or an admin with --admin).")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", required=True)
@click.option("--admin", is_flag=True, help="Give the agent admin rights.")
def create_agent(email: str, name: str, password: str, admin: bool) -> None:
    from .services import agents
    from .services.errors import ServiceError

    app = _app()
    with app.app_context():
        try:
            agent = agents.create_agent(email, name, password, is_admin=admin)
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        role = "admin" if agent.is_admin else "agent"
        click.echo(f"Created {role} {agent.name} <{agent.email}> (id {agent.id})")


@cli.command(help="Delete conversations closed more than DAYS ago, with their messages.")
@click.option("--older-than", "days", required=True, type=click.IntRange(min=0), metavar="DAYS")
def purge(days: int) -> None:
    from .services import transcripts

    app = _app()
    with app.app_context():
        count = transcripts.purge_closed(days)
    click.echo(
        f"Purged {count} conversation{'s' if count != 1 else ''} closed more than {days} days ago"
    )


@cli.command("seed-demo", help="Fill the database with demo agents, conversations and ratings.")
@click.option("--count", default=3000, show_default=True, type=click.IntRange(min=0))
def seed_demo(count: int) -> None:
    from .cli_seed import seed_demo as run

    app = _app()
    with app.app_context():
        made = run(count)
    click.echo(
        f"Created {made['conversations']} conversations ({made['messages']} messages) "
        f"for {made['agents']} demo agents; password: {made['password']}"
    )


@cli.command("send-outbox", help="Send the mails and webhook deliveries that are due, once.")
def send_outbox() -> None:
    from .services import outbox

    app = _app()
    with app.app_context():
        count = outbox.run_once(limit=1000)
    click.echo(f"Attempted {count} outbox item{'s' if count != 1 else ''}")


def init_app(app) -> None:
    """Make the same commands available as ``flask --app support <command>``."""
    for command in (create_agent, purge, seed_demo, send_outbox):
        app.cli.add_command(command)
