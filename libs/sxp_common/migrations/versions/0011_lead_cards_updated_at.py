"""Indexes for the pages of `GET /v1/lead-cards` at a million cards (bench/api_bench.py).

- `lead_cards_updated_at` (updated_at): a client syncing what changed since its last visit
  asks `updated_since=` for a narrow window. Without it Postgres walked the primary key in
  id order and filtered every card: ~700 ms a page for the last 3 hours (0.2% of a million
  cards). With it the window's cards come from the index and only they are sorted by id.
- `lead_cards_platform_label` (platform, execution_label, lead_card_id): the market-ops
  browse filters on platform and execution label; pages still go in id order, now within the
  equality prefix instead of walking every card (a deep filtered page's statement went from
  22 to 3 ms at p50). Filters it does not cover keep the primary-key walk, whose cost grows
  with how rare the match is.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS lead_cards_updated_at "
               "ON execution.lead_cards (updated_at)")
    op.execute("CREATE INDEX IF NOT EXISTS lead_cards_platform_label "
               "ON execution.lead_cards (platform, execution_label, lead_card_id)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS execution.lead_cards_platform_label")
    op.execute("DROP INDEX IF EXISTS execution.lead_cards_updated_at")
