"""The CLI as a client: a read-only role for its read-outs, and the gate's command answers.

- `sxp_reader` (created by `ensure_roles`, like the service roles) reads what the CLI
  shows: Tier 1, Tier 3, enrichment, audit, ops counts and the exporter's records. It may
  read no Tier 2 contact value: only the ids of `contact.contacts` / `contact.businesses`
  and the provider, status and cost of `contact.provider_responses`, so it can count them.
  Its sessions are read-only by default, and it is granted nothing else.
- `enrichment.command_answers`: the gate's answer to a `DRY_RUN` or `REAP` command
  (`sxp enrich request --dry-run`, `sxp enrich reap`), read back by the CLI.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

from sxp_common.db import READER_ROLE
from sxp_common.migrations.sql import execute_script

revision = "0006"
down_revision = "0005"

ANSWERS = """
CREATE TABLE enrichment.command_answers (
    request_id text PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('DRY_RUN', 'REAP')),
    requested_by text NOT NULL,
    answer jsonb NOT NULL,
    answered_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT ON enrichment.command_answers TO sxp_enrichment_gate;
"""

READER = f"""
ALTER ROLE {READER_ROLE} SET default_transaction_read_only = on;
GRANT USAGE ON SCHEMA social, execution, contact, enrichment, audit, ops TO {READER_ROLE};
GRANT SELECT ON ALL TABLES IN SCHEMA social, execution, enrichment, audit TO {READER_ROLE};
GRANT SELECT ON ops.ingest_job_counts TO {READER_ROLE};
GRANT SELECT (contact_id, lead_card_id, business_id) ON contact.contacts TO {READER_ROLE};
GRANT SELECT (business_id) ON contact.businesses TO {READER_ROLE};
GRANT SELECT (lead_card_id, provider, status, cost_usd, batch_id, fetched_at)
    ON contact.provider_responses TO {READER_ROLE};
"""


def upgrade() -> None:
    for block in (ANSWERS, READER):
        execute_script(op, block)


def downgrade() -> None:
    for schema in ("social", "execution", "contact", "enrichment", "audit", "ops"):
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {READER_ROLE}")
        op.execute(f"REVOKE USAGE ON SCHEMA {schema} FROM {READER_ROLE}")
    op.execute(f"ALTER ROLE {READER_ROLE} RESET default_transaction_read_only")
    op.execute("DROP TABLE IF EXISTS enrichment.command_answers")
