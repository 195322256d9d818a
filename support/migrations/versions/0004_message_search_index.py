"""Trigram indexes over message bodies and visitors' names and emails, so transcript search
stays fast at 100,000s of conversations; and (status, created_at) for the filtered list.

SQLite: FTS5 tables with the ``trigram`` tokenizer, kept in step with ``messages`` and
``visitors`` by triggers (external content: the text is stored once). PostgreSQL: ``pg_trgm`` and
GIN indexes on ``lower(...)``, which plain ``LIKE '%word%'`` uses. Where ``pg_trgm`` cannot be
created (no privilege), search still works, by scanning.

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
    "CREATE VIRTUAL TABLE visitor_search USING fts5("
    "name, email, content='visitors', content_rowid='rowid', tokenize='trigram')",
    "CREATE TRIGGER visitors_search_insert AFTER INSERT ON visitors BEGIN "
    "INSERT INTO visitor_search(rowid, name, email) VALUES (new.rowid, new.name, new.email); END",
    "CREATE TRIGGER visitors_search_delete AFTER DELETE ON visitors BEGIN "
    "INSERT INTO visitor_search(visitor_search, rowid, name, email) "
    "VALUES ('delete', old.rowid, old.name, old.email); END",
    "CREATE TRIGGER visitors_search_update AFTER UPDATE OF name, email ON visitors BEGIN "
    "INSERT INTO visitor_search(visitor_search, rowid, name, email) "
    "VALUES ('delete', old.rowid, old.name, old.email); "
    "INSERT INTO visitor_search(rowid, name, email) VALUES (new.rowid, new.name, new.email); END",
    "INSERT INTO visitor_search(visitor_search) VALUES ('rebuild')",
]
POSTGRES_TRIGRAM_INDEXES = {
    "ix_messages_body_trgm": "messages USING gin (lower(body) gin_trgm_ops)",
    "ix_visitors_name_trgm": "visitors USING gin (lower(name) gin_trgm_ops)",
    "ix_visitors_email_trgm": "visitors USING gin (lower(email) gin_trgm_ops)",
}
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS visitors_search_update",
    "DROP TRIGGER IF EXISTS visitors_search_delete",
    "DROP TRIGGER IF EXISTS visitors_search_insert",
    "DROP TABLE IF EXISTS visitor_search",
    "DROP TRIGGER IF EXISTS messages_search_update",
    "DROP TRIGGER IF EXISTS messages_search_delete",
    "DROP TRIGGER IF EXISTS messages_search_insert",
    "DROP TABLE IF EXISTS message_search",
]


def upgrade():
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.create_index("ix_conversations_status_created", ["status", "created_at"])
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
    for name, definition in POSTGRES_TRIGRAM_INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        for name in POSTGRES_TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.drop_index("ix_conversations_status_created")
