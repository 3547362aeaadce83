"""Transactional outbox, lead card revisions, handoff per revision, export commands.

- `ops.outbox`: every event a service produces because of a database write is inserted in
  the same transaction and relayed to Kafka afterwards (`sxp_common.outbox`), so a crash
  between commit and publish loses nothing.
- `execution.lead_cards.revision` moves whenever anything a downstream reader sees changes
  (labels, profile version, readiness, enrichment status, the linked Tier 2 records); a
  trigger keeps it, so no service can forget to.
- `execution.handoff_items` records the revision each card went out at, per transport; the
  exporter sends a card again whenever its revision moved since.
- `execution.export_commands`: what `sxp export` asked the exporter service and what came of it.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from sxp_common.migrations.sql import execute_script

revision = "0004"
down_revision = "0003"

SERVICE_ROLES = ("sxp_ingest, sxp_card_factory, sxp_labeler, sxp_enrichment_gate, sxp_adapter, "
                 "sxp_exporter, sxp_audit_projector")

OUTBOX = f"""
CREATE TABLE ops.outbox (
    seq bigserial PRIMARY KEY,
    service text NOT NULL,
    topic text NOT NULL,
    key text NOT NULL,
    value bytea NOT NULL CHECK (octet_length(value) > 0),
    headers jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_by_service ON ops.outbox (service, seq);
-- FOR UPDATE SKIP LOCKED needs UPDATE.
GRANT SELECT, INSERT, UPDATE, DELETE ON ops.outbox TO {SERVICE_ROLES};
GRANT USAGE, SELECT ON SEQUENCE ops.outbox_seq_seq TO {SERVICE_ROLES};
"""

# The columns a Lead Card Batch item is built from: a change to any of them is a new revision.
TRACKED = ("profile_version", "content_hash", "username", "readiness", "base_confidence",
           "audience_pool", "persona", "persona_confidence", "tribe", "tribe_confidence",
           "industry", "industry_confidence", "execution_label", "execution_label_confidence",
           "label_evidence", "taxonomy_version", "enrichment_status", "contact_id", "business_id")
_OLD = ", ".join(f"OLD.{c}" for c in TRACKED)
_NEW = ", ".join(f"NEW.{c}" for c in TRACKED)

REVISIONS = f"""
ALTER TABLE execution.lead_cards ADD COLUMN revision integer NOT NULL DEFAULT 1
    CHECK (revision >= 1);
CREATE FUNCTION execution.lead_card_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF ROW({_NEW}) IS DISTINCT FROM ROW({_OLD}) THEN
        NEW.revision := OLD.revision + 1;
    ELSIF NEW.revision < OLD.revision THEN
        NEW.revision := OLD.revision;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER lead_card_revision BEFORE UPDATE ON execution.lead_cards
    FOR EACH ROW EXECUTE FUNCTION execution.lead_card_revision();

-- A changed Tier 2 record is a change of every card linked to it. The function runs as its
-- owner so that the adapter needs no grant on the revision column.
CREATE FUNCTION contact.bump_linked_card_revision() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_NAME = 'contacts' THEN
        UPDATE execution.lead_cards SET revision = revision + 1 WHERE contact_id = NEW.contact_id;
    ELSE
        UPDATE execution.lead_cards SET revision = revision + 1 WHERE business_id = NEW.business_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER contact_changed AFTER UPDATE ON contact.contacts FOR EACH ROW
    WHEN ((OLD.full_name, OLD.title, OLD.email, OLD.email_status, OLD.phone, OLD.phone_type,
           OLD.do_not_call, OLD.linkedin_url, OLD.city, OLD.state, OLD.country, OLD.business_id)
          IS DISTINCT FROM
          (NEW.full_name, NEW.title, NEW.email, NEW.email_status, NEW.phone, NEW.phone_type,
           NEW.do_not_call, NEW.linkedin_url, NEW.city, NEW.state, NEW.country, NEW.business_id))
    EXECUTE FUNCTION contact.bump_linked_card_revision();
CREATE TRIGGER business_changed AFTER UPDATE ON contact.businesses FOR EACH ROW
    WHEN ((OLD.name, OLD.domain, OLD.industry, OLD.phone) IS DISTINCT FROM
          (NEW.name, NEW.domain, NEW.industry, NEW.phone))
    EXECUTE FUNCTION contact.bump_linked_card_revision();
"""

HANDOFF = """
ALTER TABLE execution.handoff_items ADD COLUMN revision integer NOT NULL DEFAULT 1;
ALTER TABLE execution.handoff_items DROP CONSTRAINT handoff_items_pkey;
ALTER TABLE execution.handoff_items ADD PRIMARY KEY (lead_card_id, transport, revision);
CREATE TABLE execution.export_commands (
    command_id text PRIMARY KEY,
    transport text NOT NULL,
    resend_batch_id text,
    requested_by text NOT NULL,
    status text NOT NULL CHECK (status IN ('done', 'failed')),
    outcomes jsonb NOT NULL DEFAULT '[]'::jsonb,
    error text,
    finished_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT ON execution.export_commands TO sxp_exporter;
"""


def upgrade() -> None:
    for block in (OUTBOX, REVISIONS, HANDOFF):
        execute_script(op, block)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS execution.export_commands")
    op.execute("DELETE FROM execution.handoff_items WHERE revision > 1")
    op.execute("ALTER TABLE execution.handoff_items DROP CONSTRAINT handoff_items_pkey")
    op.execute("ALTER TABLE execution.handoff_items ADD PRIMARY KEY (lead_card_id, transport)")
    op.execute("ALTER TABLE execution.handoff_items DROP COLUMN revision")
    op.execute("DROP TRIGGER IF EXISTS contact_changed ON contact.contacts")
    op.execute("DROP TRIGGER IF EXISTS business_changed ON contact.businesses")
    op.execute("DROP FUNCTION IF EXISTS contact.bump_linked_card_revision()")
    op.execute("DROP TRIGGER IF EXISTS lead_card_revision ON execution.lead_cards")
    op.execute("DROP FUNCTION IF EXISTS execution.lead_card_revision()")
    op.execute("ALTER TABLE execution.lead_cards DROP COLUMN revision")
    op.execute("DROP TABLE IF EXISTS ops.outbox")
