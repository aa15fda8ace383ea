"""docker-compose.yml and deploy/ without a Docker engine: the compose-spec schema, scripts/check_compose.py on the
real files, the same checker on deliberately broken copies (each must fail, naming the problem), and the container
health probe against a real HTTP endpoint.

Runs in `make check-compose` (with --noconftest: no cluster, no build needed) and with the other integration tests.
"""
from __future__ import annotations

import importlib.util
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def _load_checker():
    spec = importlib.util.spec_from_file_location("check_compose", ROOT / "scripts/check_compose.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_compose"] = module  # dataclasses look their module up while the module executes
    spec.loader.exec_module(module)
    return module


checker = _load_checker()


def check_jsonschema() -> str:
    for candidate in (VENV_BIN / "check-jsonschema", ROOT / ".venv/bin/check-jsonschema"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("check-jsonschema")
    if not found:
        pytest.fail("check-jsonschema is missing: run scripts/install-deps.sh (it is in scripts/requirements.txt)")
    return found


# The real files --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("relative", ["docker-compose.yml", "deploy/compose/ensemble.yml"])
def test_compose_files_match_the_compose_spec(relative):
    result = subprocess.run([check_jsonschema(), "--builtin-schema", "vendor.compose-spec", str(ROOT / relative)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("files,profiles", [(f, p) for f, p in checker.combinations(ROOT)],
                         ids=lambda v: "+".join(Path(x).name for x in v) if isinstance(v, list) else
                         (",".join(sorted(v)) or "no-profile"))
def test_repository_compose_setup_is_consistent(files, profiles):
    problems = checker.check(ROOT, files, profiles)
    assert problems == [], "\n".join(problems)


def test_config_keys_come_from_the_swift_sources():
    broker = checker.config_keys(ROOT, "broker")
    controller = checker.config_keys(ROOT, "controller")
    # Keys every process must read for the compose file and `make cluster` to work at all.
    assert {"broker.id", "listeners", "advertised.listeners", "log.dirs", "zookeeper.connect",
            "inter.broker.listener.name"} <= broker
    assert {"controller.id", "listeners", "advertised.listeners", "zookeeper.connect"} <= controller
    # Pulled in from another module's definition list (GroupCoordinatorConfig.definitions in FjordCoordinator).
    assert "group.initial.rebalance.delay.ms" in broker
    assert "broker.id" not in controller


def test_environment_names_map_like_kafka_images():
    assert checker.property_name("KAFKA_LOG_DIRS") == "log.dirs"
    assert checker.property_name("FJORD_ZOOKEEPER_CONNECT") == "zookeeper.connect"
    assert checker.property_name("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP") == "listener.security.protocol.map"
    assert checker.property_name("KAFKA_SOME__UNDERSCORED___DASHED") == "some_underscored-dashed"
    assert checker.property_name("ZOO_MY_ID") is None


# Broken copies must fail -----------------------------------------------------------------------------------------

def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def problems_of(tmp_path: Path, document: dict, profiles=frozenset()) -> list[str]:
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return checker.check(ROOT, [path], set(profiles))


def expect_problem(problems: list[str], *fragments: str) -> None:
    assert any(all(f in p for f in fragments) for p in problems), \
        f"expected a problem mentioning {fragments}, got:\n" + "\n".join(problems)


def test_duplicated_advertised_listener_fails(tmp_path):
    doc = compose()
    doc["services"]["kafka2"]["environment"]["KAFKA_ADVERTISED_LISTENERS"] = \
        "INTERNAL://kafka2:9092,EXTERNAL://localhost:9092"
    problems = problems_of(tmp_path, doc)
    expect_problem(problems, "kafka2", "EXTERNAL://localhost:9092", "also advertised by kafka1")
    # ... and host port 9092 is not published by kafka2 either.
    expect_problem(problems, "kafka2", "host port 9092 is not published")


def test_unknown_environment_key_fails(tmp_path):
    doc = compose()
    doc["services"]["kafka1"]["environment"]["KAFKA_LOG_RETENTION_HOUS"] = "24"
    doc["services"]["controller-1"]["environment"]["FJORD_BROKER_ID"] = "1"  # a broker key on a controller
    problems = problems_of(tmp_path, doc)
    expect_problem(problems, "kafka1", "KAFKA_LOG_RETENTION_HOUS", "log.retention.hous", "does not read")
    expect_problem(problems, "controller-1", "FJORD_BROKER_ID", "fjord-controller does not read")


def test_missing_volume_fails(tmp_path):
    doc = compose()
    del doc["volumes"]["kafka3-data"]
    doc["services"]["kafka1"]["volumes"].append("logs:/var/log/fjord")
    problems = problems_of(tmp_path, doc)
    expect_problem(problems, "kafka3", "undeclared volume 'kafka3-data'")
    expect_problem(problems, "kafka1", "undeclared volume 'logs'")


def test_unused_volume_and_missing_bind_source_fail(tmp_path):
    doc = compose()
    doc["volumes"]["orphan"] = None
    doc["services"]["kafka1"]["volumes"][0] = "./deploy/no-such-dir:/etc/fjord:ro"
    problems = problems_of(tmp_path, doc)
    expect_problem(problems, "volume 'orphan' is declared but no service mounts it")
    expect_problem(problems, "kafka1", "bind mount source ./deploy/no-such-dir does not exist")


def test_unknown_dependency_and_dependency_without_healthcheck_fail(tmp_path):
    doc = compose()
    doc["services"]["kafka1"]["depends_on"]["zookeper"] = {"condition": "service_healthy"}
    del doc["services"]["controller-2"]["healthcheck"]
    doc["services"]["controller-2"]["healthcheck"] = {"disable": True}
    problems = problems_of(tmp_path, doc)
    expect_problem(problems, "kafka1", "unknown service 'zookeper'")
    expect_problem(problems, "kafka1", "waits for controller-2 to be healthy", "no healthcheck")


def test_dependency_on_a_profile_only_service_fails_without_that_profile(tmp_path):
    doc = compose()
    doc["services"]["kafka1"]["depends_on"]["zoo1"] = {"condition": "service_healthy"}
    expect_problem(problems_of(tmp_path, doc), "kafka1", "depends on zoo1", "['ensemble']")
    assert not any("depends on zoo1" in p for p in problems_of(tmp_path, doc, {"ensemble"}))


def test_undeclared_network_fails(tmp_path):
    doc = compose()
    doc["services"]["kafka2"]["networks"] = ["fjord", "backend"]
    expect_problem(problems_of(tmp_path, doc), "kafka2", "undeclared network 'backend'")


def test_unreachable_advertised_hosts_fail(tmp_path):
    doc = compose()
    env = doc["services"]["kafka3"]["environment"]
    # Inter-broker traffic advertised as localhost: other brokers would connect to themselves.
    env["KAFKA_ADVERTISED_LISTENERS"] = "INTERNAL://localhost:9094,EXTERNAL://kafka-three:19092"
    problems = problems_of(tmp_path, doc)
    expect_problem(problems, "kafka3", "inter-broker listener INTERNAL is advertised as localhost")
    expect_problem(problems, "kafka3", "'kafka-three'", "neither localhost nor a name this service has")
    expect_problem(problems, "kafka3", "INTERNAL://localhost:9094", "not published")


def test_advertised_port_must_match_the_bound_port(tmp_path):
    doc = compose()
    doc["services"]["kafka1"]["environment"]["KAFKA_ADVERTISED_LISTENERS"] = \
        "INTERNAL://kafka1:9093,EXTERNAL://localhost:9092"
    doc["services"]["kafka2"]["ports"] = ["9093:9092"]  # published to the INTERNAL port instead of EXTERNAL
    problems = problems_of(tmp_path, doc)
    expect_problem(problems, "kafka1", "INTERNAL://kafka1:9093", "binds port 9092")
    expect_problem(problems, "kafka2", "EXTERNAL://localhost:9093", "EXTERNAL listener's port 19092")


def test_duplicate_published_port_and_unknown_listener_name_fail(tmp_path):
    doc = compose()
    doc["services"]["grafana"]["ports"] = ["9092:3000"]
    doc["services"]["kafka1"]["environment"]["KAFKA_LISTENERS"] = "INTERNAL://0.0.0.0:9092,OUTSIDE://0.0.0.0:19092"
    problems = problems_of(tmp_path, doc, {"monitoring"})
    expect_problem(problems, "grafana", "host port 9092 is also published by kafka1")
    expect_problem(problems, "kafka1", "listener OUTSIDE is missing from listener.security.protocol.map")
    expect_problem(problems, "kafka1", "advertises EXTERNAL, which is not among its listeners")


def test_config_file_drift_fails(tmp_path):
    doc = compose()
    doc["services"]["kafka1"]["command"] = ["fjord-broker", "--config", "/etc/fjord/server.properties"]
    doc["services"]["kafka2"]["volumes"][0] = "./deploy/multi-host:/etc/fjord:ro"
    del doc["services"]["kafka3"]["environment"]["KAFKA_METRICS_PORT"]
    problems = problems_of(tmp_path, doc)
    expect_problem(problems, "kafka1", "does not run with --config …/broker.properties")
    expect_problem(problems, "kafka2", "is not deploy/config mounted from the repository")
    expect_problem(problems, "kafka3", "other KAFKA_* variables than scripts/cluster.py", "KAFKA_METRICS_PORT")


def test_image_must_provide_commands_and_probes(tmp_path):
    doc = compose()
    doc["services"]["kafka1"]["command"] = ["kafka-server-start.sh", "/etc/fjord/broker.properties"]
    doc["services"]["kafka2"]["healthcheck"] = {"test": ["CMD", "curl", "-f", "http://localhost:9308/health"]}
    del doc["services"]["kafka3"]["stop_grace_period"]
    problems = problems_of(tmp_path, doc)
    expect_problem(problems, "kafka2", "health check runs curl", "does not provide")
    expect_problem(problems, "kafka3", "no stop_grace_period")
    # kafka1 no longer runs a Fjord process at all, so drift shows up as a command the image lacks.
    expect_problem(problems, "kafka1", "runs kafka-server-start.sh, which the image does not provide")


def test_prometheus_targets_must_match_services(tmp_path):
    doc = compose()
    doc["services"]["kafka3"]["environment"]["KAFKA_METRICS_PORT"] = "9999"
    problems = problems_of(tmp_path, doc, {"monitoring"})
    expect_problem(problems, "prometheus.yml", "does not scrape kafka3:9999")
    expect_problem(problems, "prometheus.yml", "scrapes kafka3:9308, which compose does not run")


def copy_tree(tmp_path: Path) -> Path:
    """A scratch repository: Sources and Package.swift linked, everything the checker edits copied."""
    root = tmp_path / "repo"
    root.mkdir()
    for name in ("Sources", "Package.swift", "Tests"):
        (root / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "deploy", root / "deploy")
    (root / "scripts").mkdir()
    shutil.copy(ROOT / "scripts/cluster.py", root / "scripts/cluster.py")
    shutil.copy(ROOT / "docker-compose.yml", root / "docker-compose.yml")
    return root


def test_dockerfile_problems_fail(tmp_path):
    root = copy_tree(tmp_path)
    dockerfile = root / "deploy/Dockerfile"
    text = dockerfile.read_text()
    text = text.replace("COPY deploy/fjord-healthcheck", "COPY deploy/fjord-probe")
    text = text.replace("--product fjord-controller", "--product fjord-controler")
    text = text.replace("STOPSIGNAL SIGTERM", "STOPSIGNAL SIGKILL")
    text = text.replace("ARG SWIFT_IMAGE=swift:6.3-noble", "ARG SWIFT_IMAGE=swift:5.10-noble")
    dockerfile.write_text(text)
    (root / "deploy/Dockerfile.dockerignore").write_text(
        (root / "deploy/Dockerfile.dockerignore").read_text() + "Tests\n")
    problems = checker.check(root, [root / "docker-compose.yml"])
    expect_problem(problems, "deploy/Dockerfile", "COPY source deploy/fjord-probe does not exist")
    expect_problem(problems, "deploy/Dockerfile", "--product fjord-controler", "does not declare")
    expect_problem(problems, "deploy/Dockerfile", "STOPSIGNAL is SIGKILL")
    expect_problem(problems, "deploy/Dockerfile", "COPY source Tests is excluded by the .dockerignore")
    if shutil.which("swift"):
        expect_problem(problems, "deploy/Dockerfile", "swift:5.10-noble is Swift 5.10")
    expect_problem(problems, "controller-1", "runs fjord-controller, which the image does not provide")
    expect_problem(problems, "kafka1", "health check runs fjord-healthcheck, which the image does not provide")


def test_properties_typos_and_cluster_script_drift_fail(tmp_path):
    root = copy_tree(tmp_path)
    shared = root / "deploy/config/broker.properties"
    shared.write_text(shared.read_text() + "\nlog.retension.hours=12\n")
    multi = root / "deploy/multi-host/controller.properties"
    multi.write_text(multi.read_text() + "\nnum.partitions=3\n")
    script = root / "scripts/cluster.py"
    script.write_text(script.read_text().replace('"KAFKA_LOG_DIRS"', '"KAFKA_LOG_DIR_PATH"')
                      .replace('"deploy/config/controller.properties"', '"deploy/config/ctl.properties"'))
    problems = checker.check(root, [root / "docker-compose.yml"])
    expect_problem(problems, "deploy/config/broker.properties", "'log.retension.hours'")
    expect_problem(problems, "deploy/multi-host/controller.properties", "'num.partitions'", "fjord-controller")
    expect_problem(problems, "scripts/cluster.py", "KAFKA_LOG_DIR_PATH", "log.dir.path")
    expect_problem(problems, "scripts/cluster.py", "does not pass deploy/config/controller.properties")
    expect_problem(problems, "kafka1", "other KAFKA_* variables than scripts/cluster.py", "KAFKA_LOG_DIR_PATH")


def test_dashboard_and_alerts_must_use_declared_metrics(tmp_path):
    root = copy_tree(tmp_path)
    dashboard = root / "deploy/grafana/dashboards/fjord.json"
    dashboard.write_text(dashboard.read_text().replace("fjord_topic_bytes_in_total", "fjord_bytes_in_total", 1))
    alerts = root / "deploy/prometheus/alerts.yml"
    alerts.write_text(alerts.read_text().replace("fjord_controller_active", "fjord_active_controller_count"))
    problems = checker.check(root, [root / "docker-compose.yml"], {"monitoring"})
    expect_problem(problems, "fjord.json", "unknown metric fjord_bytes_in_total")
    expect_problem(problems, "alerts.yml", "FjordNoActiveController", "fjord_active_controller_count")


def test_schema_rejects_unknown_compose_keys(tmp_path):
    doc = compose()
    doc["services"]["kafka1"]["healtcheck"] = {"test": ["CMD", "true"]}
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = subprocess.run([check_jsonschema(), "--builtin-schema", "vendor.compose-spec", str(path)],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "healtcheck" in result.stdout + result.stderr


def test_command_line_exit_status(tmp_path):
    doc = compose()
    doc["services"]["kafka1"]["environment"]["KAFKA_NOT_A_KEY"] = "1"
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = subprocess.run([sys.executable, str(ROOT / "scripts/check_compose.py"), str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "KAFKA_NOT_A_KEY" in result.stdout


# The health probe -------------------------------------------------------------------------------------------------

class _HealthHandler(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = b"ok\n" if self.path == "/health" and self.status == 200 else b"not registered\n"
        self.send_response(self.status if self.path == "/health" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _serve(status: int):
    handler = type("Handler", (_HealthHandler,), {"status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _probe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "deploy/fjord-healthcheck"), *args], capture_output=True, text=True,
                          timeout=20, env={"PATH": os.environ["PATH"], **(env or {})})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_health_probe_follows_the_health_endpoint():
    healthy, sick = _serve(200), _serve(503)
    try:
        assert _probe(str(healthy.server_address[1])).returncode == 0
        assert _probe(env={"KAFKA_METRICS_PORT": str(healthy.server_address[1])}).returncode == 0
        failing = _probe(env={"FJORD_METRICS_PORT": str(sick.server_address[1]), "KAFKA_METRICS_PORT": "1"})
        assert failing.returncode == 1 and "503" in failing.stderr
        assert _probe("--tcp", str(sick.server_address[1])).returncode == 0
    finally:
        healthy.shutdown()
        sick.shutdown()
    closed = _free_port()
    assert _probe(str(closed)).returncode == 1
    assert _probe("--tcp", str(closed)).returncode == 1
    assert _probe().returncode == 1  # no port at all


# Documentation -----------------------------------------------------------------------------------------------------

def test_operations_guide_lists_every_metric():
    declared = checker.declared_metric_names(ROOT)
    assert len(declared) >= 30
    text = (ROOT / "docs/operations.md").read_text()
    missing = sorted(name for name in declared if f"`{name}`" not in text)
    assert missing == [], f"docs/operations.md does not describe {missing}"
