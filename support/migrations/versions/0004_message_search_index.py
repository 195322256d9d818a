"""A trigram index over message bodies, so transcript search stays fast at 100,000s of rows.

SQLite: an FTS5 table with the ``trigram`` tokenizer, kept in step with ``messages`` by
triggers (external content: the text is stored once). PostgreSQL: ``pg_trgm`` and a GIN index on
``lower(body)``, which plain ``LIKE '%word%'`` uses. Where ``pg_trgm`` cannot be created (no
privilege), search still works, by scanning.

Revision ID: 0004
Revises: 0003
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

SQLITE_UP = [
    "CREATE VIRTUAL TABLE message_search USING fts5("
    "body, content='messages', content_rowid='rowid', tokenize='trigram')",
    "CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO message_search(rowid, body) VALUES (new.rowid, new.body); END",
    "CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO message_search(message_search, rowid, body) "
    "VALUES ('delete', old.rowid, old.body); END",
    "CREATE TRIGGER messages_search_update AFTER UPDATE OF body ON messages BEGIN "
    "INSERT INTO message_search(message_search, rowid, body) "
    "VALUES ('delete', old.rowid, old.body); "
    "INSERT INTO message_search(rowid, body) VALUES (new.rowid, new.body); END",
    "INSERT INTO message_search(message_search) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS messages_search_update",
    "DROP TRIGGER IF EXISTS messages_search_delete",
    "DROP TRIGGER IF EXISTS messages_search_insert",
    "DROP TABLE IF EXISTS message_search",
]


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        _postgres_trigram_index(bind)


def _postgres_trigram_index(bind) -> None:
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as error:
        log.warning("pg_trgm is not available (%s); transcript search will scan", error.orig)
        return
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_messages_body_trgm "
        "ON messages USING gin (lower(body) gin_trgm_ops)"
    )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_messages_body_trgm")
