"""Alembic environment: runs migrations on the engine peer_review.db hands over."""

from alembic import context

from peer_review.tables import every_table

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=every_table(),
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
