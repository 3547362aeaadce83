"""The HTTP API: its key table and its own role, `sxp_api`.

- `api.api_keys`: one row per key, holding only the key's SHA-256, its scopes and when it
  was made or revoked. `sxp api-keys` and the API write it as `sxp_api`; no other role can.
- `sxp_api` reads what the endpoints show: lead cards and their profiles, the job counts,
  the audit projection (compliance trail, publish jobs), the gate's and the exporter's
  records, and Tier 2 (shown only to keys with `read:contacts`, each view audited). It
  writes nothing else: ingest goes through Kafka, never into a tier.
- An index on the profile versions' job, so "has this job drained?" is not a full scan.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

from sxp_common.migrations.sql import execute_script

revision = "0007"
down_revision = "0006"

ROLE = "sxp_api"

UPGRADE = f"""
CREATE SCHEMA IF NOT EXISTS api;
CREATE TABLE api.api_keys (
    id uuid PRIMARY KEY,
    name text NOT NULL DEFAULT '',
    key_sha256 text NOT NULL UNIQUE CHECK (key_sha256 ~ '^[0-9a-f]{{64}}$'),
    scopes text[] NOT NULL CHECK (cardinality(scopes) >= 1 AND scopes <@ ARRAY['ingest', 'read',
        'read:contacts', 'enrich', 'export', 'admin']),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX raw_social_profile_versions_job ON social.raw_social_profile_versions (job_id);
GRANT USAGE ON SCHEMA api, social, execution, contact, enrichment, audit, ops TO {ROLE};
GRANT SELECT, INSERT ON api.api_keys TO {ROLE};
GRANT UPDATE (revoked_at) ON api.api_keys TO {ROLE};
GRANT SELECT ON execution.lead_cards, execution.handoff_batches, execution.handoff_items,
    execution.export_commands TO {ROLE};
GRANT SELECT ON social.raw_social_profiles, social.raw_social_profile_versions TO {ROLE};
GRANT SELECT ON contact.contacts, contact.businesses TO {ROLE};
GRANT SELECT ON enrichment.requests, enrichment.batches, enrichment.command_answers TO {ROLE};
GRANT SELECT ON audit.audit_log TO {ROLE};
GRANT SELECT ON ops.ingest_job_counts TO {ROLE};
"""


def upgrade() -> None:
    execute_script(op, UPGRADE)


def downgrade() -> None:
    for schema in ("social", "execution", "contact", "enrichment", "audit", "ops"):
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {ROLE}")
        op.execute(f"REVOKE USAGE ON SCHEMA {schema} FROM {ROLE}")
    op.execute("DROP INDEX IF EXISTS social.raw_social_profile_versions_job")
    op.execute("DROP SCHEMA IF EXISTS api CASCADE")
