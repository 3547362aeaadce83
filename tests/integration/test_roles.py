"""The database itself keeps the tiers apart: each service role can write only its own tier."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from sxp_common.db import service_url

pytestmark = pytest.mark.integration


async def _attempt(url: str, sql: str, *args: object, setup: str | None = None) -> str:
    conn = await asyncpg.connect(url)
    if setup:
        await conn.execute(setup)
    transaction = conn.transaction()
    await transaction.start()  # rolled back: the probes leave no rows behind
    try:
        await conn.execute(sql, *args)
        return "ok"
    except asyncpg.InsufficientPrivilegeError:
        return "denied"
    except asyncpg.PostgresError as exc:
        return type(exc).__name__
    finally:
        await transaction.rollback()
        await conn.close()


def attempt(settings: object, service: str, sql: str, *args: object) -> str:
    return asyncio.run(_attempt(service_url(settings, service), sql,
                                *args))  # type: ignore[arg-type]


INSERT_BUSINESS = "INSERT INTO contact.businesses (business_id, name) VALUES ($1, 'Acme')"
INSERT_PROFILE = """INSERT INTO social.raw_social_profiles (profile_id, identity_hash, platform,
    username, bio, source, job_id, content_hash, last_change_submission_id)
    VALUES ($1, $2, 'x', $3, $4, 'test', 'job', 'h', 's')"""


def test_only_the_adapter_role_can_write_tier2(test_stack) -> None:
    for service in ("ingest", "card_factory", "labeler", "enrichment_gate", "exporter",
                    "audit_projector"):
        assert attempt(test_stack, service, INSERT_BUSINESS, uuid.uuid4()) == "denied", service
    assert attempt(test_stack, "adapter", INSERT_BUSINESS, uuid.uuid4()) == "ok"


def test_the_ingest_role_cannot_read_tier2_or_write_lead_cards(test_stack) -> None:
    assert attempt(test_stack, "ingest", "SELECT count(*) FROM contact.contacts") == "denied"
    assert attempt(test_stack, "ingest", "DELETE FROM execution.lead_cards") == "denied"


def test_only_ingest_writes_tier1(test_stack) -> None:
    for service in ("card_factory", "labeler", "adapter", "exporter"):
        result = attempt(test_stack, service, INSERT_PROFILE, uuid.uuid4(), uuid.uuid4().hex,
                         f"u{uuid.uuid4().hex[:8]}", "hello")
        assert result == "denied", service
    ok = attempt(test_stack, "ingest", INSERT_PROFILE, uuid.uuid4(), uuid.uuid4().hex,
                 f"u{uuid.uuid4().hex[:8]}", "hello")
    assert ok == "ok"


def test_tier1_refuses_an_email_even_from_the_ingest_role(test_stack) -> None:
    result = attempt(test_stack, "ingest", INSERT_PROFILE, uuid.uuid4(), uuid.uuid4().hex,
                     f"u{uuid.uuid4().hex[:8]}", "write me at someone@example.com")
    assert result == "CheckViolationError"


def test_the_labeler_may_change_labels_but_not_a_cards_structure(test_stack) -> None:
    assert attempt(test_stack, "labeler",
                   "UPDATE execution.lead_cards SET persona = 'creator'") == "ok"
    assert attempt(test_stack, "labeler",
                   "UPDATE execution.lead_cards SET base_confidence = 1") == "denied"
    assert attempt(test_stack, "labeler",
                   "UPDATE execution.lead_cards SET contact_id = NULL") == "denied"


def test_the_audit_log_refuses_update_and_delete_for_everyone(test_stack) -> None:
    assert attempt(test_stack, "audit_projector",
                   "UPDATE audit.audit_log SET outcome = 'x'") == "denied"
    owner = test_stack.database_url  # type: ignore[attr-defined]
    assert asyncio.run(_attempt(owner, "UPDATE audit.audit_log SET outcome = 'x'")) == "RaiseError"
    assert asyncio.run(_attempt(owner, "DELETE FROM audit.audit_log")) == "RaiseError"


def read_as_reader(settings: object, sql: str, read_write: bool = False) -> str:
    """The statement as the CLI's reader; read_write lifts its read-only default first."""
    from sxp_common.db import reader_url

    setup = "SET default_transaction_read_only = off" if read_write else None
    return asyncio.run(_attempt(reader_url(settings), sql,  # type: ignore[arg-type]
                                setup=setup))


def test_the_cli_reader_reads_tiers_1_and_3_and_counts_tier2_but_writes_nothing(
        test_stack) -> None:
    for sql in ("SELECT count(*) FROM execution.lead_cards",
                "SELECT bio FROM social.raw_social_profiles",
                "SELECT count(*) FROM contact.contacts",
                "SELECT lead_card_id FROM contact.contacts",
                "SELECT * FROM audit.audit_log", "SELECT * FROM enrichment.command_answers",
                "SELECT * FROM ops.ingest_job_counts"):
        assert read_as_reader(test_stack, sql) == "ok", sql
    for sql in ("SELECT email FROM contact.contacts", "SELECT * FROM contact.contacts",
                "SELECT phone FROM contact.businesses",
                "SELECT result FROM contact.provider_responses",
                "UPDATE execution.lead_cards SET persona = 'creator'",
                "DELETE FROM enrichment.command_answers"):
        assert read_as_reader(test_stack, sql, read_write=True) == "denied", sql
    assert read_as_reader(test_stack, "DELETE FROM enrichment.command_answers") == \
        "ReadOnlySQLTransactionError"
    # read-only sessions by default, so even a grant added by mistake could not write
    created = read_as_reader(test_stack, "CREATE TEMP TABLE t (x int)")
    assert created == "ReadOnlySQLTransactionError"


async def _tables_the_reader_cannot_read(owner_url: str) -> list[str]:
    conn = await asyncpg.connect(owner_url)
    try:
        rows = await conn.fetch("""
            SELECT schemaname || '.' || tablename AS name FROM pg_tables
             WHERE schemaname IN ('social', 'execution', 'enrichment', 'audit')
               AND tablename <> 'audit_log_replay'  -- `sxp replay audit`'s own scratch table
               AND NOT has_table_privilege('sxp_reader', schemaname || '.' || tablename,
                                           'SELECT')
             ORDER BY 1""")
        return [r["name"] for r in rows]
    finally:
        await conn.close()


def test_the_cli_reader_can_read_every_table_of_the_tiers_it_shows(test_stack) -> None:
    """A table added by a later migration without its grant to sxp_reader fails here, not in a
    user's `sxp stats`."""
    from sxp_common.db import asyncpg_dsn

    missing = asyncio.run(_tables_the_reader_cannot_read(asyncpg_dsn(test_stack.database_url)))
    assert missing == []


def test_the_api_role_reads_what_its_endpoints_show_and_writes_only_its_key_table(
        test_stack) -> None:
    for sql in ("SELECT * FROM execution.lead_cards", "SELECT * FROM contact.contacts",
                "SELECT bio FROM social.raw_social_profiles",
                "SELECT * FROM ops.ingest_job_counts", "SELECT * FROM audit.audit_log",
                "SELECT * FROM enrichment.command_answers",
                "SELECT document FROM execution.handoff_batches",
                "SELECT id, key_sha256 FROM api.api_keys"):
        assert attempt(test_stack, "api", sql) == "ok", sql
    key = ("INSERT INTO api.api_keys (id, key_sha256, scopes) VALUES ($1, $2, "
           "ARRAY['read'])")
    assert attempt(test_stack, "api", key, uuid.uuid4(), "0" * 64) == "ok"
    assert attempt(test_stack, "api", "UPDATE api.api_keys SET revoked_at = now()") == "ok"
    for sql in ("UPDATE api.api_keys SET scopes = ARRAY['admin']",
                "UPDATE api.api_keys SET key_sha256 = ''",
                "DELETE FROM api.api_keys",
                "UPDATE execution.lead_cards SET persona = 'creator'",
                "DELETE FROM ops.ingest_job_counts",
                "SELECT result FROM contact.provider_responses",
                "SELECT * FROM ops.outbox"):
        assert attempt(test_stack, "api", sql) == "denied", sql
    assert attempt(test_stack, "api", INSERT_PROFILE, uuid.uuid4(), uuid.uuid4().hex,
                   f"u{uuid.uuid4().hex[:8]}", "hello") == "denied"
    assert attempt(test_stack, "api", INSERT_BUSINESS, uuid.uuid4()) == "denied"


def test_no_other_role_can_read_or_write_the_api_keys(test_stack) -> None:
    for service in ("ingest", "card_factory", "labeler", "enrichment_gate", "adapter",
                    "exporter", "audit_projector"):
        assert attempt(test_stack, service, "SELECT * FROM api.api_keys") == "denied", service
    assert read_as_reader(test_stack, "SELECT * FROM api.api_keys") == "denied"
