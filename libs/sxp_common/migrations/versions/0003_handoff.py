"""Handoff: what was exported, per transport, so no card goes out in two batches of one transport.

`execution.handoff_batches` is one Lead Card Batch v1 per row: its deterministic id, transport,
checksum, status and where it landed, plus the exact JSON document sent, so a re-send keeps the
batch id and checksum. The document of an enriched card carries its Tier 2 contact fields, so
only the exporter role can read the table. `execution.handoff_items` claims each card once per
transport (primary key), which is what makes exporting again emit only new cards.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from sxp_common.migrations.sql import execute_script

revision = "0003"
down_revision = "0002"

SCHEMA = """
CREATE TABLE execution.handoff_batches (
    batch_id uuid PRIMARY KEY,
    transport text NOT NULL CHECK (transport IN ('file', 'api', 'queue')),
    schema_version text NOT NULL DEFAULT 'v1',
    checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
    card_count integer NOT NULL CHECK (card_count BETWEEN 1 AND 1000),
    status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'refused')),
    location text,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    document text,
    created_at timestamptz NOT NULL,
    delivered_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sent_batches_keep_their_document CHECK (status = 'refused' OR document IS NOT NULL)
);
CREATE INDEX handoff_batches_open ON execution.handoff_batches (transport, status)
    WHERE status IN ('pending', 'failed');
CREATE TABLE execution.handoff_items (
    lead_card_id uuid NOT NULL REFERENCES execution.lead_cards (lead_card_id),
    transport text NOT NULL,
    batch_id uuid NOT NULL REFERENCES execution.handoff_batches (batch_id),
    PRIMARY KEY (lead_card_id, transport)
);
CREATE INDEX handoff_items_batch ON execution.handoff_items (batch_id);
"""

GRANTS = """
GRANT SELECT, INSERT, UPDATE ON execution.handoff_batches TO sxp_exporter;
GRANT SELECT, INSERT ON execution.handoff_items TO sxp_exporter;
"""


def upgrade() -> None:
    execute_script(op, SCHEMA)
    execute_script(op, GRANTS)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS execution.handoff_items")
    op.execute("DROP TABLE IF EXISTS execution.handoff_batches")
