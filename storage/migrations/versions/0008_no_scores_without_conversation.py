"""Scores of calls that held no conversation are dropped (qa.eligibility): not answered, under 10 s of
talk, or a transcript without a word. Transcripts with one silent side lose theirs when re-scored.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 20:30:00
"""

from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

MIN_TALK_SECONDS = 10  # qa.eligibility.MIN_TALK_SECONDS when this was written


def upgrade() -> None:
    op.execute(
        "DELETE FROM call_scores WHERE call_id IN ("
        " SELECT calls.id FROM calls LEFT JOIN transcripts ON transcripts.call_id = calls.id"
        f" WHERE calls.disposition != 'answered' OR calls.talk_seconds < {MIN_TALK_SECONDS}"
        " OR (transcripts.status = 'done' AND transcripts.search_text = ''))"
    )


def downgrade() -> None:
    """The scores are gone; re-scoring would not give them back (the scorer skips such calls)."""
