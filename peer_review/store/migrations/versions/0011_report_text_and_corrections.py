"""a rendered document keeps the text it was rendered from (document.context), so the review's page shows
the report in exactly the Word document's words; documents rendered before this have none, and their pages
say so and offer the Word file. The moderator's corrections to a report's wording before issue, each kept as
a version (reportcorrection)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("document", sa.Column("context", sa.JSON(), nullable=True))
    op.create_table(
        "reportcorrection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("part", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("before", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("after", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reportcorrection") as batch:
        batch.create_index(batch.f("ix_reportcorrection_review_id"), ["review_id"], unique=False)


def downgrade() -> None:
    op.drop_table("reportcorrection")
    with op.batch_alter_table("document") as batch:
        batch.drop_column("context")
