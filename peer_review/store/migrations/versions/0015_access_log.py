"""the access log: who opened which of a review's documents or evidence files, and when (accessrecord)

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "accessrecord",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("email", text(), nullable=False),
        sa.Column("what", text(), nullable=False),
        sa.Column("name", text(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnership.id"]),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("accessrecord") as batch:
        batch.create_index(batch.f("ix_accessrecord_partnership_id"), ["partnership_id"], unique=False)
        batch.create_index(batch.f("ix_accessrecord_review_id"), ["review_id"], unique=False)


def downgrade() -> None:
    op.drop_table("accessrecord")
