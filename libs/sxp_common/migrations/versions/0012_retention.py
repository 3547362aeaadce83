"""Retention: the compliance service's answers to RETENTION commands, and the grants it and
the API need for retention and for `DELETE /v1/subjects/...`.

- `compliance.retention_runs`: one row per RETENTION command (read back by `sxp retention run`
  as sxp_reader): the cutoff of each rule and the rows deleted per rule and table (counts only).
- `sxp_compliance` may clear a lead card's Tier 2 links (contact_id, business_id) when the
  contact or business it points at is past its age; its DELETE grants are those of 0008.
- `sxp_api` may read the erasure answers, to answer `DELETE /v1/subjects/{platform}/{username}`.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

from sxp_common.db import READER_ROLE
from sxp_common.migrations.sql import execute_script

revision = "0012"
down_revision = "0011"

SCHEMA = """
CREATE TABLE compliance.retention_runs (
    request_id text PRIMARY KEY,
    requested_by text NOT NULL,
    dry_run boolean NOT NULL,
    cutoffs jsonb NOT NULL,
    deleted jsonb NOT NULL,
    answered_at timestamptz NOT NULL DEFAULT now()
);
"""

GRANTS = f"""
GRANT SELECT, INSERT ON compliance.retention_runs TO sxp_compliance;
GRANT UPDATE (contact_id, business_id, updated_at) ON execution.lead_cards TO sxp_compliance;
GRANT SELECT ON compliance.retention_runs TO {READER_ROLE};
GRANT USAGE ON SCHEMA compliance TO sxp_api;
GRANT SELECT ON compliance.erasures TO sxp_api;
"""


def upgrade() -> None:
    execute_script(op, SCHEMA)
    execute_script(op, GRANTS)


def downgrade() -> None:
    op.execute("REVOKE SELECT ON compliance.erasures FROM sxp_api")
    op.execute("REVOKE USAGE ON SCHEMA compliance FROM sxp_api")
    op.execute("REVOKE UPDATE (contact_id, business_id, updated_at) ON execution.lead_cards "
               "FROM sxp_compliance")
    op.execute("DROP TABLE IF EXISTS compliance.retention_runs")
