"""Alembic environment: runs migrations on the engine peer_review.store.db hands over."""

from alembic import context
from sqlalchemy import text

from peer_review.store.tables import every_table

config = context.config
engine = config.attributes["engine"]


def one_upgrade_at_a_time(connection) -> None:
    """Services started together on a new database (workers, the web app, a command) each find it without
    the schema. The first to get here upgrades it; the others wait until it has committed, and Alembic,
    reading the revision after this, finds nothing left to do. The lock ends with the transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('peer-review schema upgrade'))"))
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql(
            "BEGIN IMMEDIATE"
        )  # the database's write lock, taken now rather than at the first write


with engine.begin() as connection:
    one_upgrade_at_a_time(connection)
    context.configure(
        connection=connection,
        target_metadata=every_table(),
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
