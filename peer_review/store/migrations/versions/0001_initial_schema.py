"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "partnership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("framework_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("framework", sa.JSON(), nullable=False),
        sa.Column("cycle_start", sa.Date(), nullable=False),
        sa.Column("cycle_months", sa.Integer(), nullable=False),
        sa.Column("term_dates", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("visit_days", sa.Integer(), nullable=False),
        sa.Column("peers_per_trust", sa.Integer(), nullable=False),
        sa.Column("deadlines", sa.JSON(), nullable=False),
        sa.Column("blackouts", sa.JSON(), nullable=False),
        sa.Column("calendars", sa.JSON(), nullable=False),
        sa.Column("reminders", sa.JSON(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("loaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partnership_name"), ["name"], unique=True)

    op.create_table(
        "cycle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cycle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cycle_partnership_id"), ["partnership_id"], unique=False)

    op.create_table(
        "trust",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("strand_order", sa.JSON(), nullable=False),
        sa.Column("conflicts", sa.JSON(), nullable=False),
        sa.Column("calendar_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partnership_id", "key"),
    )
    with op.batch_alter_table("trust", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trust_partnership_id"), ["partnership_id"], unique=False)

    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=True),
        sa.Column("job_title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("organisation", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("strands", sa.JSON(), nullable=False),
        sa.Column("is_ceo", sa.Boolean(), nullable=False),
        sa.Column("is_reviewer", sa.Boolean(), nullable=False),
        sa.Column("is_moderator", sa.Boolean(), nullable=False),
        sa.Column("is_coordinator", sa.Boolean(), nullable=False),
        sa.Column("max_reviews_per_term", sa.Integer(), nullable=True),
        sa.Column("conflicts", sa.JSON(), nullable=False),
        sa.Column("previous_employers", sa.JSON(), nullable=False),
        sa.Column("digest_only", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
        ),
        sa.ForeignKeyConstraint(
            ["trust_id"],
            ["trust.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partnership_id", "email"),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_partnership_id"), ["partnership_id"], unique=False)

    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("host_trust_id", sa.Integer(), nullable=False),
        sa.Column("strand_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("strand_title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("visit_start", sa.Date(), nullable=False),
        sa.Column("visit_end", sa.Date(), nullable=False),
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("deadlines", sa.JSON(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("lines_round", sa.Integer(), nullable=False),
        sa.Column("moderator_statement", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("next_steps", sa.JSON(), nullable=False),
        sa.Column("factual_corrections", sa.JSON(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["cycle.id"],
        ),
        sa.ForeignKeyConstraint(
            ["host_trust_id"],
            ["trust.id"],
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cycle_id", "host_trust_id", "strand_id"),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_cycle_id"), ["cycle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_host_trust_id"), ["host_trust_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_partnership_id"), ["partnership_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_stage"), ["stage"], unique=False)

    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "person_id"),
    )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_review_id"), ["review_id"], unique=False)

    op.create_table(
        "auditentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("auditentry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auditentry_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_auditentry_partnership_id"), ["partnership_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auditentry_review_id"), ["review_id"], unique=False)

    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "kind"),
    )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_review_id"), ["review_id"], unique=False)

    op.create_table(
        "evidenceitem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("personal_data", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "ref"),
    )
    with op.batch_alter_table("evidenceitem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidenceitem_review_id"), ["review_id"], unique=False)

    op.create_table(
        "feedbackresponse",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("helped_us_improve", sa.Integer(), nullable=False),
        sa.Column("fair_and_accurate", sa.Integer(), nullable=False),
        sa.Column("would_take_part_again", sa.Boolean(), nullable=False),
        sa.Column("comments", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "person_id"),
    )
    with op.batch_alter_table("feedbackresponse", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedbackresponse_review_id"), ["review_id"], unique=False)

    op.create_table(
        "finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "ref"),
    )
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finding_review_id"), ["review_id"], unique=False)

    op.create_table(
        "lineofenquiry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("from_prompt", sa.Boolean(), nullable=False),
        sa.Column("self_evaluation", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "round", "number"),
    )
    with op.batch_alter_table("lineofenquiry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lineofenquiry_review_id"), ["review_id"], unique=False)

    op.create_table(
        "moderationround",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("completed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "number"),
    )
    with op.batch_alter_table("moderationround", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_moderationround_review_id"), ["review_id"], unique=False)

    op.create_table(
        "selfevaluationjudgement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("alignment", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "line_number"),
    )
    with op.batch_alter_table("selfevaluationjudgement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_selfevaluationjudgement_review_id"), ["review_id"], unique=False)

    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("subject", sa.JSON(), nullable=False),
        sa.Column("input", sa.JSON(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("completed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["completed_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_review_id"), ["review_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_status"), ["status"], unique=False)

    op.create_table(
        "visitchange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("old_start", sa.Date(), nullable=False),
        sa.Column("old_end", sa.Date(), nullable=False),
        sa.Column("new_start", sa.Date(), nullable=False),
        sa.Column("new_end", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("visitchange", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visitchange_review_id"), ["review_id"], unique=False)

    op.create_table(
        "duedatechange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("old_due", sa.Date(), nullable=False),
        sa.Column("new_due", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("duedatechange", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duedatechange_task_id"), ["task_id"], unique=False)

    op.create_table(
        "moderationdecision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("finding_revision", sa.Integer(), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["finding.id"],
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["moderationround.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("finding_id", "round"),
    )
    with op.batch_alter_table("moderationdecision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_moderationdecision_review_id"), ["review_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_moderationdecision_round_id"), ["round_id"], unique=False)

    op.create_table(
        "outboxmessage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("html", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("ics", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outboxmessage_partnership_id"), ["partnership_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outboxmessage_review_id"), ["review_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outboxmessage_status"), ["status"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outboxmessage_status"))
        batch_op.drop_index(batch_op.f("ix_outboxmessage_review_id"))
        batch_op.drop_index(batch_op.f("ix_outboxmessage_partnership_id"))

    op.drop_table("outboxmessage")
    with op.batch_alter_table("moderationdecision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderationdecision_round_id"))
        batch_op.drop_index(batch_op.f("ix_moderationdecision_review_id"))

    op.drop_table("moderationdecision")
    with op.batch_alter_table("duedatechange", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duedatechange_task_id"))

    op.drop_table("duedatechange")
    with op.batch_alter_table("visitchange", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visitchange_review_id"))

    op.drop_table("visitchange")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_status"))
        batch_op.drop_index(batch_op.f("ix_task_review_id"))
        batch_op.drop_index(batch_op.f("ix_task_assignee_id"))

    op.drop_table("task")
    with op.batch_alter_table("selfevaluationjudgement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_selfevaluationjudgement_review_id"))

    op.drop_table("selfevaluationjudgement")
    with op.batch_alter_table("moderationround", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderationround_review_id"))

    op.drop_table("moderationround")
    with op.batch_alter_table("lineofenquiry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lineofenquiry_review_id"))

    op.drop_table("lineofenquiry")
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finding_review_id"))

    op.drop_table("finding")
    with op.batch_alter_table("feedbackresponse", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedbackresponse_review_id"))

    op.drop_table("feedbackresponse")
    with op.batch_alter_table("evidenceitem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidenceitem_review_id"))

    op.drop_table("evidenceitem")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_review_id"))

    op.drop_table("document")
    with op.batch_alter_table("auditentry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auditentry_review_id"))
        batch_op.drop_index(batch_op.f("ix_auditentry_partnership_id"))
        batch_op.drop_index(batch_op.f("ix_auditentry_at"))

    op.drop_table("auditentry")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_review_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_person_id"))

    op.drop_table("assignment")
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_stage"))
        batch_op.drop_index(batch_op.f("ix_review_partnership_id"))
        batch_op.drop_index(batch_op.f("ix_review_host_trust_id"))
        batch_op.drop_index(batch_op.f("ix_review_cycle_id"))

    op.drop_table("review")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_partnership_id"))
        batch_op.drop_index(batch_op.f("ix_person_email"))

    op.drop_table("person")
    with op.batch_alter_table("trust", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trust_partnership_id"))

    op.drop_table("trust")
    with op.batch_alter_table("cycle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cycle_partnership_id"))

    op.drop_table("cycle")
    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partnership_name"))

    op.drop_table("partnership")
