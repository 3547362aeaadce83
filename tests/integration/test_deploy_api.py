"""The API's deploy files, checked by parsing them: its image, compose, App Platform."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_deploy_files import ENVIRONMENTS, compose, spec

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_compose_serves_the_api_from_its_image_on_loopback_with_a_port_check() -> None:
    api = compose()["services"]["api"]
    assert api["build"]["dockerfile"] == "Dockerfile.sxp-api"
    assert api["ports"] == ["127.0.0.1:18080:8080"]
    assert api["environment"]["SXP_API_PORT"] == "8080"
    assert api["healthcheck"]["test"][:4] == ["CMD", "python", "-m", "sxp_common.health"]
    assert api["depends_on"]["bootstrap"]["condition"] == "service_completed_successfully"
    sandboxes = [s for n, s in compose()["services"].items() if n.startswith("sandbox-")]
    assert sandboxes and all(s["build"]["dockerfile"] == "Dockerfile.sxp-sandbox"
                             for s in sandboxes)


def header(dockerfile: str) -> str:
    lines = (ROOT / dockerfile).read_text().split("\nARG")[0].splitlines()
    return " ".join(line.lstrip("# ") for line in lines)


def test_the_sandbox_image_says_it_serves_only_the_sandbox_providers() -> None:
    text = header("Dockerfile.sxp-sandbox")
    assert "sandbox provider" in text and "production" in text.lower()
    assert "services.sandbox" in (ROOT / "Dockerfile.sxp-sandbox").read_text()


def test_the_api_image_runs_the_api_on_all_interfaces() -> None:
    text = (ROOT / "Dockerfile.sxp-api").read_text()
    assert 'CMD ["python", "-m", "services.api"]' in text
    assert "SXP_API_HOST=0.0.0.0" in text and "services.sandbox" not in text


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_spec_runs_the_api_as_the_one_public_service_with_a_health_check(env: str) -> None:
    services = {s["name"]: s for s in spec(env).get("services", [])}
    api = services["api"]
    assert api["image"]["repository"] == "sxp-api"
    assert api["run_command"] == "python -m services.api"
    values = {e["key"]: e.get("value") for e in api["envs"]}
    assert api["http_port"] == int(values["SXP_API_PORT"]) and values["SXP_API_HOST"] == "0.0.0.0"
    assert api["health_check"]["http_path"] == "/readyz"
    assert api["health_check"]["port"] == api["http_port"]
    assert api["liveness_health_check"]["http_path"] == "/livez"
    assert [r["path"] for r in api["routes"]] == ["/"]
    public = [s for s in services.values() if "http_port" in s or "routes" in s]
    assert public == [api]
