"""docker-compose.yml, .env.example and the Dockerfile checked against the code they deploy.

There is no Docker engine in CI, so these tests read the files and hold every name, port, path and
variable in them to what the code really has: the service modules, the Settings fields and their
defaults, and the routes the applications serve.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.bootstrap import embedded
from shared.runtime import Runtime
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("intake", "router", "escalation")
VARIABLE = re.compile(r"\bGRIEVANCE_[A-Z0-9_]+\b")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def env_example() -> dict[str, str]:
    """Variables of .env.example, the optional (commented-out) ones included."""
    found = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^#?([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def active_env_example() -> set[str]:
    return {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
        if re.match(r"^[A-Z][A-Z0-9_]*=", line)
    }


def test_compose_has_the_five_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"rabbitmq", "mongo", *APP_SERVICES}


@pytest.mark.parametrize("service", APP_SERVICES)
def test_each_app_service_runs_a_module_that_exists(compose: dict[str, Any], service: str) -> None:
    spec = compose["services"][service]
    assert spec["command"] == ["python", "-m", f"services.{service}"]
    assert importlib.util.find_spec(f"services.{service}.__main__") is not None
    assert spec["build"] == "."
    assert spec["env_file"] == ".env"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_wait_for_healthy_broker_and_store(compose: dict[str, Any], service: str) -> None:
    depends = compose["services"][service]["depends_on"]
    assert depends == {
        "rabbitmq": {"condition": "service_healthy"},
        "mongo": {"condition": "service_healthy"},
    }
    assert compose["services"][service]["environment"]["GRIEVANCE_HOST"] == "0.0.0.0"  # noqa: S104


@pytest.mark.parametrize("service", APP_SERVICES)
def test_health_checks_probe_the_default_port_and_healthz(compose: dict[str, Any], service: str) -> None:
    default_port = Settings.model_fields[f"{service}_port"].default
    probe = " ".join(compose["services"][service]["healthcheck"]["test"])
    assert f"http://127.0.0.1:{default_port}/healthz" in probe
    assert probe.startswith("CMD python -c")


@pytest.mark.parametrize("service", APP_SERVICES)
def test_health_path_is_a_route_the_app_serves(service: str, runtime: Runtime) -> None:
    module = importlib.import_module(f"services.{service}.app")
    app = module.create_app(runtime.settings, runtime)
    paths = {route.resource.canonical for route in app.router.routes() if route.method == "GET"}
    assert {"/healthz", "/readyz"} <= paths


def test_only_intake_publishes_a_host_port_so_the_others_scale(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["intake"]["ports"][0].endswith(":8080")
    for service in ("router", "escalation"):
        assert "ports" not in services[service]
        assert services[service]["expose"] == [str(Settings.model_fields[f"{service}_port"].default)]
    for name, spec in services.items():
        assert "container_name" not in spec, f"{name} has a fixed container name and cannot scale"


def test_broker_and_store_have_health_checks_and_volumes(compose: dict[str, Any]) -> None:
    rabbit = compose["services"]["rabbitmq"]
    assert "management" in rabbit["image"]
    assert rabbit["healthcheck"]["test"] == ["CMD", "rabbitmq-diagnostics", "-q", "ping"]
    mongo = compose["services"]["mongo"]
    assert "--replSet" in mongo["command"]
    probe = " ".join(mongo["healthcheck"]["test"])
    assert "rs.initiate" in probe and "isWritablePrimary" in probe
    assert {"rabbitmq-data", "mongo-data"} <= set(compose["volumes"])
    assert any(v.endswith(":/data/db") for v in mongo["volumes"])


def test_compose_variables_are_in_env_example_and_env_example_is_settings() -> None:
    fields = {f"GRIEVANCE_{name.upper()}" for name in Settings.model_fields}
    documented = env_example()
    grievance_vars = {name for name in documented if name.startswith("GRIEVANCE_")}
    assert grievance_vars <= fields, f"not Settings fields: {sorted(grievance_vars - fields)}"
    compose_text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    referenced = set(VARIABLE.findall(compose_text)) - {"GRIEVANCE_HOST"}  # set by compose itself
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", compose_text))
    assert referenced <= active_env_example()
    assert {v for v in interpolated if v != "INTAKE_PUBLISH"} <= active_env_example()


def test_env_example_holds_every_variable_a_deployment_needs() -> None:
    required = {
        "GRIEVANCE_AMQP_URL",
        "GRIEVANCE_MONGO_URL",
        "GRIEVANCE_CONTACT_KEY",
        "GRIEVANCE_PSEUDONYM_KEY",
        "GRIEVANCE_PUBLIC_BASE_URL",
        "GRIEVANCE_PUBLIC_STATUS_URL",
        "GRIEVANCE_SLA",
    }
    assert required <= active_env_example()
    assert {"GRIEVANCE_TWILIO_AUTH_TOKEN", "GRIEVANCE_TWILIO_ACCOUNT_SID", "GRIEVANCE_TWILIO_FROM"} <= set(
        env_example()
    )
    documented = env_example()
    assert documented["GRIEVANCE_AMQP_URL"].startswith("amqp://")
    assert "@rabbitmq:5672" in documented["GRIEVANCE_AMQP_URL"]
    assert documented["GRIEVANCE_MONGO_URL"].startswith("mongodb://mongo:27017/")
    assert "replicaSet=rs0" in documented["GRIEVANCE_MONGO_URL"]


def test_env_example_values_are_valid_settings() -> None:
    values = {
        name.removeprefix("GRIEVANCE_").lower(): value
        for name, value in env_example().items()
        if name.startswith("GRIEVANCE_") and value
    }
    settings = Settings.model_validate(values)
    assert settings.sla.normal.resolve.days == 15
    assert settings.sweep_interval.total_seconds() == 30
    assert not embedded(settings)


def test_rabbitmq_password_in_env_example_matches_the_amqp_url() -> None:
    documented = env_example()
    user, password = documented["RABBITMQ_DEFAULT_USER"], documented["RABBITMQ_DEFAULT_PASS"]
    assert f"amqp://{user}:{password}@" in documented["GRIEVANCE_AMQP_URL"]


def test_dockerfile_installs_dependencies_before_the_source_and_drops_root() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[0].startswith("FROM python:3.11-slim")
    index = {line: i for i, line in enumerate(lines)}
    first_deps = next(i for line, i in index.items() if "pip install -c constraints.txt" in line)
    copy_deps = index["COPY pyproject.toml constraints.txt ./"]
    copy_source = min(i for line, i in index.items() if line.startswith(("COPY shared", "COPY services")))
    install_source = next(i for line, i in index.items() if "pip install --no-deps ." in line)
    assert copy_deps < first_deps < copy_source < install_source
    users = [line for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("USER root", "USER 0")
    expose = next(line for line in lines if line.startswith("EXPOSE"))
    ports = {str(Settings.model_fields[f"{s}_port"].default) for s in APP_SERVICES}
    assert set(expose.split()[1:]) == ports


def test_dockerignore_keeps_secrets_out_of_the_image() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert {".env", "tokens*.json", ".venv", ".git"} <= set(ignored)
