"""Schema objects that live in migrations only, not in the models: the search indexes of
migration 0004 (SQLite's FTS5 ``message_search`` and ``visitor_search`` tables, PostgreSQL's
trigram indexes)."""

MIGRATION_ONLY_PREFIXES = ("message_search", "visitor_search")
MIGRATION_ONLY_SUFFIX = "_trgm"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's autogenerate filter: leave the migration-only objects alone."""
    if not name:
        return True
    return not (name.startswith(MIGRATION_ONLY_PREFIXES) or name.endswith(MIGRATION_ONLY_SUFFIX))
