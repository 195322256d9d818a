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


def test_the_inbox_migration_names_visitors_stored_without_a_name(tmp_path, database_url):
    """Visitors from before the server named them get the friendly name the dashboard showed."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from support import create_app
    from support.friendly_names import friendly_name

    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "x"})
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="0004")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO visitors (id, name, verified, first_seen_at, last_seen_at) "
                    "VALUES ('a' || :x, NULL, false, '2026-01-01', '2026-01-01'), "
                    "('b' || :x, 'Named Person', false, '2026-01-01', '2026-01-01')"
                ),
                {"x": "0" * 31},
            )
        upgrade(directory=directory)
        with db.engine.connect() as connection:
            names = dict(connection.execute(text("SELECT id, name FROM visitors")).all())
        db.session.remove()
        db.engine.dispose()
    assert names == {"a" + "0" * 31: friendly_name("a" + "0" * 31), "b" + "0" * 31: "Named Person"}
