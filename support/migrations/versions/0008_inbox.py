"""agents' inbox: read marks per agent, activity lines, friendly names for unnamed visitors

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-01 14:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "agent_read_marks",
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_read_marks_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_agent_read_marks_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("agent_id", "conversation_id", name=op.f("pk_agent_read_marks")),
    )
    with op.batch_alter_table("agent_read_marks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_read_marks_conversation_id"), ["conversation_id"], unique=False
        )
    op.create_table(
        "conversation_activity",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=True),
        sa.Column("target_id", sa.String(length=32), nullable=True),
        sa.Column("target_name", sa.String(length=100), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_activity_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_activity")),
    )
    with op.batch_alter_table("conversation_activity", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_activity_conversation_id"),
            ["conversation_id"],
            unique=False,
        )
    _name_anonymous_visitors()


def _name_anonymous_visitors():
    """Visitors stored without a name get the friendly name the server now gives every new one,
    so search and exports find them too."""
    from support.friendly_names import friendly_name

    connection = op.get_bind()
    visitors = sa.table("visitors", sa.column("id", sa.String), sa.column("name", sa.String))
    ids = [row.id for row in connection.execute(sa.select(visitors.c.id).where(visitors.c.name.is_(None)))]
    for visitor_id in ids:
        connection.execute(
            visitors.update().where(visitors.c.id == visitor_id).values(name=friendly_name(visitor_id))
        )


def downgrade():
    with op.batch_alter_table("conversation_activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_activity_conversation_id"))
    op.drop_table("conversation_activity")
    with op.batch_alter_table("agent_read_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_read_marks_conversation_id"))
    op.drop_table("agent_read_marks")
