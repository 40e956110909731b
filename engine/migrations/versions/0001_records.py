"""Decision records: the records table, and the index tables records are filtered on.

Revision ID: 0001
Revises: (none, the first revision)
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("note", sa.Text),
        sa.Column("ruleset", sa.String(200), nullable=False),
        sa.Column("ruleset_sha256", sa.String(64), nullable=False),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("profile", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_records"))
    op.create_index("ix_records_created", "records", ["created"])
    for table, column, extra in (("record_crisis_types", "crisis_type", []), ("record_phases", "phase", []),
                                 ("record_sectors", "sector", [sa.Column("level", sa.String(100), nullable=False)])):
        op.create_table(
            table,
            sa.Column("record_id", sa.Integer, nullable=False),
            sa.Column(column, sa.String(200 if column == "sector" else 100), nullable=False),
            *extra,
            sa.ForeignKeyConstraint(["record_id"], ["records.id"], name=f"fk_{table}_record_id_records"),
            sa.PrimaryKeyConstraint("record_id", column, name=f"pk_{table}"))
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, column in (("record_sectors", "sector"), ("record_phases", "phase"),
                          ("record_crisis_types", "crisis_type")):
        op.drop_index(f"ix_{table}_{column}", table)
        op.drop_table(table)
    op.drop_index("ix_records_created", "records")
    op.drop_table("records")
