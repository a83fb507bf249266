"""the engine's queue of reviews with machine work (MachineWork), filled with every open review on upgrade so
nothing pending before the upgrade is missed; open tasks by due date (the first page of `tasks`)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "machinework",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.Integer(), nullable=False),
        sa.Column("claimed_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.PrimaryKeyConstraint("review_id"),
    )
    op.create_index("ix_task_status_due_id", "task", ["status", "due", "id"], unique=False)
    op.execute(
        "INSERT INTO machinework (review_id, token) SELECT id, 1 FROM review WHERE stage NOT IN ('closed', 'cancelled')"
    )


def downgrade() -> None:
    op.drop_index("ix_task_status_due_id", table_name="task")
    op.drop_table("machinework")
