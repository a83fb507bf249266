"""drafts per person: a task's drafts are one for each person working on it (taskdraft unique on task_id and
person_id, no longer on task_id alone), so the coordinator saving one keeps the assignee's; drafts already
saved are kept

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: 0003 made taskdraft's UNIQUE (task_id) without a name: PostgreSQL names it taskdraft_task_id_key, SQLite
#: keeps none, and batch mode (which copies the table on SQLite) can drop it by the name this gives it.
_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
PER_PERSON = "uq_taskdraft_task_id_person_id"


def _one_per_task() -> str:
    """The name of the UNIQUE (task_id) constraint, as batch mode will know it."""
    [name] = [
        c["name"]
        for c in sa.inspect(op.get_bind()).get_unique_constraints("taskdraft")
        if c["column_names"] == ["task_id"]
    ]
    return name or "uq_taskdraft_task_id"


def upgrade() -> None:
    one_per_task = _one_per_task()
    with op.batch_alter_table("taskdraft", naming_convention=_NAMES) as batch:
        batch.drop_constraint(one_per_task, type_="unique")
        batch.create_unique_constraint(PER_PERSON, ["task_id", "person_id"])


def downgrade() -> None:
    # one draft per task again: of a task's drafts, the one saved last is kept
    op.execute(
        "DELETE FROM taskdraft WHERE EXISTS (SELECT 1 FROM taskdraft AS newer WHERE newer.task_id = taskdraft.task_id"
        " AND (newer.saved_at > taskdraft.saved_at OR (newer.saved_at = taskdraft.saved_at AND newer.id > taskdraft.id)))"
    )
    with op.batch_alter_table("taskdraft") as batch:
        batch.drop_constraint(PER_PERSON, type_="unique")
        batch.create_unique_constraint("taskdraft_task_id_key", ["task_id"])  # PostgreSQL's own name for 0003's
