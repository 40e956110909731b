"""Alembic's environment for the records database. engine/records.py runs it with an open
connection, inside the transaction it began (so a failed migration leaves nothing behind)."""
from alembic import context

from mcof.engine.records import METADATA

# render_as_batch: SQLite alters a table by copying it; Alembic's batch mode does that, and
# does plain ALTERs elsewhere (PostgreSQL).
context.configure(connection=context.config.attributes["connection"], target_metadata=METADATA,
                  render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
