"""a review's discussion: comments on the whole review or on a line of enquiry (comment), each with every
version of its words (commentversion); and each person's choice of how new comments reach them
(person.comment_emails: the daily digest by default, or at once)

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "person",
        sa.Column("comment_emails", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="digest"),
    )
    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=True),
        sa.Column("lines_round", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("visibility", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("hidden_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("hidden_by", sa.Integer(), nullable=True),
        sa.Column("hidden_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["hidden_by"], ["person.id"]),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("comment") as batch:
        batch.create_index(batch.f("ix_comment_created_at"), ["created_at"], unique=False)
        batch.create_index(batch.f("ix_comment_review_id"), ["review_id"], unique=False)
    op.create_table(
        "commentversion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["comment_id"], ["comment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("commentversion") as batch:
        batch.create_index(batch.f("ix_commentversion_comment_id"), ["comment_id"], unique=False)


def downgrade() -> None:
    op.drop_table("commentversion")
    op.drop_table("comment")
    op.drop_column("person", "comment_emails")  # in place (SQLite 3.35 on): person is referenced by other tables
