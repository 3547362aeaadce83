"""Dead letters an erasure found: `compliance.erased_dead_letters`.

Kafka cannot take one record out of the (non-compacted) dead-letter topic, so a FORGET that
finds the subject in dead letters records their ids here (source `topic:partition:offset`,
the id `sxp deadletter` prints; no byte of the record), and `sxp deadletter redrive` never
sends them back. The topic's retention (`SXP_RETENTION_DEADLETTER_DAYS`) bounds how long the
bytes stay; `sxp retention run` deletes a mark once its dead letter has surely left the topic
(marked longer ago than that age and a segment roll: it was on the topic when marked).

Revision ID: 0016
Revises: 0014
"""

from alembic import op

from sxp_common.db import READER_ROLE
from sxp_common.migrations.sql import execute_script

revision = "0016"
down_revision = "0014"

SCHEMA = """
CREATE TABLE compliance.erased_dead_letters (
    dead_letter_id text PRIMARY KEY,
    request_id text NOT NULL,
    marked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX erased_dead_letters_by_age ON compliance.erased_dead_letters (marked_at);
"""

GRANTS = f"""
GRANT SELECT, INSERT, DELETE ON compliance.erased_dead_letters TO sxp_compliance;
GRANT SELECT ON compliance.erased_dead_letters TO {READER_ROLE};
"""


def upgrade() -> None:
    execute_script(op, SCHEMA)
    execute_script(op, GRANTS)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS compliance.erased_dead_letters")
