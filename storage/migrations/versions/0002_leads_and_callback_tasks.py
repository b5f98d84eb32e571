"""leads, callback tasks (one open of each per phone, by partial unique index)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:26:31
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=True),
    sa.Column('first_linkedid', sa.String(length=64), nullable=False),
    sa.Column('first_call_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['first_call_id'], ['calls.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['managers.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('first_linkedid')
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leads_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('uq_leads_open_phone', ['phone'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('callback_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('first_call_id', sa.Integer(), nullable=True),
    sa.Column('first_linkedid', sa.String(length=64), nullable=False),
    sa.Column('missed_count', sa.Integer(), nullable=False),
    sa.Column('first_missed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_missed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_call_id', sa.Integer(), nullable=True),
    sa.Column('closed_by_linkedid', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['closed_by_call_id'], ['calls.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['first_call_id'], ['calls.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['manager_id'], ['managers.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('callback_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_tasks_deadline_at'), ['deadline_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_tasks_manager_id'), ['manager_id'], unique=False)
        batch_op.create_index('uq_callback_tasks_open_phone', ['phone'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('callback_task_calls',
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['callback_tasks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('linkedid')
    )
    with op.batch_alter_table('callback_task_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_task_calls_task_id'), ['task_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('callback_task_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_task_calls_task_id'))

    op.drop_table('callback_task_calls')
    with op.batch_alter_table('callback_tasks', schema=None) as batch_op:
        batch_op.drop_index('uq_callback_tasks_open_phone', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index(batch_op.f('ix_callback_tasks_manager_id'))
        batch_op.drop_index(batch_op.f('ix_callback_tasks_deadline_at'))

    op.drop_table('callback_tasks')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('uq_leads_open_phone', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index(batch_op.f('ix_leads_owner_id'))

    op.drop_table('leads')
