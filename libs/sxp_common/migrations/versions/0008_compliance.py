"""Erasure: the compliance service's role, the suppression list, and its answers.

- `compliance.suppressions`: forgotten identities, kept only as keyed hashes (HMAC-SHA256 of
  the identity hash under SXP_SUPPRESSION_SECRET). Ingest reads it to refuse a later
  submission of the same identity.
- `compliance.erasures`: the compliance service's answer to each FORGET command (read back by
  `sxp forget` as sxp_reader): the subject hash and how many rows of each table went.
- `sxp_compliance` may read and delete the subject's rows of every tier, rewrite the stored
  handoff documents and enrichment batch items that held the subject, and write its tables.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

from sxp_common.db import READER_ROLE
from sxp_common.migrations.sql import execute_script

revision = "0008"
down_revision = "0007"

SCHEMA = """
CREATE SCHEMA IF NOT EXISTS compliance;
CREATE TABLE compliance.suppressions (
    subject_hash text PRIMARY KEY CHECK (subject_hash ~ '^[0-9a-f]{64}$'),
    request_id text NOT NULL,
    suppressed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE compliance.erasures (
    request_id text PRIMARY KEY,
    subject_hash text NOT NULL,
    requested_by text NOT NULL,
    erased jsonb NOT NULL,
    answered_at timestamptz NOT NULL DEFAULT now()
);
"""

GRANTS = f"""
GRANT USAGE ON SCHEMA social, execution, contact, enrichment, ops, compliance TO sxp_compliance;
GRANT SELECT, DELETE ON social.raw_social_profiles, social.raw_social_profile_versions,
    execution.lead_cards, execution.handoff_items, contact.contacts, contact.businesses,
    contact.provider_responses TO sxp_compliance;
GRANT SELECT, UPDATE (document, checksum, updated_at) ON execution.handoff_batches
    TO sxp_compliance;
GRANT SELECT, UPDATE (items) ON enrichment.batches TO sxp_compliance;
GRANT SELECT, INSERT ON compliance.suppressions, compliance.erasures TO sxp_compliance;
GRANT SELECT, INSERT, UPDATE, DELETE ON ops.outbox TO sxp_compliance;
GRANT USAGE, SELECT ON SEQUENCE ops.outbox_seq_seq TO sxp_compliance;
GRANT USAGE ON SCHEMA compliance TO sxp_ingest, {READER_ROLE};
GRANT SELECT ON compliance.suppressions TO sxp_ingest;
GRANT SELECT ON compliance.erasures TO {READER_ROLE};
"""


def upgrade() -> None:
    execute_script(op, SCHEMA)
    execute_script(op, GRANTS)


def downgrade() -> None:
    op.execute("DROP SCHEMA IF EXISTS compliance CASCADE")
    for schema in ("social", "execution", "contact", "enrichment", "ops"):
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM sxp_compliance")
        op.execute(f"REVOKE USAGE ON SCHEMA {schema} FROM sxp_compliance")
    op.execute("REVOKE ALL ON SEQUENCE ops.outbox_seq_seq FROM sxp_compliance")
