"""Three tiers, one schema each, plus audit and ops; grants per service role.

Tier 1 `social` never holds contact data, Tier 2 `contact` is written only by the
adapter, Tier 3 `execution` holds lead cards. The database enforces the split:
each service logs in as its own role with only the grants below.

Revision ID: 0001
Revises:
"""

from alembic import op

from sxp_common.audit_store import LIVE_TABLE, REFUSE_CHANGE_FUNCTION, audit_table_ddl
from sxp_common.migrations.sql import execute_script

revision = "0001"
down_revision = None

PLATFORMS = "('tiktok', 'threads', 'x')"
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"

TIER1 = f"""
CREATE SCHEMA IF NOT EXISTS social;
CREATE TABLE social.raw_social_profiles (
    profile_id uuid PRIMARY KEY,
    identity_hash text NOT NULL UNIQUE,
    platform text NOT NULL CHECK (platform IN {PLATFORMS}),
    username text NOT NULL,
    display_name text,
    bio text,
    followers bigint CHECK (followers >= 0),
    following bigint CHECK (following >= 0),
    posts bigint CHECK (posts >= 0),
    verified boolean NOT NULL DEFAULT false,
    profile_url text,
    external_url text,
    category text,
    location text,
    collected_at timestamptz,
    source text NOT NULL,
    job_id text NOT NULL,
    content_hash text NOT NULL,
    version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    contact_data_removed boolean NOT NULL DEFAULT false,
    last_change_submission_id text NOT NULL,
    first_seen timestamptz NOT NULL DEFAULT now(),
    last_seen timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform, username),
    -- Defence in depth: ingest redacts, and the database still refuses an email in Tier 1.
    CONSTRAINT no_email_in_tier1 CHECK (
        coalesce(bio, '') !~ '{EMAIL_PATTERN}'
        AND coalesce(display_name, '') !~ '{EMAIL_PATTERN}'
        AND coalesce(location, '') !~ '{EMAIL_PATTERN}'
    )
);
CREATE TABLE social.raw_social_profile_versions (
    profile_id uuid NOT NULL REFERENCES social.raw_social_profiles (profile_id),
    version integer NOT NULL,
    content_hash text NOT NULL,
    submission_id text NOT NULL,
    job_id text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (profile_id, version)
);
"""

TIER3 = f"""
CREATE SCHEMA IF NOT EXISTS execution;
CREATE TABLE execution.lead_cards (
    lead_card_id uuid PRIMARY KEY,
    profile_id uuid NOT NULL UNIQUE REFERENCES social.raw_social_profiles (profile_id),
    profile_version integer NOT NULL,
    content_hash text NOT NULL,
    job_id text NOT NULL,
    platform text NOT NULL CHECK (platform IN {PLATFORMS}),
    username text NOT NULL,
    readiness text NOT NULL CHECK (readiness IN ('STRUCTURED', 'LABELED', 'ENRICHED')),
    base_confidence double precision NOT NULL CHECK (base_confidence BETWEEN 0 AND 1),
    audience_pool text NOT NULL,
    persona text,
    persona_confidence double precision,
    tribe text,
    tribe_confidence double precision,
    industry text,
    industry_confidence double precision,
    execution_label text CHECK (execution_label IN ('USER', 'PARTNER', 'AFFILIATE', 'FEEDBACK')),
    execution_label_confidence double precision,
    label_evidence jsonb,
    taxonomy_version text,
    labeled_profile_version integer,
    labeled_at timestamptz,
    enrichment_status text NOT NULL DEFAULT 'NONE'
        CHECK (enrichment_status IN ('NONE', 'REQUESTED', 'ENRICHED', 'FAILED')),
    contact_id uuid,
    business_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_cards_labels ON execution.lead_cards (execution_label, persona, tribe);
CREATE INDEX lead_cards_enrichment ON execution.lead_cards (enrichment_status);
"""

TIER2 = """
CREATE SCHEMA IF NOT EXISTS contact;
CREATE TABLE contact.businesses (
    business_id uuid PRIMARY KEY,
    name text,
    domain text,
    industry text,
    phone text,
    city text,
    state text,
    country text,
    provenance jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE contact.contacts (
    contact_id uuid PRIMARY KEY,
    lead_card_id uuid NOT NULL UNIQUE REFERENCES execution.lead_cards (lead_card_id),
    business_id uuid REFERENCES contact.businesses (business_id),
    full_name text,
    title text,
    email text,
    email_status text,
    phone text,
    phone_type text,
    do_not_call boolean,
    linkedin_url text,
    city text,
    state text,
    country text,
    provenance jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
"""

OPS = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE ops.consumer_positions (
    consumer_group text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    next_offset bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, partition)
);
CREATE TABLE ops.ingest_job_counts (
    job_id text PRIMARY KEY,
    received bigint NOT NULL DEFAULT 0,
    stored bigint NOT NULL DEFAULT 0,
    new_versions bigint NOT NULL DEFAULT 0,
    duplicates bigint NOT NULL DEFAULT 0,
    rejected bigint NOT NULL DEFAULT 0,
    contact_data_removed bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
"""

GRANTS = """
GRANT USAGE ON SCHEMA ops TO sxp_ingest, sxp_card_factory, sxp_labeler, sxp_enrichment_gate,
    sxp_adapter, sxp_exporter, sxp_audit_projector;
GRANT SELECT, INSERT, UPDATE ON ops.consumer_positions TO sxp_ingest, sxp_card_factory,
    sxp_labeler, sxp_enrichment_gate, sxp_adapter, sxp_exporter, sxp_audit_projector;
GRANT SELECT, INSERT, UPDATE ON ops.ingest_job_counts TO sxp_ingest;

GRANT USAGE ON SCHEMA social TO sxp_ingest;
GRANT SELECT, INSERT, UPDATE ON social.raw_social_profiles, social.raw_social_profile_versions
    TO sxp_ingest;

GRANT USAGE ON SCHEMA execution TO sxp_card_factory, sxp_labeler, sxp_enrichment_gate,
    sxp_adapter, sxp_exporter;
GRANT SELECT, INSERT ON execution.lead_cards TO sxp_card_factory;
GRANT UPDATE (profile_version, content_hash, job_id, username, readiness, base_confidence,
    audience_pool, updated_at) ON execution.lead_cards TO sxp_card_factory;
GRANT SELECT ON execution.lead_cards TO sxp_labeler, sxp_enrichment_gate, sxp_adapter,
    sxp_exporter;
GRANT UPDATE (readiness, audience_pool, persona, persona_confidence, tribe, tribe_confidence,
    industry, industry_confidence, execution_label, execution_label_confidence, label_evidence,
    taxonomy_version, labeled_profile_version, labeled_at, updated_at)
    ON execution.lead_cards TO sxp_labeler;
GRANT UPDATE (enrichment_status, updated_at) ON execution.lead_cards TO sxp_enrichment_gate;
GRANT UPDATE (enrichment_status, contact_id, business_id, readiness, updated_at)
    ON execution.lead_cards TO sxp_adapter;

GRANT USAGE ON SCHEMA contact TO sxp_adapter, sxp_exporter;
GRANT SELECT, INSERT, UPDATE ON contact.contacts, contact.businesses TO sxp_adapter;
GRANT SELECT ON contact.contacts, contact.businesses TO sxp_exporter;

GRANT USAGE ON SCHEMA audit TO sxp_audit_projector;
GRANT SELECT, INSERT ON audit.audit_log TO sxp_audit_projector;
GRANT USAGE, SELECT ON SEQUENCE audit.audit_log_seq_seq TO sxp_audit_projector;
"""


def upgrade() -> None:
    for block in (TIER1, TIER3, TIER2):
        execute_script(op, block)
    op.execute("CREATE SCHEMA IF NOT EXISTS audit")
    op.execute(REFUSE_CHANGE_FUNCTION)
    for statement in audit_table_ddl(LIVE_TABLE):
        op.execute(statement)
    for block in (OPS, GRANTS):
        execute_script(op, block)


def downgrade() -> None:
    op.execute(
        "DROP SCHEMA IF EXISTS ops, audit, contact, execution, social CASCADE;"
    )
