"""Alembic migrations of the decision records database (engine/records.py runs them on open)."""
