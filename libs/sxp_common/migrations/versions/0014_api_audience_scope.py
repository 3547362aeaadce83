"""API keys may carry the `audience` scope: defining, changing, deleting and qualifying
audiences through `/v1/audiences` (reading them needs only `read`).

The scope list of `api.api_keys` is a CHECK constraint (0007); this widens it. `sxp_api`
already reads the audience schema (0009) and sends changes on the audience service's command
topic, so it needs no new grant.

Revision ID: 0014
Revises: 0012
"""

from alembic import op

revision = "0014"
down_revision = "0012"

OLD = "'ingest', 'read', 'read:contacts', 'enrich', 'export', 'admin'"
NEW = "'ingest', 'read', 'read:contacts', 'enrich', 'export', 'audience', 'admin'"


def _check(scopes: str) -> None:
    op.execute("ALTER TABLE api.api_keys DROP CONSTRAINT IF EXISTS api_keys_scopes_check")
    op.execute("ALTER TABLE api.api_keys ADD CONSTRAINT api_keys_scopes_check CHECK "
               f"(cardinality(scopes) >= 1 AND scopes <@ ARRAY[{scopes}])")


def upgrade() -> None:
    _check(NEW)


def downgrade() -> None:
    # Keys that hold the scope lose it first, so the narrower check holds again.
    op.execute("UPDATE api.api_keys SET scopes = array_remove(scopes, 'audience')")
    op.execute("UPDATE api.api_keys SET scopes = ARRAY['read'] WHERE cardinality(scopes) = 0")
    _check(OLD)
