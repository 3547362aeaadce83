"""The deploy files, checked by parsing them (no Docker engine, no cloud account needed).

docker-compose.yml must run what the local stack runs with the same settings; the App
Platform specs must follow the structure App Platform documents (the app spec of its API)
and bind only variables the code reads; the images' health check must ask the service's /readyz.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import opentelemetry.environment_variables as otel_api_env
import opentelemetry.sdk.environment_variables as otel_sdk_env
import pytest
import yaml

from services.enrichment_gate.domain import policy_from_dict
from sxp_cli.processes import SERVICES, WORKERS
from sxp_common import health
from sxp_common.settings import Settings

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ("dev", "stage", "prod")
# Settings requested in libs/sxp_common/settings.py and not declared there yet.
ONE_SHOT = {"bootstrap", "s3-init"}
NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
REFERENCE = re.compile(r"\$\{([a-z0-9-]+)\.([A-Z_]+)\}")


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def spec(env: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "deploy" / "do" / f"app.{env}.yaml").read_text())


def local_stack_components() -> list[str]:
    """The names `sxp stack up` gives its components (kafka, s3, postgres, sandboxes)."""
    from sxp_stack.manager import _components
    from sxp_stack.paths import StackPaths

    settings = Settings(home=ROOT / ".sxp" / "never-created")
    return [c.name for c in _components(settings, StackPaths(settings.home, settings.cache_path()),
                                        lambda *_: None)]


def variable_problems(names: set[str]) -> list[str]:
    """Names that are neither a Settings field (SXP_<FIELD>) nor an OpenTelemetry variable."""
    fields = set(Settings.model_fields)
    otel = {n for n in vars(otel_sdk_env) | vars(otel_api_env) if n.startswith("OTEL_")}
    problems = []
    for name in sorted(names):
        if name.startswith("SXP_") and name[4:].lower() in fields:
            continue
        if name in otel or name == "SXP_CONTRACTS_DIR":
            continue
        problems.append(name)
    return problems


# --- docker-compose.yml -----------------------------------------------------------------


def test_compose_runs_every_service_with_the_command_the_local_stack_uses() -> None:
    services = compose()["services"]
    for name, module in SERVICES.items():
        assert name in services, f"{name} is missing from docker-compose.yml"
        assert services[name]["command"] == ["python", "-m", module]
    for component in local_stack_components():
        assert component in services, f"the local stack runs {component}; compose does not"


def test_compose_runs_kafka_in_kraft_mode_from_the_official_image() -> None:
    kafka = compose()["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "ZOOKEEPER" not in json.dumps(kafka).upper()


def test_compose_gives_every_long_running_service_a_health_check_and_workers_a_scale() -> None:
    services = compose()["services"]
    for name, service in services.items():
        if name in ONE_SHOT:
            assert service.get("restart") == "no", name
            continue
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"
    for name in WORKERS:
        assert services[name]["healthcheck"]["test"] == ["CMD", "python", "-m", "sxp_common.health",
                                                         "--check"]
        variable = "SXP_SCALE_" + name.upper().replace("-", "_")
        assert services[name]["deploy"]["replicas"] == f"${{{variable}:-1}}"
        bootstrap = services[name]["depends_on"]["bootstrap"]
        assert bootstrap["condition"] == "service_completed_successfully"


def test_compose_workers_read_only_settings_the_code_declares() -> None:
    services = compose()["services"]
    for name in SERVICES:
        assert variable_problems(set(services[name]["environment"])) == [], name


def test_compose_uses_the_local_stack_settings_and_defaults() -> None:
    environment = compose()["services"]["ingest"]["environment"]
    defaults = Settings()
    for field in ("db_service_password", "s3_bucket", "s3_access_key", "s3_secret_key",
                  "s3_region"):
        assert environment[f"SXP_{field.upper()}"] == getattr(defaults, field), field
    for name in ("SXP_KAFKA_BOOTSTRAP", "SXP_DATABASE_URL", "SXP_S3_ENDPOINT"):
        assert name in environment
    assert environment["SXP_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert environment["SXP_DATABASE_URL"].startswith("postgresql://sxp:sxp@postgres:5432/")
    assert environment["SXP_S3_ENDPOINT"] == "http://s3:9000"


# --- images -----------------------------------------------------------------------------


@pytest.mark.parametrize("dockerfile", ["Dockerfile.sxp-worker", "Dockerfile.sxp-api",
                                        "Dockerfile.sxp-sandbox"])
def test_images_are_slim_non_root_and_health_checked(dockerfile: str) -> None:
    text = (ROOT / dockerfile).read_text()
    stages = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert len(stages) == 2 and all("slim" in s for s in stages), "a slim, two-stage build"
    final = text.split("\nFROM ")[-1]
    assert re.search(r"^USER (?!root|0\b)\S+", final,
                     re.MULTILINE), "the final stage runs as non-root"
    assert "HEALTHCHECK" in final and "sxp_common.health" in final
    assert "COPY --from=build" in final and "pip" not in final.split("COPY --from=build")[1]


def test_dockerignore_keeps_state_and_secrets_out_of_the_build_context() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".sxp", "tests"} <= ignored


# --- App Platform specs -----------------------------------------------------------------

ENUMS = {
    "region": {"ams", "nyc", "fra", "sfo", "sgp", "blr", "tor", "lon", "syd"},
    "kind": {"PRE_DEPLOY", "POST_DEPLOY", "FAILED_DEPLOY", "SCHEDULED"},
    "engine": {"PG", "MYSQL", "REDIS", "MONGODB", "KAFKA", "OPENSEARCH", "VALKEY"},
    "scope": {"RUN_TIME", "BUILD_TIME", "RUN_AND_BUILD_TIME"},
    "type": {"GENERAL", "SECRET"},
    "registry_type": {"DOCR", "DOCKER_HUB", "GHCR"},
    "rule": {"CPU_UTILIZATION", "MEM_UTILIZATION", "RESTART_COUNT", "DEPLOYMENT_FAILED",
             "DEPLOYMENT_LIVE", "DEPLOYMENT_STARTED", "DEPLOYMENT_CANCELED", "DOMAIN_FAILED",
             "DOMAIN_LIVE", "AUTOSCALE_FAILED"},
    "operator": {"GREATER_THAN", "LESS_THAN"},
    "window": {"FIVE_MINUTES", "TEN_MINUTES", "THIRTY_MINUTES", "ONE_HOUR"},
    "instance_size_slug": {
        "apps-s-1vcpu-0.5gb", "apps-s-1vcpu-1gb-fixed", "apps-s-1vcpu-1gb", "apps-s-1vcpu-2gb",
        "apps-s-2vcpu-4gb", "apps-d-1vcpu-0.5gb", "apps-d-1vcpu-1gb", "apps-d-1vcpu-2gb",
        "apps-d-1vcpu-4gb", "apps-d-2vcpu-4gb", "apps-d-2vcpu-8gb", "apps-d-4vcpu-8gb",
        "apps-d-4vcpu-16gb", "apps-d-8vcpu-32gb"},
}
SOURCE = {"name", "git", "github", "gitlab", "bitbucket", "image", "dockerfile_path",
          "build_command", "run_command", "source_dir", "environment_slug", "envs",
          "instance_size_slug", "instance_count", "alerts", "log_destinations", "termination"}
HEALTH = {"initial_delay_seconds": (0, 3600), "period_seconds": (1, 300),
          "timeout_seconds": (1, 120),
          "success_threshold": (1, 50), "failure_threshold": (1, 50), "http_path": None,
          "port": (1, 65535)}
SCHEMA: dict[str, set[str]] = {
    "spec": {"name", "region", "envs", "alerts", "databases", "jobs", "workers", "services",
             "static_sites", "functions", "domains", "ingress", "egress", "features",
             "maintenance"},
    "workers": SOURCE | {"autoscaling", "liveness_health_check"},
    "jobs": SOURCE | {"kind", "schedule"},
    "schedule": {"cron", "time_zone"},
    "services": SOURCE | {"autoscaling", "http_port", "protocol", "routes", "health_check", "cors",
                          "internal_ports", "liveness_health_check"},
    "databases": {"name", "engine", "version", "size", "num_nodes", "production", "cluster_name",
                  "db_name", "db_user"},
    "envs": {"key", "value", "scope", "type"},
    "alerts": {"rule", "disabled", "operator", "value", "window"},
    "image": {"registry_type", "registry", "repository", "tag", "digest", "registry_credentials",
              "deploy_on_push"},
    "autoscaling": {"min_instance_count", "max_instance_count", "metrics"},
    "termination": {"grace_period_seconds", "drain_seconds"},
}


def structure_problems(node: dict[str, Any], kind: str, where: str) -> list[str]:
    """Keys and values App Platform's app spec does not accept, as readable paths."""
    problems = [f"{where}: unknown key {k!r}" for k in node if k not in SCHEMA[kind]]
    for key, value in node.items():
        if key in ENUMS and value not in ENUMS[key]:
            problems.append(f"{where}.{key}: {value!r} is not one of App Platform's values")
        if key in ("health_check", "liveness_health_check"):
            for name, setting in value.items():
                limits = HEALTH.get(name)
                if name not in HEALTH:
                    problems.append(f"{where}.{key}: unknown key {name!r}")
                elif limits and not limits[0] <= setting <= limits[1]:
                    problems.append(f"{where}.{key}.{name}: {setting} out of {limits}")
        if key in SCHEMA and isinstance(value, dict):
            problems += structure_problems(value, key, f"{where}.{key}")
        if key in SCHEMA and isinstance(value, list):
            for index, item in enumerate(value):
                problems += structure_problems(item, key, f"{where}.{key}[{index}]")
    if "name" in node and kind in ("spec", "workers", "jobs", "services", "databases"):
        if not NAME.match(node["name"]):
            problems.append(f"{where}.name {node['name']!r} breaks App Platform's name pattern")
    return problems


def components(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for kind in ("workers", "jobs", "services") for c in document.get(kind, [])]


def all_envs(document: dict[str, Any]) -> list[dict[str, Any]]:
    return document.get("envs", []) + [e for c in components(document) for e in c.get("envs", [])]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_spec_follows_the_app_platform_app_spec(env: str) -> None:
    document = spec(env)
    assert structure_problems(document, "spec", env) == []
    for component in components(document):
        assert "image" in component, f"{component['name']} has no image"
        scaled = component.get("autoscaling")
        if scaled:
            assert "instance_count" not in component, \
                "instance_count must not be set with autoscaling"
            assert 1 <= scaled["min_instance_count"] < scaled["max_instance_count"] <= 250
            assert component["instance_size_slug"].startswith("apps-d-"), \
                "autoscaling needs dedicated"
        else:
            assert 1 <= component.get("instance_count", 1) <= 250


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_spec_runs_every_service_as_a_worker_with_no_public_ingress(env: str) -> None:
    document = spec(env)
    workers = {w["name"]: w for w in document["workers"]}
    assert set(workers) == set(WORKERS)
    for name, module in WORKERS.items():
        assert workers[name]["run_command"] == f"python -m {module}"
        assert workers[name]["image"]["repository"] == "sxp-worker"
    assert "ingress" not in document and "domains" not in document
    for service in document.get("services", []):
        if service["name"] == "api":
            continue
        assert service["name"].startswith("sandbox-") and env != "prod"
        assert "http_port" not in service and "routes" not in service and service["internal_ports"]
        assert service["image"]["repository"] == "sxp-sandbox"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_spec_bootstraps_before_each_deploy(env: str) -> None:
    jobs = {j["name"]: j for j in spec(env)["jobs"]}
    assert jobs["bootstrap"]["kind"] == "PRE_DEPLOY"
    assert jobs["bootstrap"]["run_command"] == "python -m sxp_common.bootstrap"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_spec_runs_retention_as_a_nightly_scheduled_job_with_its_ages(env: str) -> None:
    document = spec(env)
    job = {j["name"]: j for j in document["jobs"]}["retention"]
    assert job["kind"] == "SCHEDULED"
    assert job["run_command"] == "sxp retention run --json"
    fields = job["schedule"]["cron"].split()
    assert len(fields) == 5 and fields[2:] == ["*", "*", "*"], "once a day"
    assert all(f.isdigit() for f in fields[:2]) and job["schedule"]["time_zone"] == "UTC"
    ages = {e["key"]: float(e["value"]) for e in document["envs"]
            if e["key"].startswith("SXP_RETENTION_") and e["key"] != "SXP_RETENTION_TIER1_DAYS"}
    assert set(ages) >= {"SXP_RETENTION_TIER2_DAYS", "SXP_RETENTION_PROVIDER_RESPONSES_DAYS",
                         "SXP_RETENTION_UNSEEN_DAYS", "SXP_RETENTION_EXPORTS_DAYS",
                         "SXP_RETENTION_DEADLETTER_DAYS"}
    assert all(days > 0 for days in ages.values()), "every environment expires its rows"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_spec_binds_managed_postgres_and_kafka_by_reference(env: str) -> None:
    document = spec(env)
    databases = {d["name"]: d for d in document["databases"]}
    assert {d["engine"] for d in databases.values()} == {"PG", "KAFKA"}
    assert all(d["production"] and d["cluster_name"].endswith(env) for d in databases.values())
    names = set(databases) | {c["name"] for c in components(document)}
    for variable in all_envs(document):
        for component, _ in REFERENCE.findall(str(variable.get("value", ""))):
            assert component in names, f"{variable['key']} references unknown {component}"
    for component in components(document):
        if component["name"].startswith("sandbox-"):
            continue
        values = {e["key"]: e.get("value", "") for e in component["envs"]}
        pg = next(n for n, d in databases.items() if d["engine"] == "PG")
        kafka = next(n for n, d in databases.items() if d["engine"] == "KAFKA")
        assert f"${{{pg}." in values["SXP_DATABASE_URL"], component["name"]
        assert f"${{{kafka}." in values["SXP_KAFKA_BOOTSTRAP"], component["name"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_spec_keeps_every_secret_out_of_the_repository(env: str) -> None:
    for variable in all_envs(spec(env)):
        sensitive = re.search(r"PASSWORD|SECRET|_KEY$|HEADERS|OTLP_ENDPOINT", variable["key"])
        bound = re.fullmatch(r"\$\{[\w-]+\.[A-Z_]+\}", str(variable.get("value", "")))
        if variable.get("type") == "SECRET":
            assert "value" not in variable, f"{variable['key']} has a value in the repository"
        elif not bound:  # a binding to a managed resource's credential holds no secret here
            assert not sensitive, f"{variable['key']} must be an App Platform secret"
            assert not re.search(r"://[^/@${}]+:[^/@${}]+@",
                                 str(variable.get("value"))), variable["key"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_spec_binds_only_variables_the_code_reads(env: str) -> None:
    document = spec(env)
    assert variable_problems({e["key"] for e in all_envs(document)}) == []
    for worker in document["workers"]:
        probe = worker["liveness_health_check"]
        assert probe["http_path"] == "/livez"
        port = next(e["value"] for e in document["envs"] if e["key"] == "SXP_HEALTH_PORT")
        assert probe["port"] == int(port)


def test_sizes_instances_and_budgets_grow_from_dev_to_prod() -> None:
    documents = {env: spec(env) for env in ENVIRONMENTS}
    sizes = {env: {w["instance_size_slug"] for w in d["workers"]} for env, d in documents.items()}
    assert len({frozenset(s) for s in sizes.values()}) == 3, "each environment has its own sizes"
    capacity = {env: sum(w.get("autoscaling",
                               {}).get("max_instance_count") or w.get("instance_count", 1)
                         for w in d["workers"]) for env, d in documents.items()}
    assert capacity["dev"] < capacity["stage"] < capacity["prod"]
    assert any("autoscaling" in w for w in documents["prod"]["workers"])
    assert not any("autoscaling" in w for env in ("dev",
                                                  "stage") for w in documents[env]["workers"])
    budgets = []
    for env, document in documents.items():
        path = next(e["value"] for e in document["envs"] if e["key"] == "SXP_ENRICHMENT_POLICY")
        assert path == f"/app/deploy/do/policy.{env}.json", \
            "the image copies deploy/do/*.json to /app"
        policy_file = ROOT / "deploy" / "do" / Path(path).name
        policy = policy_from_dict(json.loads(policy_file.read_text()))
        budgets.append((policy.budget_per_day_usd, policy.budget_per_request_usd,
                        policy.max_batch_size))
    assert budgets == sorted(budgets) and len(set(budgets)) == 3
    assert "COPY deploy/do/*.json /app/deploy/do/" in (ROOT / "Dockerfile.sxp-worker").read_text()


# --- the health check the images and compose run ----------------------------------------


def beat(**changes: Any) -> health.Heartbeat:
    now = time.time()
    values: dict[str, Any] = dict(
        service="ingest", instance="ingest-1", pid=1, started_at=now - 600, written_at=now,
        consumer_running=True, consumer_joined=True, partitions=3, last_poll_at=now - 1,
        last_batch_at=now - 2, database_reachable=True)
    values.update(changes)
    return health.Heartbeat(**values)


def test_a_fresh_heartbeat_with_consumer_and_database_is_live_and_ready() -> None:
    assert health.assess(beat(), time.time()) == health.Verdict(True, True, ())


@pytest.mark.parametrize(("changes", "live", "reason"), [
    ({"written_at": time.time() - 120}, False, "heartbeat"),
    ({"consumer_running": False}, False, "consumer loop"),
    ({"last_poll_at": time.time() - 600}, False, "no fetch"),
    ({"database_reachable": False}, True, "database"),
    ({"consumer_joined": False}, True, "assignment"),
    ({"broker_reachable": False}, True, "broker"),
])
def test_a_heartbeat_says_what_is_wrong_and_whether_a_restart_would_help(
    changes: dict[str, Any], live: bool, reason: str
) -> None:
    verdict = health.assess(beat(**changes), time.time())
    assert verdict.ready is False and verdict.live is live
    assert any(reason in r for r in verdict.reasons)


def test_an_instance_still_starting_is_live_before_its_consumer_runs() -> None:
    starting = beat(started_at=time.time() - 5, consumer_running=False, consumer_joined=False)
    assert health.assess(starting, time.time()).live
