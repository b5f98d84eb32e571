"""A call card says when it was rebuilt from the PBX's CDR store (pbx.cdr) rather than followed over AMI.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 00:30:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ALTER TABLE on SQLite too: a batch would copy and drop the table, and the drop cascades
    op.add_column("calls", sa.Column("recovered", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("calls", "recovered")
