"""The ``support`` command, run as a real process (PROTOCOL §1)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import requests

from tests.helpers import ROOT, free_port


def support(tmp_path, *args, env=None):
    environment = {
        **os.environ,
        "SUPPORT_INSTANCE_PATH": str(tmp_path / "instance"),
        "SUPPORT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "support", *args],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_create_agent_on_a_fresh_database(tmp_path):
    done = support(
        tmp_path,
        "create-agent",
        "--email",
        "a@example.com",
        "--name",
        "Ann",
        "--password",
        "long-password",
        "--admin",
    )
    assert done.returncode == 0, done.stderr
    assert "Ann" in done.stdout
    again = support(
        tmp_path,
        "create-agent",
        "--email",
        "A@example.com",
        "--name",
        "Ann",
        "--password",
        "long-password",
    )
    assert again.returncode != 0
    assert len(again.stderr.strip().splitlines()) == 1 and "already exists" in again.stderr


def test_bad_arguments_exit_non_zero_with_one_line(tmp_path):
    for args in (
        ["purge", "--older-than", "soon"],
        ["purge"],
        ["no-such-command"],
        ["create-agent", "--email", "x@example.com", "--name", "X", "--password", "short"],
    ):
        done = support(tmp_path, *args)
        assert done.returncode != 0, args
        assert len(done.stderr.strip().splitlines()) == 1, (args, done.stderr)


def test_purge_prints_how_many(tmp_path):
    from support import create_app
    from support.cli import upgrade_schema
    from support.models import utcnow
    from support.services import agents, conversations, visitors

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "k", "ASYNC_MODE": "threading"})
    with app.app_context():
        upgrade_schema(app)
        agent = agents.create_agent("p@example.com", "P", "password-1")
        for name in ("old", "older"):
            visitor = visitors.create_visitor(
                {"name": name}, identity_secret=None, user_agent=None, ip_address=None
            )
            _, conversation = conversations.post_visitor_message(visitor, "1", "hi")
            conversations.close(agent, conversation.id)
            conversation.closed_at = utcnow() - timedelta(days=10)
        from support.extensions import db

        db.session.commit()
        db.engine.dispose()
    done = support(tmp_path, "purge", "--older-than", "7")
    assert done.returncode == 0, done.stderr
    assert "2" in done.stdout
    assert "0" in support(tmp_path, "purge", "--older-than", "7").stdout


def test_serve_prints_a_first_admin_link_and_answers_health(tmp_path):
    port = free_port()
    environment = {
        **os.environ,
        "SUPPORT_INSTANCE_PATH": str(tmp_path / "instance"),
        "SUPPORT_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "support", "serve", "--port", str(port)],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = "".join(process.stdout.readline() for _ in range(3))
        assert "/setup/" in banner, banner
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        assert answer.status_code == 200 and answer.json() == {"status": "ok"}
        # The secret key was generated once and kept in the instance folder.
        key_file = tmp_path / "instance" / "secret_key"
        assert key_file.exists() and oct(key_file.stat().st_mode)[-3:] == "600"
    finally:
        process.terminate()
        process.wait(10)


def test_the_default_database_works_with_a_secret_key_from_the_environment(tmp_path):
    """With ``SUPPORT_SECRET_KEY`` set nothing else writes the instance folder, yet the embedded
    SQLite database lives there: a fresh install must still start (it failed to open the file)."""
    done = support(
        tmp_path,
        "create-agent",
        "--email",
        "b@example.com",
        "--name",
        "Bea",
        "--password",
        "long-password",
        env={"SUPPORT_SECRET_KEY": "from-the-environment", "SUPPORT_DATABASE_URL": ""},
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "instance" / "support.db").exists()
