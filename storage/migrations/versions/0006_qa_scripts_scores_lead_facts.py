"""qa_scripts (versioned sales scripts), call_scores (a call scored by a script version), lead_facts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 19:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'qa_scripts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('direction', sa.String(length=16), nullable=False),
        sa.Column('dids', sa.JSON(), nullable=False),
        sa.Column('groups', sa.JSON(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name', 'version'),
    )
    with op.batch_alter_table('qa_scripts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qa_scripts_name'), ['name'], unique=False)
    op.create_table(
        'call_scores',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.Integer(), nullable=False),
        sa.Column('script_id', sa.Integer(), nullable=False),
        sa.Column('total', sa.Float(), nullable=False),
        sa.Column('passed', sa.Boolean(), nullable=False),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['script_id'], ['qa_scripts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('call_id', 'script_id'),
    )
    with op.batch_alter_table('call_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_scores_call_id'), ['call_id'], unique=False)
    op.create_table(
        'lead_facts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('field', sa.String(length=40), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.Column('set_by', sa.String(length=16), nullable=False),
        sa.Column('quote', sa.Text(), nullable=False),
        sa.Column('second', sa.Float(), nullable=True),
        sa.Column('call_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('lead_id', 'field'),
    )


def downgrade() -> None:
    op.drop_table('lead_facts')
    with op.batch_alter_table('call_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_scores_call_id'))
    op.drop_table('call_scores')
    with op.batch_alter_table('qa_scripts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qa_scripts_name'))
    op.drop_table('qa_scripts')
