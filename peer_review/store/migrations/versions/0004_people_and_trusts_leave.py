"""people and trusts can leave a partnership mid-cycle (`partnership load --update`): the day they left

Their rows stay, so the reviews, tasks and findings they took part in keep their records.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch_op:
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))
    with op.batch_alter_table("trust") as batch_op:
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trust") as batch_op:
        batch_op.drop_column("left_on")
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_column("left_on")
