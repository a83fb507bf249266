"""a rendered document keeps the text it was rendered from (document.context), so the review's page shows
the report in exactly the Word document's words; documents rendered before this have none, and their pages
say so and offer the Word file

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("document", sa.Column("context", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.drop_column("context")
