"""An index on `execution.lead_cards.updated_at`, for `GET /v1/lead-cards?updated_since=`.

A client syncing what changed since its last visit asks for a narrow window. Without an
index Postgres walks the primary key in id order and filters every card: at a million cards
`bench/api_bench.py` measured ~700 ms a page for the last 3 hours (0.2% of the cards). With
it the window's cards are found by the index and only they are sorted by id.

Revision ID: 0011
Revises: 0009
"""

from alembic import op

revision = "0011"
down_revision = "0009"


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS lead_cards_updated_at "
               "ON execution.lead_cards (updated_at)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS execution.lead_cards_updated_at")
