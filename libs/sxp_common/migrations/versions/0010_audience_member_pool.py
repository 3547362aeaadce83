"""Audience members carry the card's audience pool, so an audience's split by platform, tribe
and follower tier is a GROUP BY over its own members, never a join back to every lead card.

The audience service writes the pool with the admit statement
(`membership_statements(..., with_pool=True)`) and refreshes it when the card changes; rows
admitted before this revision have NULL until their card next changes or the audience's
criteria are applied again.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.execute("ALTER TABLE audience.members ADD COLUMN IF NOT EXISTS audience_pool text")
    # The service records the positions it consumed with each membership change.
    op.execute("GRANT SELECT, INSERT, UPDATE ON ops.consumer_positions TO sxp_audience")


def downgrade() -> None:
    op.execute("REVOKE ALL ON ops.consumer_positions FROM sxp_audience")
    op.execute("ALTER TABLE audience.members DROP COLUMN IF EXISTS audience_pool")
