"""Schema objects that live in migrations only, not in the models: the search index of
migration 0004 (SQLite's FTS5 ``message_search`` tables, PostgreSQL's trigram index)."""


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's autogenerate filter: leave the migration-only objects alone."""
    return not (name and (name.startswith("message_search") or name == "ix_messages_body_trgm"))
