"""cycle proposals: `plan` proposes a cycle (cycleproposal) that each host trust's CEO confirms or asks to
change (proposalanswer); `plan --publish` books it. Cycles planned before this were booked at once and have
no proposal. A trust's CEO sets its unavailable dates and preferred terms (trust.unavailable,
trust.preferred_terms; none for trusts already loaded)

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN in place (on SQLite a batch would copy the table, and trust is referred to by others)
    op.add_column("trust", sa.Column("unavailable", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("trust", sa.Column("preferred_terms", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "cycleproposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("visits", sa.JSON(), nullable=False),
        sa.Column("proposed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("proposed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("cycle_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["cycle.id"],
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partnership_id", "number"),
    )
    with op.batch_alter_table("cycleproposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cycleproposal_partnership_id"), ["partnership_id"], unique=False)

    op.create_table(
        "proposalanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("requests", sa.JSON(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("carried_over", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["cycleproposal.id"],
        ),
        sa.ForeignKeyConstraint(
            ["trust_id"],
            ["trust.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("proposal_id", "trust_id"),
    )
    with op.batch_alter_table("proposalanswer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposalanswer_proposal_id"), ["proposal_id"], unique=False)


def downgrade() -> None:
    op.drop_column("trust", "preferred_terms")
    op.drop_column("trust", "unavailable")
    with op.batch_alter_table("proposalanswer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposalanswer_proposal_id"))

    op.drop_table("proposalanswer")
    with op.batch_alter_table("cycleproposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cycleproposal_partnership_id"))

    op.drop_table("cycleproposal")
