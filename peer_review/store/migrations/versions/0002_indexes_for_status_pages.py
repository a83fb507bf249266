"""indexes for the status pages: open tasks by review, reviews by stage and partnership

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task") as batch_op:
        batch_op.drop_index("ix_task_status")
        batch_op.create_index("ix_task_status_review_id_due", ["status", "review_id", "due"], unique=False)
    with op.batch_alter_table("review") as batch_op:
        batch_op.drop_index("ix_review_stage")
        batch_op.create_index("ix_review_stage_partnership_id", ["stage", "partnership_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review") as batch_op:
        batch_op.drop_index("ix_review_stage_partnership_id")
        batch_op.create_index("ix_review_stage", ["stage"], unique=False)
    with op.batch_alter_table("task") as batch_op:
        batch_op.drop_index("ix_task_status_review_id_due")
        batch_op.create_index("ix_task_status", ["status"], unique=False)
