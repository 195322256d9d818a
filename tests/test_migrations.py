"""The models and the migrations describe the same schema, on the database under test."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from support.extensions import db
from support.schema_extras import include_object


def test_models_match_migrations(ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_object, "compare_type": True}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []
