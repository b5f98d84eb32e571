"""call_marks (good and bad examples), playlists with their calls and shares, call_scores.missed

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 03:37:51
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'playlists',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('shared_with_all', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'call_marks',
        sa.Column('call_id', sa.Integer(), nullable=False),
        sa.Column('verdict', sa.String(length=8), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('marked_by_id', sa.Integer(), nullable=True),
        sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['marked_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('call_id'),
    )
    op.create_table(
        'playlist_calls',
        sa.Column('playlist_id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['playlist_id'], ['playlists.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('playlist_id', 'call_id'),
    )
    with op.batch_alter_table('playlist_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_playlist_calls_call_id'), ['call_id'], unique=False)
    op.create_table(
        'playlist_shares',
        sa.Column('playlist_id', sa.Integer(), nullable=False),
        sa.Column('manager_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['manager_id'], ['managers.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['playlist_id'], ['playlists.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('playlist_id', 'manager_id'),
    )
    with op.batch_alter_table('playlist_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_playlist_shares_manager_id'), ['manager_id'], unique=False)
    with op.batch_alter_table('call_scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('missed', sa.Text(), server_default='', nullable=False))
    _fill_missed()


def _fill_missed() -> None:
    """The scores stored before: their missed items from the items' ``met``."""
    scores = sa.table('call_scores', sa.column('id', sa.Integer()), sa.column('items', sa.JSON()),
                      sa.column('missed', sa.Text()))
    connection = op.get_bind()
    for score_id, items in connection.execute(sa.select(scores.c.id, scores.c['items'])).all():
        missed = [item['id'] for item in items or () if item.get('met') is False]
        if missed:
            connection.execute(
                scores.update().where(scores.c.id == score_id).values(missed=f" {' '.join(missed)} ")
            )


def downgrade() -> None:
    with op.batch_alter_table('call_scores', schema=None) as batch_op:
        batch_op.drop_column('missed')
    with op.batch_alter_table('playlist_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_playlist_shares_manager_id'))
    op.drop_table('playlist_shares')
    with op.batch_alter_table('playlist_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_playlist_calls_call_id'))
    op.drop_table('playlist_calls')
    op.drop_table('call_marks')
    op.drop_table('playlists')
