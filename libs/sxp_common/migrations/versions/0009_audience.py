"""Audiences (issue 14): definitions, their versions, members, cached qualifications.

- `audience.audiences`: one row per audience, its canonical criteria and their hash; the
  version counts every change, `audience.audience_versions` keeps each one (append-only).
- `audience.members`: the cards an audience's criteria admit, kept by the two set-based
  statements of `sxp_common.audience_sql` on create and change, then per changed card by
  the audience service.
- `audience.qualifications`: scores cached under (audience, card, content hash, criteria
  hash); qualifying again with nothing changed writes nothing.
- `audience.size_history`: the report's size over time.
- `audience.command_answers`: the service's answer to each command, read back by the CLI
  and the API as sxp_reader / sxp_api.
- `sxp_audience` reads cards and the Tier 1 columns criteria and prompts use, never Tier 2.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

from sxp_common.db import READER_ROLE
from sxp_common.migrations.sql import execute_script

revision = "0009"
down_revision = "0008"

SCHEMA = """
CREATE SCHEMA IF NOT EXISTS audience;
CREATE TABLE audience.audiences (
    audience_id uuid PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    description text NOT NULL DEFAULT '',
    criteria jsonb NOT NULL,
    criteria_hash text NOT NULL CHECK (criteria_hash ~ '^[0-9a-f]{64}$'),
    grammar_version text NOT NULL DEFAULT 'v1',
    version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    scorer text NOT NULL DEFAULT 'default-v1',
    deleted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE audience.audience_versions (
    audience_id uuid NOT NULL REFERENCES audience.audiences (audience_id),
    version integer NOT NULL,
    action text NOT NULL CHECK (action IN ('created', 'updated', 'deleted')),
    criteria jsonb NOT NULL,
    criteria_hash text NOT NULL,
    description text NOT NULL,
    changed_by jsonb NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (audience_id, version)
);
CREATE TABLE audience.members (
    audience_id uuid NOT NULL REFERENCES audience.audiences (audience_id),
    lead_card_id uuid NOT NULL REFERENCES execution.lead_cards (lead_card_id) ON DELETE CASCADE,
    criteria_hash text NOT NULL,
    card_revision integer NOT NULL,
    joined_at timestamptz NOT NULL DEFAULT now(),
    refreshed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (audience_id, lead_card_id)
);
CREATE INDEX members_by_card ON audience.members (lead_card_id);
CREATE TABLE audience.qualifications (
    audience_id uuid NOT NULL,
    lead_card_id uuid NOT NULL,
    content_hash text NOT NULL,
    criteria_hash text NOT NULL,
    cache_key text NOT NULL UNIQUE,
    score double precision NOT NULL CHECK (score BETWEEN 0 AND 1),
    reasons jsonb NOT NULL,
    scorer text NOT NULL,
    refused text,
    scored_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (audience_id, lead_card_id, content_hash, criteria_hash)
);
CREATE INDEX qualifications_by_card ON audience.qualifications (lead_card_id);
CREATE TABLE audience.size_history (
    audience_id uuid NOT NULL,
    taken_at timestamptz NOT NULL,
    members integer NOT NULL,
    by_platform jsonb NOT NULL,
    by_tribe jsonb NOT NULL,
    by_tier jsonb NOT NULL,
    PRIMARY KEY (audience_id, taken_at)
);
CREATE TABLE audience.command_answers (
    request_id text PRIMARY KEY,
    audience_id uuid,
    action text NOT NULL,
    outcome text NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}'::jsonb,
    answered_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS raw_profiles_followers ON social.raw_social_profiles (followers);
"""

GRANTS = f"""
GRANT USAGE ON SCHEMA audience, execution, social, ops TO sxp_audience;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA audience TO sxp_audience;
GRANT SELECT ON execution.lead_cards TO sxp_audience;
GRANT SELECT (profile_id, platform, username, display_name, bio, followers, posts, verified,
    category, location, content_hash) ON social.raw_social_profiles TO sxp_audience;
GRANT SELECT, INSERT, UPDATE, DELETE ON ops.outbox TO sxp_audience;
GRANT USAGE, SELECT ON SEQUENCE ops.outbox_seq_seq TO sxp_audience;
GRANT USAGE ON SCHEMA audience TO {READER_ROLE}, sxp_api, sxp_enrichment_gate, sxp_exporter,
    sxp_compliance;
GRANT SELECT ON ALL TABLES IN SCHEMA audience TO {READER_ROLE}, sxp_api;
GRANT SELECT ON audience.audiences, audience.members, audience.qualifications
    TO sxp_enrichment_gate, sxp_exporter;
GRANT SELECT, DELETE ON audience.members, audience.qualifications TO sxp_compliance;
"""


def upgrade() -> None:
    execute_script(op, SCHEMA)
    execute_script(op, GRANTS)


def downgrade() -> None:
    op.execute("DROP SCHEMA IF EXISTS audience CASCADE")
    for schema in ("social", "execution", "ops"):
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM sxp_audience")
        op.execute(f"REVOKE USAGE ON SCHEMA {schema} FROM sxp_audience")
    op.execute("REVOKE ALL ON SEQUENCE ops.outbox_seq_seq FROM sxp_audience")
