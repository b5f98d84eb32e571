"""leads.source holds a marketing source (as long as routing_rules.source)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.alter_column('source', existing_type=sa.String(length=40), type_=sa.String(length=80),
                              existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.alter_column('source', existing_type=sa.String(length=80), type_=sa.String(length=40),
                              existing_nullable=True)
