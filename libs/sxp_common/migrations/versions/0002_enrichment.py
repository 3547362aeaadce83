"""Enrichment: requests, batches and the spend ledger; cached provider answers in Tier 2.

The gate reserves worst-case spend in the ledger before any provider call; the adapter
settles what the provider charged and releases the rest. Provider answers hold contact
data, so they live in Tier 2 (`contact.provider_responses`), readable by the adapter only.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from sxp_common.migrations.sql import execute_script

revision = "0002"
down_revision = "0001"

SCHEMA = """
CREATE SCHEMA IF NOT EXISTS enrichment;
CREATE TABLE enrichment.requests (
    request_id text PRIMARY KEY,
    labels text[] NOT NULL,
    min_confidence double precision,
    requested_limit integer,
    budget_usd numeric(12, 4),
    requested_by text NOT NULL,
    status text NOT NULL CHECK (status IN ('approved', 'partial', 'refused')),
    approved_count integer NOT NULL,
    refused jsonb NOT NULL DEFAULT '{}'::jsonb,
    reserved_usd numeric(12, 4) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE enrichment.batches (
    batch_id text PRIMARY KEY,
    request_id text NOT NULL REFERENCES enrichment.requests (request_id),
    lead_card_ids uuid[] NOT NULL CHECK (cardinality(lead_card_ids) BETWEEN 1 AND 250),
    providers text[] NOT NULL,
    items jsonb NOT NULL,
    reserved_usd numeric(12, 4) NOT NULL,
    settled_usd numeric(12, 4),
    outcome jsonb,
    status text NOT NULL DEFAULT 'requested'
        CHECK (status IN ('requested', 'completed', 'partial', 'failed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    settled_at timestamptz
);
CREATE INDEX batches_created ON enrichment.batches (created_at);
CREATE TABLE enrichment.ledger (
    entry_id bigserial PRIMARY KEY,
    batch_id text NOT NULL REFERENCES enrichment.batches (batch_id),
    kind text NOT NULL CHECK (kind IN ('reserve', 'settle', 'release')),
    provider text NOT NULL DEFAULT '*',
    amount_usd numeric(12, 4) NOT NULL CHECK (amount_usd >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (batch_id, kind, provider)
);
CREATE TABLE contact.provider_responses (
    idempotency_key text PRIMARY KEY,
    lead_card_id uuid NOT NULL,
    provider text NOT NULL,
    request_id text,
    status text NOT NULL,
    cost_usd numeric(12, 4) NOT NULL DEFAULT 0,
    result jsonb NOT NULL,
    fetched_at timestamptz NOT NULL DEFAULT now()
);
"""

GRANTS = """
GRANT USAGE ON SCHEMA enrichment TO sxp_enrichment_gate, sxp_adapter;
GRANT SELECT, INSERT ON enrichment.requests, enrichment.batches, enrichment.ledger TO
sxp_enrichment_gate;
GRANT USAGE, SELECT ON SEQUENCE enrichment.ledger_entry_id_seq TO sxp_enrichment_gate, sxp_adapter;
GRANT SELECT ON enrichment.requests, enrichment.batches TO sxp_adapter;
GRANT UPDATE (settled_usd, outcome, status, settled_at) ON enrichment.batches TO sxp_adapter;
GRANT SELECT, INSERT ON enrichment.ledger TO sxp_adapter;
GRANT SELECT, INSERT ON contact.provider_responses TO sxp_adapter;
GRANT USAGE ON SCHEMA social TO sxp_enrichment_gate;
GRANT SELECT (profile_id, platform, username, display_name, location, external_url, category)
    ON social.raw_social_profiles TO sxp_enrichment_gate;
"""


def upgrade() -> None:
    execute_script(op, SCHEMA)
    execute_script(op, GRANTS)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS contact.provider_responses")
    op.execute("DROP SCHEMA IF EXISTS enrichment CASCADE")
