"""sign-in emails are written as they are sent, so no stored row holds a working link; sent messages' text
is deleted after a while (outboxmessage.body_deleted_at). Sign-in emails already stored lose their text,
those not yet sent are not sent, and links not yet used stop working (their people ask again)

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("signinrequest", sa.Column("link_base", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column("outboxmessage", sa.Column("sign_in_request_id", sa.Integer(), nullable=True))
    op.add_column("outboxmessage", sa.Column("body_deleted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_index(
        "ix_outboxmessage_body_deleted_at_sent_at", "outboxmessage", ["body_deleted_at", "sent_at"], unique=False
    )
    op.create_index("ix_outboxmessage_event_created_at", "outboxmessage", ["event", "created_at"], unique=False)
    op.execute(
        "UPDATE outboxmessage SET status = 'expired', last_error = 'not sent: sign-in emails are now written as they are sent; ask for a new link'"
        " WHERE event = 'sign_in' AND status = 'pending'"
    )
    op.execute("UPDATE outboxmessage SET text = '', html = '' WHERE event = 'sign_in'")
    # Links not yet used stop working: their tokens were in those texts, and so are in every earlier backup,
    # and on PostgreSQL in the table's dead rows until it is vacuumed. Their people ask again.
    op.execute("UPDATE signinrequest SET token_hash = NULL WHERE used_at IS NULL")


def downgrade() -> None:
    op.drop_index("ix_outboxmessage_event_created_at", table_name="outboxmessage")
    op.drop_index("ix_outboxmessage_body_deleted_at_sent_at", table_name="outboxmessage")
    with op.batch_alter_table("outboxmessage") as batch:
        batch.drop_column("body_deleted_at")
        batch.drop_column("sign_in_request_id")
    with op.batch_alter_table("signinrequest") as batch:
        batch.drop_column("link_base")
