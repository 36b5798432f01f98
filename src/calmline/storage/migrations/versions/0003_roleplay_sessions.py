"""Trainee role-play sessions (issue 8).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "roleplay_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("trainee", sa.String(length=200), nullable=False),
        sa.Column("persona", sa.String(length=40), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("final_mood", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("turns", sa.JSON(), nullable=False, comment="[{speaker, text, mood}] in order."),
        sa.Column(
            "result",
            sa.JSON(),
            nullable=True,
            comment="Scorecard, moments and coaching notes, once finished.",
        ),
        sa.Column(
            "created_by",
            sa.String(length=60),
            nullable=False,
            comment="The API key id (or 'cli') that started it.",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("roleplay_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_roleplay_sessions_tenant_trainee", ["tenant_id", "trainee", "created_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("roleplay_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_roleplay_sessions_tenant_trainee")

    op.drop_table("roleplay_sessions")
