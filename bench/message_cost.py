"""CPU time and SQL statements per stored visitor message, in-process (no sockets).

On a machine shared with other work, wall-clock latency is noisy; the CPU time one message costs
the server is not. This runs what ``message:send`` runs (the handler's service call and the
serialisation of its ack) many times on a fresh database and prints the CPU per message and the
statements per message; ``--profile`` adds a pyinstrument profile of the same loop.

    .venv/bin/python bench/message_cost.py [--messages 3000] [--database URL] [--profile]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from relay import database_cpu, database_cpu_spent  # noqa: E402
from sqlalchemy import event  # noqa: E402

from support import create_app  # noqa: E402
from support.cli import upgrade_schema  # noqa: E402
from support.extensions import db  # noqa: E402
from support.services import visitors  # noqa: E402


def sender():
    """What the ``/visitor`` handler calls for one message, as a function of (id, n)."""
    try:
        from support.serializers import public_conversation
        from support.services import messages
    except ImportError:  # the ORM path before the rebuild, as its handler ran it
        from support.serializers import conversation_dict, message_dict
        from support.services import conversations

        def send(visitor_id, client_id, body):
            visitor = visitors.visitor_by_id(visitor_id)
            message, conversation = conversations.post_visitor_message(visitor, client_id, body)
            return {"message": message_dict(message), "c": conversation_dict(conversation)}

        return send

    def send(visitor_id, client_id, body):
        posted = messages.send_visitor_message(visitor_id, client_id, body)
        return {"message": posted.message, "c": public_conversation(posted.conversation)}

    return send


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--database", help="an empty database URL (default: temporary SQLite)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{Path(tempfile.mkdtemp()) / 'cost.db'}"
    config = {"DATABASE_URL": url, "SECRET_KEY": "bench", "ASYNC_MODE": "threading"}
    app = create_app(config | {"LIMIT_VISITOR_MESSAGES": "0"})
    send = sender()
    with app.app_context():
        upgrade_schema(app)
        ids = []
        for n in range(args.visitors):
            visitor = visitors.create_visitor(
                {"name": f"V{n}"}, identity_secret=None, user_agent=None, ip_address=None
            )
            ids.append(visitor.id)
        for n, visitor_id in enumerate(ids):
            send(visitor_id, f"w{n}", "warm up")
            db.session.remove()
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            profiler.start()
        database = database_cpu()
        cpu, wall = time.process_time(), time.perf_counter()
        for n in range(args.messages):
            send(ids[n % len(ids)], f"m{n}", f"message number {n}")
            db.session.remove()  # as each socket event ends its app context
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        database = database_cpu_spent(database)
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(
        f"{url.split(':')[0]}: {args.messages} messages, "
        f"{cpu / args.messages * 1000:.3f} ms CPU and {wall / args.messages * 1000:.3f} ms wall "
        f"each, {len(statements) / args.messages:.1f} SQL statements each"
    )
    if url.startswith("postgresql"):
        print(f"PostgreSQL's own processes: {database / args.messages * 1000:.3f} ms CPU each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
