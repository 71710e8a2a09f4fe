"""docker-compose.yml, its deploy/ files, .env.example and the Dockerfile checked against the code.

There is no Docker engine in CI, so these tests read the files and hold every name, port, path,
user, key and variable in them to what the code really has: the service modules, the Settings
fields, the keys each service holds, the routes the applications serve and the refusals of a
service started with the example's placeholders.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import re
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet

from services.notify.settings import NotifySettings
from shared.bootstrap import SERVICES, build_app, check_service, mode_of
from shared.ops import create_ops_app
from shared.runtime import Runtime
from shared.safety import is_placeholder
from shared.settings import ConfigurationError, Settings
from tests.fakes import present

ROOT = Path(__file__).resolve().parents[2]
VARIABLE = re.compile(r"\bGRIEVANCE_[A-Z0-9_]+\b")
INTERPOLATION = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}")
EXACT_VERSION = re.compile(r":\d+\.\d+\.\d+(-[a-z0-9.-]+)?$")
OPERATIONAL = {"/healthz", "/readyz", "/metrics", "/dev/outbox"}
SECRETS = {
    "GRIEVANCE_CONTACT_KEY",
    "GRIEVANCE_PSEUDONYM_KEY",
    "GRIEVANCE_TWILIO_AUTH_TOKEN",
    *(f"RABBITMQ_{u}_PASSWORD" for u in ("ADMIN", "INTAKE", "ROUTER", "ESCALATION")),
    "MONGO_ROOT_PASSWORD",
    "MONGO_APP_PASSWORD",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def variables(path: Path, *, commented: bool = True) -> dict[str, str]:
    """``NAME=value`` lines of an env file, the optional (commented-out) ones too if asked."""
    pattern = r"^#?([A-Z][A-Z0-9_]*)=(.*)$" if commented else r"^([A-Z][A-Z0-9_]*)=(.*)$"
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(pattern, line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def generated_env() -> dict[str, str]:
    """.env.example with every secret replaced, as `grievance keys --stack` fills it."""
    values = variables(ROOT / ".env.example", commented=False)
    for name in SECRETS:
        values[name] = secrets.token_urlsafe(32)
    values["GRIEVANCE_CONTACT_KEY"] = Fernet.generate_key().decode()
    return values


def interpolate(value: Any, env: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}`` (an unset required one fails)."""

    def one(match: re.Match[str]) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        given = env.get(name, "")
        if operator == ":?" and not given:
            raise AssertionError(f"{name} is required: {argument}")
        return given or (argument if operator == ":-" else "")

    return INTERPOLATION.sub(one, str(value))


def environment_of(compose: dict[str, Any], service: str, env: dict[str, str]) -> dict[str, str]:
    """What the container of ``service`` receives: its env_file, then its `environment:`."""
    spec = compose["services"][service]
    given: dict[str, str] = {}
    if "env_file" in spec:
        given.update(variables(ROOT / spec["env_file"], commented=False))
    given.update({k: interpolate(v, env) for k, v in (spec.get("environment") or {}).items()})
    return given


def settings_of(environment: dict[str, str]) -> Settings:
    values = {
        k.removeprefix("GRIEVANCE_").lower(): v for k, v in environment.items() if k.startswith("GRIEVANCE_")
    }
    return Settings.model_validate(values)


# --- the services ----------------------------------------------------------------------------------


def test_compose_has_the_edge_broker_store_and_three_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"caddy", "rabbitmq-definitions", "rabbitmq", "mongo", *SERVICES}


@pytest.mark.parametrize("service", SERVICES)
def test_each_app_service_runs_its_module_with_the_settings_file(
    compose: dict[str, Any], service: str
) -> None:
    spec = compose["services"][service]
    assert spec["command"] == ["python", "-m", f"services.{service}"]
    assert importlib.util.find_spec(f"services.{service}.__main__") is not None
    assert spec["build"] == "."
    assert spec["env_file"] == "deploy/grievance.env"  # never .env: each secret is handed by name
    assert spec["depends_on"] == {
        "rabbitmq": {"condition": "service_healthy"},
        "mongo": {"condition": "service_healthy"},
    }
    assert spec["environment"]["GRIEVANCE_HOST"] == "0.0.0.0"  # noqa: S104


@pytest.mark.parametrize("service", SERVICES)
def test_health_checks_probe_the_operational_port_inside_the_container(
    compose: dict[str, Any], service: str
) -> None:
    default_port = Settings.model_fields[f"{service}_port"].default
    ops = Settings.model_fields["ops_port"].default
    assert Settings.model_fields["ops_host"].default == "127.0.0.1"
    spec = compose["services"][service]
    assert "GRIEVANCE_OPS_HOST" not in spec["environment"] and "GRIEVANCE_OPS_PORT" not in spec["environment"]
    probe = " ".join(spec["healthcheck"]["test"])
    assert f"http://127.0.0.1:{ops}/healthz" in probe
    assert probe.startswith("CMD python -c")
    assert spec["expose"] == [str(default_port)]  # the operational port is not exposed


@pytest.mark.parametrize("service", SERVICES)
def test_the_operational_paths_are_not_routes_of_the_public_app(service: Any, runtime: Runtime) -> None:
    app = build_app(service, runtime.settings, runtime)
    paths = {present(route.resource).canonical for route in app.router.routes()}
    assert not paths & {"/readyz", "/metrics"}
    ops = create_ops_app({service: app})
    assert {"/healthz", "/readyz", "/metrics"} <= {
        present(route.resource).canonical for route in ops.router.routes()
    }


def test_only_the_proxy_publishes_ports_so_every_service_scales(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["caddy"]["ports"] == ["80:80", "443:443", "443:443/udp"]
    assert services["rabbitmq"]["ports"] == ["127.0.0.1:15672:15672"]  # management UI, this host only
    for name, spec in services.items():
        if name not in ("caddy", "rabbitmq"):
            assert "ports" not in spec, f"{name} publishes a port"
        assert "container_name" not in spec, f"{name} has a fixed container name and cannot scale"


def test_images_are_pinned_to_exact_versions(compose: dict[str, Any]) -> None:
    for name, spec in compose["services"].items():
        if "build" in spec:
            continue
        assert EXACT_VERSION.search(spec["image"]), f"{name}: {spec['image']} is not an exact version"
    first = (ROOT / "Dockerfile").read_text(encoding="utf-8").split("\nFROM ", 1)[1].split()[0]
    assert re.fullmatch(r"python:3\.11\.\d+-slim", first), first


# --- secrets: who gets what ------------------------------------------------------------------------


def test_only_intake_gets_the_contact_key_and_escalation_no_key(compose: dict[str, Any]) -> None:
    env = generated_env()
    given = {service: environment_of(compose, service, env) for service in SERVICES}
    assert "GRIEVANCE_CONTACT_KEY" in given["intake"] and "GRIEVANCE_CONTACT_KEY_PREVIOUS" in given["intake"]
    for service in ("router", "escalation"):
        assert not any(name.startswith("GRIEVANCE_CONTACT_KEY") for name in given[service]), service
    assert "GRIEVANCE_PSEUDONYM_KEY" in given["router"]
    assert "GRIEVANCE_PSEUDONYM_KEY" not in given["escalation"]
    assert not any(name.startswith("GRIEVANCE_TWILIO") for name in {*given["router"], *given["escalation"]})
    for name, spec in compose["services"].items():
        assert spec.get("env_file") != ".env", f"{name} would get every secret"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_connects_to_the_broker_as_its_own_user(compose: dict[str, Any], service: str) -> None:
    url = compose["services"][service]["environment"]["GRIEVANCE_AMQP_URL"]
    assert (
        url
        == f"amqp://{service}:${{RABBITMQ_{service.upper()}_PASSWORD:?set RABBITMQ_{service.upper()}_PASSWORD in .env}}@rabbitmq:5672/"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_what_compose_hands_each_service_starts_it(compose: dict[str, Any], service: Any) -> None:
    """The environment of each container, with generated secrets, passes the service's own checks."""
    settings = settings_of(environment_of(compose, service, generated_env()))
    assert not mode_of(settings).embedded
    check_service(settings, service)
    assert settings.trusted_proxy_networks == (ipaddress.ip_network("172.29.80.2/32"),)


@pytest.mark.parametrize("service", SERVICES)
def test_the_example_placeholders_are_refused(compose: dict[str, Any], service: Any) -> None:
    env = variables(ROOT / ".env.example", commented=False)
    settings = settings_of(environment_of(compose, service, env))
    with pytest.raises(ConfigurationError, match="refusing to start with unsafe settings"):
        check_service(settings, service)


def test_every_secret_of_the_example_is_a_placeholder_and_has_a_generator() -> None:
    from services.cli.keys import STACK_PASSWORDS

    env = variables(ROOT / ".env.example", commented=False)
    assert set(env) >= SECRETS
    assert all(is_placeholder(env[name]) for name in SECRETS), {n: env[n] for n in SECRETS}
    generated = {"GRIEVANCE_CONTACT_KEY", "GRIEVANCE_PSEUDONYM_KEY", *STACK_PASSWORDS}
    assert generated == SECRETS - {"GRIEVANCE_TWILIO_AUTH_TOKEN"}  # Twilio's comes from Twilio


def test_compose_variables_are_in_env_example_and_env_files_are_settings(compose: dict[str, Any]) -> None:
    fields = {f"GRIEVANCE_{name.upper()}" for name in (*Settings.model_fields, *NotifySettings.model_fields)}
    example, shared_settings = variables(ROOT / ".env.example"), variables(ROOT / "deploy" / "grievance.env")
    for found in (example, shared_settings):
        grievance = {name for name in found if name.startswith("GRIEVANCE_")}
        assert grievance <= fields, f"not settings fields: {sorted(grievance - fields)}"
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    interpolated = {m.group(1) for m in INTERPOLATION.finditer(text)}
    assert interpolated <= set(variables(ROOT / ".env.example", commented=False))
    assert not any(name in SECRETS or "KEY" in name or "PASS" in name for name in shared_settings)
    values = {
        k.removeprefix("GRIEVANCE_").lower(): v for k, v in variables(ROOT / "deploy/grievance.env").items()
    }
    settings = Settings.model_validate(values)
    assert settings.sla.normal.resolve.days == 15 and settings.sweep_interval.total_seconds() == 30


# --- the broker and the store ------------------------------------------------------------------------


def test_the_broker_loads_the_users_the_definitions_service_writes(compose: dict[str, Any]) -> None:
    services = compose["services"]
    writer, broker = services["rabbitmq-definitions"], services["rabbitmq"]
    out = writer["command"][writer["command"].index("--out") + 1]
    assert writer["command"][:2] == ["grievance", "broker-definitions"] and writer["network_mode"] == "none"
    assert set(writer["environment"]) == {
        f"RABBITMQ_{u}_PASSWORD" for u in ("ADMIN", "INTAKE", "ROUTER", "ESCALATION")
    }
    # The topology's names and delivery limit are the services' own settings.
    assert writer["env_file"] == compose["services"]["intake"]["env_file"] == "deploy/grievance.env"
    assert broker["depends_on"] == {"rabbitmq-definitions": {"condition": "service_completed_successfully"}}
    assert "rabbitmq-definitions:/definitions" in writer["volumes"]
    assert "rabbitmq-definitions:/etc/rabbitmq/definitions:ro" in broker["volumes"]
    conf = (ROOT / "deploy" / "rabbitmq" / "rabbitmq.conf").read_text(encoding="utf-8")
    loaded = re.search(r"^load_definitions = (\S+)$", conf, re.MULTILINE)
    assert loaded and loaded.group(1) == "/etc/rabbitmq/definitions/" + Path(out).name
    assert "RABBITMQ_DEFAULT_USER" not in str(broker) and "default_user" not in conf.replace("# ", "")
    assert broker["healthcheck"]["test"] == ["CMD", "rabbitmq-diagnostics", "-q", "ping"]


def test_the_store_runs_with_access_control_and_an_application_user(compose: dict[str, Any]) -> None:
    mongo = compose["services"]["mongo"]
    start = (ROOT / "deploy" / "mongo" / "start.sh").read_text(encoding="utf-8")
    assert mongo["entrypoint"] == ["bash", "/deploy/start.sh"]
    assert (
        "--replSet rs0" in start
        and '--keyFile "$key"' in start
        and "exec docker-entrypoint.sh mongod" in start
    )
    assert mongo["environment"]["MONGO_INITDB_ROOT_PASSWORD"].startswith("${MONGO_ROOT_PASSWORD:?")
    assert "mongo-keyfile:/data/keyfile" in mongo["volumes"]
    init = (ROOT / "deploy" / "mongo" / "10-application-user.js").read_text(encoding="utf-8")
    assert any(v.endswith(":/docker-entrypoint-initdb.d/10-application-user.js:ro") for v in mongo["volumes"])
    actions = set(re.findall(r'"(\w+)"', init.split("actions:", 1)[1].split("]", 1)[0]))
    assert actions == {
        "find",
        "insert",
        "update",
        "remove",
        "createIndex",
        "listIndexes",
        "createCollection",
        "listCollections",
        "renameCollectionSameDB",
    }
    # The user holds that one role, which inherits none (no readWrite: it could drop collections).
    assert re.findall(r"roles: (\[.*?\])", init) == ["[]", '[{ role: "grievanceApplication", db: name }]']
    url = compose["x-settings"]["GRIEVANCE_MONGO_URL"]
    assert (
        url.startswith("mongodb://grievance:${MONGO_APP_PASSWORD")
        and "authSource=" in url
        and "replicaSet=rs0" in url
    )
    probe = (ROOT / "deploy" / "mongo" / "healthcheck.js").read_text(encoding="utf-8")
    assert (
        "rs.initiate" in probe
        and "isWritablePrimary" in probe
        and "process.env.MONGO_INITDB_ROOT_PASSWORD" in probe
    )
    assert mongo["healthcheck"]["test"][-1] == "/deploy/healthcheck.js"  # no password on a command line


@pytest.mark.parametrize(
    ("root", "application", "reason"),
    [
        ("change-me-mongo-root", "x" * 30, "MONGO_INITDB_ROOT_PASSWORD is a placeholder"),
        ("r" * 30, "short", "MONGO_APP_PASSWORD is 5 characters; it needs at least 24"),
        ("r" * 30, "", "MONGO_APP_PASSWORD is not set"),
    ],
)
def test_the_store_refuses_placeholder_or_short_passwords(root: str, application: str, reason: str) -> None:
    """deploy/mongo/start.sh ends before anything starts (exit 3), as the services do."""
    environment = {
        "PATH": "/usr/bin:/bin",
        "MONGO_INITDB_ROOT_PASSWORD": root,
        "MONGO_APP_PASSWORD": application,
    }
    result = subprocess.run(  # noqa: S603 - bash on the project's own script
        ["bash", str(ROOT / "deploy" / "mongo" / "start.sh")],  # noqa: S607
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 3 and reason in result.stderr, result.stderr


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("script", ["10-application-user.js", "healthcheck.js"])
def test_the_store_scripts_are_valid_javascript(script: str) -> None:
    result = subprocess.run(  # noqa: S603 - node's syntax check of the project's own script
        ["node", "--check", str(ROOT / "deploy" / "mongo" / script)],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


# --- the proxy -----------------------------------------------------------------------------------------


def caddy_sites() -> dict[str, tuple[str, set[str]]]:
    """Each site of the Caddyfile: its upstream and the paths it routes."""
    text = (ROOT / "deploy" / "caddy" / "Caddyfile").read_text(encoding="utf-8")
    sites = {}
    for host, body in re.findall(r"^\{\$(\w+_HOST)\} \{\n(.*?)^\}", text, re.MULTILINE | re.DOTALL):
        paths = set(re.search(r"@public path (.+)", body).group(1).split())  # type: ignore[union-attr]
        upstream = re.search(r"reverse_proxy \{\$\w+_UPSTREAM:([\w.:-]+)\}", body).group(1)  # type: ignore[union-attr]
        sites[host] = (upstream, paths)
    return sites


def public_paths(service: Any, runtime: Runtime) -> set[str]:
    app = build_app(service, runtime.settings, runtime)
    paths = {
        present(route.resource).canonical for route in app.router.routes() if route.method in ("GET", "POST")
    }
    return {
        re.sub(r"\{[^}]+\}.*$", "*", path) for path in paths
    } - OPERATIONAL  # /cases/{ref}/... -> /cases/*


def test_the_proxy_routes_every_public_route_and_no_operational_one(runtime: Runtime) -> None:
    sites = caddy_sites()
    for service, host in zip(SERVICES, ("INTAKE_HOST", "ROUTER_HOST", "ESCALATION_HOST"), strict=True):
        upstream, paths = sites[host]
        assert upstream == f"{service}:{Settings.model_fields[f'{service}_port'].default}"
        wanted = public_paths(service, runtime)
        assert all(any(_covers(pattern, path) for pattern in paths) for path in wanted), (
            service,
            wanted,
            paths,
        )
        assert not any(_covers(pattern, path) for pattern in paths for path in OPERATIONAL)


def _covers(pattern: str, path: str) -> bool:
    """Caddy's path matcher: exact, or a prefix for a pattern ending in ``*``."""
    return path == pattern or (pattern.endswith("*") and path.startswith(pattern[:-1]))


def test_the_services_trust_exactly_the_proxys_address(compose: dict[str, Any]) -> None:
    caddy = compose["services"]["caddy"]
    address = caddy["networks"]["edge"]["ipv4_address"]
    subnet = compose["networks"]["edge"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(address) in ipaddress.ip_network(subnet)
    assert compose["x-settings"]["GRIEVANCE_TRUSTED_PROXIES"] == address
    assert "backend" not in caddy["networks"]  # the proxy reaches neither the broker nor the store
    text = (ROOT / "deploy" / "caddy" / "Caddyfile").read_text(encoding="utf-8")
    assert "header_up X-Forwarded-For {remote_host}" in text
    assert "max_size 64KiB" in text and "read_header 10s" in text and "max_conns_per_host" in text


# --- the image -----------------------------------------------------------------------------------------


def test_dockerfile_installs_dependencies_before_the_source_and_drops_root() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[0].startswith("FROM python:3.11.")
    index = {line: i for i, line in enumerate(lines)}
    first_deps = next(i for line, i in index.items() if "pip install -c constraints.txt" in line)
    copy_deps = index["COPY pyproject.toml constraints.txt ./"]
    copy_source = min(i for line, i in index.items() if line.startswith(("COPY shared", "COPY services")))
    install_source = next(i for line, i in index.items() if "pip install --no-deps ." in line)
    assert copy_deps < first_deps < copy_source < install_source
    users = [line for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("USER root", "USER 0")
    expose = next(line for line in lines if line.startswith("EXPOSE"))
    ports = {str(Settings.model_fields[f"{s}_port"].default) for s in SERVICES}
    assert set(expose.split()[1:]) == ports


def test_dockerignore_keeps_secrets_out_of_the_image() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert {".env", "tokens*.json", ".venv", ".git"} <= set(ignored)
