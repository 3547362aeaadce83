"""Typed settings, read from the environment in one place (pydantic-settings).

Every value has a local default that works with `sxp stack up`; none is a secret.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_KAFKA_BOOTSTRAP = "127.0.0.1:19092"
LOCAL_DATABASE_URL = "postgresql://sxp:sxp@127.0.0.1:55432/sxp"
LOCAL_S3_ENDPOINT = "http://127.0.0.1:19000"
# The key the local sandbox providers accept: a fixed, public test value, never a secret.
SANDBOX_API_KEY = "sandbox-key"
SANDBOX_APOLLO_URL = "http://127.0.0.1:19100"
SANDBOX_SKIPTRACE_URL = "http://127.0.0.1:19101"
APOLLO_REAL_URL = "https://api.apollo.io"
SKIPTRACE_REAL_URL = "https://api.batchdata.com"


def is_loopback(url: str) -> bool:
    """True for an http(s) URL on this machine: a sandbox, never a real provider."""
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


def _default_home() -> Path:
    """The project's state folder: `.sxp/` beside pyproject.toml, else ~/.sxp."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists() and (parent / "contracts").is_dir():
            return parent / ".sxp"
    return Path.home() / ".sxp"


class Settings(BaseSettings):
    """Everything a service, the CLI or the local stack reads from the environment."""

    model_config = SettingsConfigDict(env_prefix="SXP_", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    # Downloaded artifacts (Kafka jars) can be shared between several homes.
    cache_dir: Path | None = None
    # Whether `sxp stack` runs its own Postgres: auto (unless SXP_DATABASE_URL is set),
    # local (always, at the URL's port), or external (never).
    stack_postgres: str = "auto"
    kafka_bootstrap: str = LOCAL_KAFKA_BOOTSTRAP
    # PLAINTEXT locally; SASL_SSL with the cluster's CA for a managed cluster.
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = "SCRAM-SHA-256"
    kafka_username: str = ""
    kafka_password: str = ""
    kafka_ca_file: Path | None = None
    kafka_ca_cert: str = ""
    # Replicas of each topic the project creates (3 on a managed cluster).
    kafka_replication_factor: int = 1
    database_url: str = LOCAL_DATABASE_URL
    # Password every service role logs in with (local default; App Platform injects a secret).
    db_service_password: str = "sxp-local-service"
    s3_endpoint: str = LOCAL_S3_ENDPOINT
    s3_bucket: str = "sxp-exports"
    s3_access_key: str = "sxp-local"
    s3_secret_key: str = "sxp-local-secret"
    s3_region: str = "us-east-1"
    apollo_api_key: str = ""
    skiptrace_api_key: str = ""
    # Unset: the local sandbox while no key is set, the real provider once a key is.
    apollo_base_url: str | None = None
    skiptrace_base_url: str | None = None
    instance_id: str = Field(default_factory=lambda: f"{os.uname().nodename}-{os.getpid()}")
    # The sandbox providers the local stack starts (no effect on real providers).
    sandbox_latency_ms: int = 5
    sandbox_error_rate: float = 0.0
    sandbox_burst_429: int = 0
    # A policy file for the enrichment gate; unset uses the packaged default.
    enrichment_policy: Path | None = None
    # The gate reaps a batch still `requested` this long after its approval (its reservation
    # released, its cards FAILED, so `sxp enrich request --retry-failed` can queue them again),
    # checking every interval.
    enrichment_reap_after_s: float = Field(default=1800.0, gt=0)
    enrichment_reap_interval_s: float = Field(default=60.0, gt=0)
    # A directory of rule tables over the labeler's packaged ones (services/labeler/README.md):
    # a file named like a packaged table replaces it, another terms_*.tsv adds rows. Read at
    # the labeler's start and by `sxp preview`; the tables' hash is in each card's model version.
    labeler_rules_dir: Path | None = None
    log_level: str = "INFO"
    # The port answering /livez and /readyz (App Platform probes); unset: no HTTP server.
    health_port: int | None = None
    consumer_max_records: int = 500
    consumer_batch_timeout_ms: int = 100
    # Handoff (Lead Card Batch v1): the exporter service's transport (file, api or queue),
    # the API receiver and its HMAC secret (local default), a local folder for the file
    # transport instead of the bucket, and the most cards per batch (the contract allows 1000).
    export_transport: str = "queue"
    export_api_url: str = "http://127.0.0.1:19102/v1/lead-batches"
    export_hmac_secret: str = "sxp-local-hmac"
    export_dir: Path | None = None
    # 250 keeps every card id inline in the handoff audit event (sxp audit trail --lead-card).
    export_batch_size: int = Field(default=250, ge=1, le=1000)
    # The HTTP API (services.api): where it listens (loopback locally; 0.0.0.0 in an image),
    # the rate limit per key (requests a second, and the burst above it), the largest request
    # body and the most profiles one POST may carry, and how long it waits for a service's
    # answer to a command before it answers 202 with the id to poll.
    api_host: str = "127.0.0.1"
    api_port: int = 18080
    api_rate_per_s: float = Field(default=20.0, gt=0)
    api_rate_burst: int = Field(default=100, ge=1)
    api_max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    api_max_profiles: int = Field(default=10_000, ge=1)
    api_answer_timeout_s: float = Field(default=20.0, ge=0)
    # The optional LLM qualification scorer: an Ollama server (`/api/chat`) and the model to
    # ask. Unset base URL: no LLM is called and the default scorer qualifies every member.
    llm_base_url: str = ""
    llm_model: str = "llama3.1"
    llm_timeout_s: float = Field(default=60.0, gt=0)
    # Fault injection for tests: services (comma-separated) that exit right after a commit
    # that staged events, before the outbox relays them. Empty in every real deployment.
    fault_after_commit: str = ""
    # The key of the suppression list's HMAC (forgotten identities are kept only as keyed
    # hashes); a local default, a secret in every deployment.
    suppression_secret: str = "sxp-local-suppression"
    # Topic retention in days (0 or less: forever), applied by the topic management to new
    # and existing topics. Tier 1 is rebuilt from the submitted and raw topics; the lead-batch
    # topic keeps at least the handoff promise's 30 days; the other pipeline topics (cards,
    # enrichment, commands) keep what a replay needs. Dead letters hold a failed record's
    # original bytes (a person's data, perhaps): their topic keeps them for the dead-letter
    # age, which also bounds what `sxp retention run` keeps of them in Postgres. The audit
    # topic is compacted and kept forever, whatever is set here.
    retention_tier1_days: float = 365.0
    retention_lead_batch_days: float = 30.0
    retention_pipeline_days: float = 30.0
    retention_deadletter_days: float = 30.0
    # Row retention in days (0 or less: kept forever), applied by `sxp retention run` (the
    # compliance service's RETENTION command, a scheduled job in each deployment): contacts
    # and businesses (Tier 2) not written for that long, provider answers fetched that long
    # ago, and profiles (with their lead cards) not seen in a submission for that long. The
    # exports prefix of the bucket expires its objects after the exports age (a bucket
    # lifecycle rule).
    retention_tier2_days: float = 365.0
    retention_provider_responses_days: float = 90.0
    retention_unseen_days: float = 365.0
    retention_exports_days: float = 90.0

    @field_validator("retention_lead_batch_days")
    @classmethod
    def _keeps_the_handoff_promise(cls, days: float) -> float:
        if 0 < days < 30:
            raise ValueError("the lead-batch topic keeps at least 30 days (0 or less: forever)")
        return days

    def database_url_explicit(self) -> bool:
        """True when the Postgres server is the user's, so the stack must not start its own."""
        if self.stack_postgres in ("local", "external"):
            return self.stack_postgres == "external"
        return "SXP_DATABASE_URL" in os.environ

    def apollo_endpoint(self) -> str:
        """Apollo's base URL: explicit, else the real API with a key, else the local sandbox."""
        if self.apollo_base_url:
            return self.apollo_base_url.rstrip("/")
        return APOLLO_REAL_URL if self.apollo_api_key else SANDBOX_APOLLO_URL

    def skiptrace_endpoint(self) -> str:
        """The skip-trace provider's base URL, chosen the same way as Apollo's."""
        if self.skiptrace_base_url:
            return self.skiptrace_base_url.rstrip("/")
        return SKIPTRACE_REAL_URL if self.skiptrace_api_key else SANDBOX_SKIPTRACE_URL

    def cache_path(self) -> Path:
        """Where downloaded artifacts live (SXP_CACHE_DIR, else $SXP_HOME/cache)."""
        return self.cache_dir or self.home / "cache"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
