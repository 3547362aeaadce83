"""Enrichment recovery: which batch paid for each provider answer, and what the gate may close.

- `contact.provider_responses.batch_id`: the batch whose provider call paid for the answer.
  Each answer is settled by that batch alone; a later batch (a retry) that reuses it from
  the cache settles nothing for it.
- The adapter may replace a stored answer that was a provider error (UPDATE), so a retry
  keeps the real answer it paid for.
- The gate closes batches it reaps (`status`, `settled_usd`, `settled_at`) and learns what
  a batch already spent through `enrichment.batch_spend`, which returns sums per provider
  only: the gate never reads a Tier 2 row.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from sxp_common.migrations.sql import execute_script

revision = "0005"
down_revision = "0004"

UPGRADE = """
ALTER TABLE contact.provider_responses ADD COLUMN batch_id text;
CREATE INDEX provider_responses_by_batch ON contact.provider_responses (batch_id);
GRANT UPDATE (request_id, status, cost_usd, result, fetched_at, batch_id)
    ON contact.provider_responses TO sxp_adapter;
CREATE INDEX batches_open ON enrichment.batches (created_at) WHERE status = 'requested';
GRANT UPDATE (status, settled_usd, settled_at) ON enrichment.batches TO sxp_enrichment_gate;
CREATE FUNCTION enrichment.batch_spend(p_batch_id text)
RETURNS TABLE (provider text, cost_usd double precision) LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT r.provider, sum(r.cost_usd)::float8 FROM contact.provider_responses r
    WHERE r.batch_id = p_batch_id GROUP BY r.provider ORDER BY r.provider
$$;
REVOKE ALL ON FUNCTION enrichment.batch_spend(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enrichment.batch_spend(text) TO sxp_enrichment_gate, sxp_adapter;
"""


def upgrade() -> None:
    execute_script(op, UPGRADE)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS enrichment.batch_spend(text)")
    op.execute("REVOKE UPDATE (status, settled_usd, settled_at) ON enrichment.batches FROM "
               "sxp_enrichment_gate")
    op.execute("DROP INDEX IF EXISTS enrichment.batches_open")
    op.execute("REVOKE UPDATE (request_id, status, cost_usd, result, fetched_at, batch_id) "
               "ON contact.provider_responses FROM sxp_adapter")
    op.execute("DROP INDEX IF EXISTS contact.provider_responses_by_batch")
    op.execute("ALTER TABLE contact.provider_responses DROP COLUMN batch_id")
