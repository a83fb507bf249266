"""the files attached to evidence items (evidencefile: name, type, size, SHA-256 and where the bytes are
kept), and the colleagues a host CEO names to do the trust's tasks on a review: people of the trust
(person.is_colleague, the partnership file's `colleagues:`) and their places on reviews (hostcolleague)

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.add_column("person", sa.Column("is_colleague", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "evidencefile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.Column("filename", text(), nullable=False),
        sa.Column("file_type", text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", text(), nullable=False),
        sa.Column("key", text(), nullable=False),
        sa.Column("personal_data", sa.Boolean(), nullable=False),
        sa.Column("scanned", text(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("for_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["for_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("evidencefile") as batch:
        batch.create_index(batch.f("ix_evidencefile_review_id"), ["review_id"], unique=False)
    op.create_table(
        "hostcolleague",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("named_by_id", sa.Integer(), nullable=False),
        sa.Column("named_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["named_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "person_id"),
    )
    with op.batch_alter_table("hostcolleague") as batch:
        batch.create_index(batch.f("ix_hostcolleague_review_id"), ["review_id"], unique=False)
        batch.create_index(batch.f("ix_hostcolleague_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_table("hostcolleague")
    op.drop_table("evidencefile")
    op.drop_column("person", "is_colleague")  # in place (SQLite 3.35 on): person is referenced by other tables
