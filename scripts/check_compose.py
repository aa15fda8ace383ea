#!/usr/bin/env python3
"""Checks docker-compose.yml, its override files and deploy/ without a Docker engine.

What a schema cannot see (`check-jsonschema --builtin-schema vendor.compose-spec` covers keys and types):

- every service, volume and network a service refers to exists; `depends_on` targets exist, have a health check
  when `service_healthy` is asked for, and are not switched off by a profile the dependent service lacks;
- listeners: every advertised listener is unique in the cluster, names a listener the process binds, and is
  reachable where it is advertised — a host that is the service's own name/hostname/alias on its network (with the
  bound port), or `localhost` with a published port that maps to the bound port; the inter-broker listener is not
  advertised as localhost; every listener name is in `listener.security.protocol.map`; published ports are unique;
- configuration: every `KAFKA_*`/`FJORD_*` variable, and every key of the shared and multi-host properties files,
  is a key the process reads. The key sets are parsed from the processes' own `ConfigDefinition("…")` declarations
  (Sources/FjordBroker, Sources/FjordController and the definition lists they pull in from other modules), never
  hand-copied;
- drift: compose and scripts/cluster.py (`make cluster`) read the same deploy/config files and set the same per-process
  KAFKA_* variables; Prometheus scrapes exactly the compose processes' metrics ports; the Grafana dashboard and the
  alert rules only use metric names FjordObservability declares;
- the image: deploy/Dockerfile's COPY sources exist (and are not excluded by its .dockerignore), the products it
  builds are executables of Package.swift, the commands and health probes compose runs are in the image, the builder
  image's Swift major.minor matches the local toolchain, STOPSIGNAL is SIGTERM.

Usage: check_compose.py [--root DIR] [--profile P ...] [COMPOSE_FILE [OVERRIDE...]]
With no files: checks docker-compose.yml with no profile and with each of its profiles, and merged with each
deploy/compose/NAME.yml with profile NAME. Exit status 1 on problems.
Tests import it: `check(root, [files])` returns the list of problems.
"""
from __future__ import annotations

import argparse
import ast
import functools
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FJORD_PROCESSES = {"fjord-broker": "broker", "fjord-controller": "controller"}
#: Where each process's configuration keys are declared (its own module and its executable).
PROCESS_SOURCES = {
    "broker": ["Sources/FjordBroker", "Sources/fjord-broker"],
    "controller": ["Sources/FjordController", "Sources/fjord-controller"],
}
#: The shared properties file of each process kind, relative to the repository root.
SHARED_CONFIG = {"broker": "deploy/config/broker.properties", "controller": "deploy/config/controller.properties"}
MULTI_HOST_CONFIG = {"broker": "deploy/multi-host/broker.properties",
                     "controller": "deploy/multi-host/controller.properties"}
ENV_PREFIXES = ("KAFKA_", "FJORD_")
LISTENER_RE = re.compile(r"^\s*([A-Za-z0-9_]+)://(\[[^\]]*\]|[^:/]*):(\d+)\s*$")


# Configuration keys, from the Swift sources ---------------------------------------------------------------------

DEFINITION_RE = re.compile(r'ConfigDefinition\(\s*"([^"]+)"')
TYPE_DECL_RE = re.compile(r"\b(?:struct|enum|class|extension)\s+([A-Z][A-Za-z0-9_]*)")
DEFINITIONS_REF_RE = re.compile(r"\b([A-Z][A-Za-z0-9_]*)\.definitions\b")


def swift_files(root: Path, directory: str) -> list[Path]:
    """The Swift files under `root/directory`, following symbolic links."""
    result = []
    for folder, _, names in os.walk(root / directory, followlinks=True):
        result += [Path(folder) / name for name in names if name.endswith(".swift")]
    return sorted(result)


def config_keys(root: Path, process: str) -> set[str]:
    return set(_config_keys(Path(root).resolve(), process))


@functools.lru_cache(maxsize=None)
def _config_keys(root: Path, process: str) -> frozenset[str]:
    """The keys `process` reads: `ConfigDefinition("…")` in its own sources, plus those of every other module's
    definition list its sources reference as `TypeName.definitions` (followed transitively)."""
    own = [f for d in PROCESS_SOURCES[process] for f in swift_files(root, d)]
    keys: set[str] = set()
    declared_here: set[str] = set()
    referenced: set[str] = set()
    for path in own:
        text = path.read_text()
        keys.update(DEFINITION_RE.findall(text))
        declared_here.update(TYPE_DECL_RE.findall(text))
        referenced.update(DEFINITIONS_REF_RE.findall(text))
    # Index the other modules: type name -> files declaring it that also declare configuration keys.
    owned = {f.resolve() for f in own}
    index: dict[str, list[Path]] = {}
    for path in swift_files(root, "Sources"):
        if path.resolve() in owned:
            continue
        text = path.read_text()
        if "ConfigDefinition(" not in text:
            continue
        for name in TYPE_DECL_RE.findall(text):
            index.setdefault(name, []).append(path)
    seen: set[str] = set()
    pending = [name for name in referenced if name not in declared_here]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for path in index.get(name, []):
            text = path.read_text()
            keys.update(DEFINITION_RE.findall(text))
            pending.extend(DEFINITIONS_REF_RE.findall(text))
    return frozenset(keys)


def property_name(variable: str) -> str | None:
    """`KAFKA_LOG_DIRS` -> `log.dirs` (Kafka images' mapping: `___` -> `-`, `__` -> `_`, `_` -> `.`)."""
    for prefix in ENV_PREFIXES:
        if variable.startswith(prefix):
            rest = variable[len(prefix):].lower()
            return rest.replace("___", "-").replace("__", "\x01").replace("_", ".").replace("\x01", "_")
    return None


def read_properties(path: Path) -> dict[str, str]:
    """A `.properties` file's entries (`key=value`, `key: value` or `key value`; comments; continuations)."""
    result: dict[str, str] = {}
    logical = ""
    for raw in path.read_text().splitlines():
        line = raw.strip() if not logical else raw.lstrip()
        if not logical and (not line or line[0] in "#!"):
            continue
        if (len(line) - len(line.rstrip("\\"))) % 2 == 1:
            logical += line[:-1]
            continue
        logical += line
        match = re.match(r"^((?:\\.|[^=:\s])+)\s*[=:\s]\s*(.*)$", logical)
        if match:
            result[match.group(1)] = match.group(2)
        elif logical:
            result[logical] = ""
        logical = ""
    return result


def load_yaml(text: str):
    return yaml.load(text, Loader=YAML_LOADER)


# Compose files ----------------------------------------------------------------------------------------------------

INTERPOLATION_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")


def interpolate(value):
    """Resolves `${VAR}`, `${VAR:-default}` with the defaults (what a fresh checkout gets); `$$` is a literal `$`."""
    if isinstance(value, str):
        def default(match: re.Match) -> str:
            # Variables are taken as unset: `-` gives the default, `+` (set-only alternative) and `?` give nothing.
            return match.group(3) if match.group(2) in ("-", ":-") else ""

        return INTERPOLATION_RE.sub(default, value).replace("$$", "$")
    if isinstance(value, list):
        return [interpolate(v) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v) for k, v in value.items()}
    return value


def normalise_service(service: dict) -> dict:
    """Long/short forms into one: environment and depends_on as dicts, string commands as lists."""
    service = dict(service)
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    service["environment"] = {str(k): (None if v is None else str(v)) for k, v in env.items()}
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        deps = {name: {"condition": "service_started"} for name in deps}
    service["depends_on"] = deps
    for key in ("command", "entrypoint"):
        if isinstance(service.get(key), str):
            service[key] = service[key].split()
    networks = service.get("networks")
    if networks is None:
        service["networks"] = {"default": {}}
    elif isinstance(networks, list):
        service["networks"] = {name: {} for name in networks}
    else:
        service["networks"] = {name: (cfg or {}) for name, cfg in networks.items()}
    return service


def merge(base, override):
    """Compose's merge of override files, for the shapes used here: mappings merge key by key, sequences of ports and
    volumes are appended, other values are replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            if key in merged and key in ("ports", "volumes", "expose") and isinstance(value, list):
                merged[key] = list(merged[key]) + [v for v in value if v not in merged[key]]
            elif key in merged:
                merged[key] = merge(merged[key], value)
            else:
                merged[key] = value
        return merged
    return override


def load_compose(paths: list[Path]) -> dict:
    merged: dict = {}
    for path in paths:
        document = load_yaml(path.read_text()) or {}
        document = {k: v for k, v in document.items() if not str(k).startswith("x-")}
        services = {name: normalise_service(svc or {}) for name, svc in (document.get("services") or {}).items()}
        document["services"] = services
        merged = merge(merged, document)
    return interpolate(merged)


# The checks -------------------------------------------------------------------------------------------------------

@dataclass
class Report:
    problems: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")


def fjord_process(service: dict) -> str | None:
    command = (service.get("entrypoint") or []) + (service.get("command") or [])
    for word in command:
        name = Path(str(word)).name
        if name in FJORD_PROCESSES:
            return FJORD_PROCESSES[name]
    return None


def has_healthcheck(service: dict) -> bool:
    check = service.get("healthcheck")
    if not check or check.get("disable"):
        return False
    test = check.get("test")
    return bool(test) and test != ["NONE"]


def published_ports(service: dict) -> list[tuple[str, int, int]]:
    """(host ip, host port, container port) of each published TCP port."""
    result = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            if entry.get("published") is not None and entry.get("protocol", "tcp") == "tcp":
                result.append((entry.get("host_ip", ""), int(entry["published"]), int(entry["target"])))
            continue
        text = str(entry).split("/")[0]
        parts = text.rsplit(":", 2)
        if len(parts) == 3:
            result.append((parts[0], int(parts[1]), int(parts[2])))
        elif len(parts) == 2:
            result.append(("", int(parts[0]), int(parts[1])))
    return result


def parse_listeners(text: str | None, where: str, key: str, report: Report) -> list[tuple[str, str, int]]:
    result = []
    for item in (text or "").split(","):
        if not item.strip():
            continue
        match = LISTENER_RE.match(item)
        if not match:
            report.add(where, f"{key} entry {item.strip()!r} is not NAME://host:port")
            continue
        result.append((match.group(1).upper(), match.group(2).strip("[]"), int(match.group(3))))
    return result


def effective_config(root: Path, process: str, env: dict[str, str]) -> dict[str, str]:
    """Shared file, then environment (FJORD_ wins over KAFKA_ for the same key), as the processes resolve them."""
    config = dict(read_properties(root / SHARED_CONFIG[process])) if (root / SHARED_CONFIG[process]).exists() else {}
    for prefix in ENV_PREFIXES:
        for name, value in sorted(env.items()):
            if name.startswith(prefix) and value is not None:
                config[property_name(name)] = value
    return config


def enabled(service: dict, profiles: set[str]) -> bool:
    """Whether compose starts `service` when `profiles` are active (services without profiles always start)."""
    own = set(service.get("profiles") or [])
    return not own or bool(own & profiles)


def check_references(compose: dict, profiles: set[str], report: Report) -> None:
    services = compose.get("services") or {}
    volumes = set((compose.get("volumes") or {}).keys())
    networks = set((compose.get("networks") or {}).keys()) | {"default"}
    used_volumes: set[str] = set()
    for name, service in services.items():
        where = f"service {name}"
        for dep, cfg in service["depends_on"].items():
            if dep not in services:
                report.add(where, f"depends_on names unknown service {dep!r}")
                continue
            condition = (cfg or {}).get("condition", "service_started")
            if condition == "service_healthy" and not has_healthcheck(services[dep]):
                report.add(where, f"waits for {dep} to be healthy, but {dep} has no healthcheck")
            if enabled(service, profiles) and not enabled(services[dep], profiles):
                wanted = sorted(services[dep].get("profiles") or [])
                active = f"profiles {sorted(profiles)}" if profiles else "no profile"
                report.add(where, f"depends on {dep}, which only runs with profile(s) {wanted} (checked with {active})")
        for network in service["networks"]:
            if network not in networks:
                report.add(where, f"uses undeclared network {network!r}")
        for mount in service.get("volumes") or []:
            source = mount.get("source") if isinstance(mount, dict) else str(mount).split(":")[0]
            kind = mount.get("type", "volume") if isinstance(mount, dict) else None
            if not source:
                continue
            if source.startswith((".", "/", "~")) or kind == "bind":
                continue  # bind mounts are checked against the repository in check_bind_mounts
            used_volumes.add(source)
            if source not in volumes:
                report.add(where, f"mounts undeclared volume {source!r}")
    for volume in sorted(volumes - used_volumes):
        report.add("volumes", f"volume {volume!r} is declared but no service mounts it")


def check_bind_mounts(root: Path, compose: dict, report: Report) -> None:
    for name, service in (compose.get("services") or {}).items():
        for mount in service.get("volumes") or []:
            source = mount.get("source") if isinstance(mount, dict) else str(mount).split(":")[0]
            if source and source.startswith("."):
                if not (root / source).exists():
                    report.add(f"service {name}", f"bind mount source {source} does not exist")
        build = service.get("build")
        if isinstance(build, dict):
            context = root / build.get("context", ".")
            dockerfile = context / build.get("dockerfile", "Dockerfile")
            if not dockerfile.exists():
                report.add(f"service {name}", f"build.dockerfile {dockerfile.relative_to(root)} does not exist")


def service_names_on(services: dict, name: str) -> dict[str, set[str]]:
    """For service `name`: each network it joins -> the names it answers to there."""
    service = services[name]
    names = {name}
    if service.get("hostname"):
        names.add(service["hostname"])
    if service.get("container_name"):
        names.add(service["container_name"])
    return {network: names | set((cfg or {}).get("aliases") or []) for network, cfg in service["networks"].items()}


def check_listeners(root: Path, compose: dict, report: Report) -> None:
    services = compose.get("services") or {}
    advertised_everywhere: dict[tuple[str, int], str] = {}
    published_everywhere: dict[int, str] = {}
    for name, service in services.items():
        for _, host_port, _ in published_ports(service):
            if host_port in published_everywhere:
                report.add(f"service {name}", f"host port {host_port} is also published by "
                                              f"{published_everywhere[host_port]}")
            published_everywhere[host_port] = name
    for name, service in services.items():
        process = fjord_process(service)
        if process is None:
            continue
        where = f"service {name}"
        config = effective_config(root, process, service["environment"])
        bound = parse_listeners(config.get("listeners"), where, "listeners", report)
        advertised = parse_listeners(config.get("advertised.listeners") or config.get("listeners"), where,
                                     "advertised.listeners", report)
        bound_by_name = {listener: port for listener, _, port in bound}
        if len(bound_by_name) != len(bound):
            report.add(where, "listeners names a listener twice")
        if len({port for _, _, port in bound}) != len(bound):
            report.add(where, "two listeners bind the same port")
        protocol_map = {entry.split(":")[0].strip().upper()
                        for entry in (config.get("listener.security.protocol.map") or "").split(",") if ":" in entry}
        if process == "broker":
            for listener in bound_by_name:
                if protocol_map and listener not in protocol_map:
                    report.add(where, f"listener {listener} is missing from listener.security.protocol.map")
        own_names = service_names_on(services, name)
        all_own = set().union(*own_names.values()) if own_names else {name}
        published = {host_port: target for _, host_port, target in published_ports(service)}
        for listener, host, port in advertised:
            key = (host.lower(), port)
            if key in advertised_everywhere:
                report.add(where, f"advertised listener {listener}://{host}:{port} is also advertised by "
                                  f"{advertised_everywhere[key]}")
            advertised_everywhere[key] = name
            if listener not in bound_by_name:
                report.add(where, f"advertises {listener}, which is not among its listeners")
                continue
            if host in ("localhost", "127.0.0.1", "::1"):
                if published.get(port) != bound_by_name[listener]:
                    report.add(where, f"advertises {listener}://{host}:{port} for clients on the host, but host port "
                                      f"{port} is not published to the {listener} listener's port "
                                      f"{bound_by_name[listener]}")
            elif host in all_own:
                if port != bound_by_name[listener]:
                    report.add(where, f"advertises {listener}://{host}:{port} inside the network, but the "
                                      f"{listener} listener binds port {bound_by_name[listener]}")
            else:
                report.add(where, f"advertised host {host!r} ({listener}) is neither localhost nor a name this "
                                  f"service has on its networks ({', '.join(sorted(all_own))})")
        if process == "broker":
            inter = (config.get("inter.broker.listener.name") or "").upper()
            hosts = {listener: host for listener, host, _ in advertised}
            if inter and inter not in hosts:
                report.add(where, f"inter.broker.listener.name {inter} is not advertised")
            elif inter and hosts[inter] in ("localhost", "127.0.0.1", "::1"):
                report.add(where, f"the inter-broker listener {inter} is advertised as {hosts[inter]}, which other "
                                  "brokers and the controllers cannot reach")


def check_environment(root: Path, compose: dict, keys: dict[str, set[str]], report: Report) -> None:
    for name, service in (compose.get("services") or {}).items():
        process = fjord_process(service)
        if process is None:
            continue
        for variable in sorted(service["environment"]):
            prop = property_name(variable)
            if prop is not None and prop not in keys[process]:
                report.add(f"service {name}", f"{variable} maps to {prop!r}, which fjord-{process} does not read")


def check_properties_files(root: Path, keys: dict[str, set[str]], report: Report) -> None:
    for files in (SHARED_CONFIG, MULTI_HOST_CONFIG):
        for process, relative in files.items():
            path = root / relative
            if not path.exists():
                report.add(relative, "missing")
                continue
            for key in sorted(read_properties(path)):
                if key not in keys[process]:
                    report.add(relative, f"key {key!r} is not one fjord-{process} reads")


def cluster_script_env(root: Path) -> dict[str, set[str]]:
    """The KAFKA_*/FJORD_* variables scripts/cluster.py sets per process kind, and the config files it passes."""
    tree = ast.parse((root / "scripts/cluster.py").read_text())
    result: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            names = {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            env = {n for n in names if n.startswith(ENV_PREFIXES)}
            if "KAFKA_BROKER_ID" in env:
                result["broker"] = env
            elif "KAFKA_CONTROLLER_ID" in env:
                result["controller"] = env
    return result


def check_drift(root: Path, compose: dict, keys: dict[str, set[str]], report: Report) -> None:
    script = (root / "scripts/cluster.py").read_text()
    script_env = cluster_script_env(root)
    for process, relative in SHARED_CONFIG.items():
        if relative not in script:
            report.add("scripts/cluster.py", f"does not pass {relative} (compose and `make cluster` must share it)")
        for variable in sorted(script_env.get(process, set())):
            prop = property_name(variable)
            if prop not in keys[process]:
                report.add("scripts/cluster.py", f"{variable} maps to {prop!r}, which fjord-{process} does not read")
    for name, service in (compose.get("services") or {}).items():
        process = fjord_process(service)
        if process is None:
            continue
        where = f"service {name}"
        config_file = Path(SHARED_CONFIG[process]).name
        command = [str(w) for w in (service.get("command") or [])]
        config_path = next((command[i + 1] for i, w in enumerate(command[:-1]) if w in ("--config", "-c")), None)
        if config_path is None or Path(config_path).name != config_file:
            report.add(where, f"does not run with --config …/{config_file}")
            continue
        mounted = False
        for mount in service.get("volumes") or []:
            text = mount if isinstance(mount, str) else f"{mount.get('source')}:{mount.get('target')}"
            source, _, target = str(text).partition(":")
            target = target.split(":")[0]
            if (root / source).resolve() == (root / "deploy/config").resolve() and \
                    str(Path(config_path).parent) == target.rstrip("/"):
                mounted = True
        if not mounted:
            report.add(where, f"{config_path} is not deploy/config mounted from the repository")
        env = {v for v in service["environment"] if v.startswith(ENV_PREFIXES)}
        expected = script_env.get(process)
        if expected is not None and env != expected:
            missing, extra = sorted(expected - env), sorted(env - expected)
            report.add(where, f"sets other KAFKA_* variables than scripts/cluster.py's {process}s "
                              f"(missing {missing}, extra {extra})")


def image_executables(root: Path, dockerfile: Path) -> tuple[set[str], list[str]]:
    """What the image provides on its PATH (products built, scripts copied to a bin directory, bash) and the problems
    found in the Dockerfile."""
    problems: list[str] = []
    text = dockerfile.read_text()
    lines = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    package = (root / "Package.swift").read_text()
    executables = set(re.findall(r'executableTarget\(\s*name:\s*"([^"]+)"', package))
    ignore = dockerignore_patterns(dockerfile)
    provided = {"bash", "sh"}
    stop_signal = None
    for line in lines:
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction in ("COPY", "ADD"):
            words = [w for w in rest.split() if not w.startswith("--chown") and not w.startswith("--chmod")]
            if any(w.startswith("--from") for w in words):
                continue
            words = [w for w in words if not w.startswith("--")]
            *sources, destination = words
            for source in sources:
                if not (root / source).exists():
                    problems.append(f"{instruction} source {source} does not exist")
                    continue
                if source.rstrip("/").split("/")[0] in ignore or source.rstrip("/") in ignore:
                    problems.append(f"{instruction} source {source} is excluded by the .dockerignore")
                    continue
                if destination.rstrip("/").endswith("/bin") or "/bin/" in destination:
                    provided.add(Path(destination).name if not destination.endswith("/") else Path(source).name)
        if instruction == "RUN":
            for product in re.findall(r"--product\s+(\S+)", rest):
                if product not in executables:
                    problems.append(f"builds --product {product}, which Package.swift does not declare")
                provided.add(product)
        if instruction == "STOPSIGNAL":
            stop_signal = rest.strip()
        if instruction == "ARG" and rest.startswith("SWIFT_IMAGE="):
            check_swift_image(rest.split("=", 1)[1], problems)
    if stop_signal not in ("SIGTERM", "15"):
        problems.append(f"STOPSIGNAL is {stop_signal}, expected SIGTERM (a broker's SIGTERM is a controlled shutdown)")
    return provided, problems


def dockerignore_patterns(dockerfile: Path) -> set[str]:
    for candidate in (dockerfile.with_name(dockerfile.name + ".dockerignore"), ROOT / ".dockerignore"):
        if candidate.exists():
            return {line.strip().rstrip("/") for line in candidate.read_text().splitlines()
                    if line.strip() and not line.startswith("#")}
    return set()


@functools.lru_cache(maxsize=1)
def local_swift_version() -> tuple[str, str] | None:
    """The local toolchain's (major, minor), or None without one."""
    try:
        output = subprocess.run(["swift", "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"Swift version (\d+)\.(\d+)", output)
    return (match.group(1), match.group(2)) if match else None


def check_swift_image(image: str, problems: list[str]) -> None:
    match = re.search(r"swift:(\d+)\.(\d+)", image)
    if not match:
        problems.append(f"builder image {image} is not a swift:MAJOR.MINOR image")
        return
    local = local_swift_version()
    if local and local != match.groups():
        problems.append(f"builder image {image} is Swift {'.'.join(match.groups())}, "
                        f"the toolchain here is {'.'.join(local)}")


def check_image(root: Path, compose: dict, report: Report) -> None:
    dockerfiles: dict[Path, tuple[set[str], list[str]]] = {}
    for name, service in (compose.get("services") or {}).items():
        build = service.get("build")
        if not isinstance(build, dict):
            continue
        dockerfile = root / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
        if not dockerfile.exists():
            continue
        if dockerfile not in dockerfiles:
            dockerfiles[dockerfile] = image_executables(root, dockerfile)
            for problem in dockerfiles[dockerfile][1]:
                report.add(str(dockerfile.relative_to(root)), problem)
        provided = dockerfiles[dockerfile][0]
        command = [str(w) for w in (service.get("command") or [])]
        if command and command[0] not in provided:
            report.add(f"service {name}", f"runs {command[0]}, which the image does not provide")
        test = (service.get("healthcheck") or {}).get("test") or []
        if isinstance(test, list) and test and test[0] == "CMD" and len(test) > 1 and test[1] not in provided:
            report.add(f"service {name}", f"health check runs {test[1]}, which the image does not provide")
        if fjord_process(service) and not service.get("stop_grace_period"):
            report.add(f"service {name}", "has no stop_grace_period (the default 10 s can cut a controlled shutdown)")


def declared_metric_names(root: Path) -> set[str]:
    names: set[str] = set()
    for path in swift_files(root, "Sources/FjordObservability"):
        names.update(re.findall(r'static let \w+ = "(fjord_[a-z0-9_]+)"', path.read_text()))
    return names


def metric_names_in(expr: str) -> set[str]:
    return set(re.findall(r"\b(fjord_[a-z0-9_]+)", expr))


def check_monitoring(root: Path, compose: dict, report: Report) -> None:
    declared = declared_metric_names(root)
    histogram_suffixes = ("_bucket", "_sum", "_count")

    def known(name: str) -> bool:
        return name in declared or any(name.endswith(s) and name[: -len(s)] in declared for s in histogram_suffixes)

    services = compose.get("services") or {}
    expected_targets = set()
    for name, service in services.items():
        process = fjord_process(service)
        if process is None:
            continue
        config = effective_config(root, process, service["environment"])
        port = config.get("metrics.port")
        if not port or port == "0":
            report.add(f"service {name}", "has no metrics port (metrics.port / KAFKA_METRICS_PORT)")
            continue
        expected_targets.add((f"fjord-{process}", f"{name}:{port}"))
    prometheus = root / "deploy/prometheus/prometheus.yml"
    if any("prometheus" in str(s.get("image", "")) for s in services.values()):
        config = load_yaml(prometheus.read_text())
        scraped = set()
        for job in config.get("scrape_configs") or []:
            for static in job.get("static_configs") or []:
                for target in static.get("targets") or []:
                    if job["job_name"].startswith("fjord-"):
                        scraped.add((job["job_name"], target))
        for job, target in sorted(expected_targets - scraped):
            report.add("deploy/prometheus/prometheus.yml", f"job {job} does not scrape {target}")
        for job, target in sorted(scraped - expected_targets):
            report.add("deploy/prometheus/prometheus.yml", f"job {job} scrapes {target}, which compose does not run")
        for rule_file in config.get("rule_files") or []:
            local = root / "deploy/prometheus" / Path(rule_file).name
            if not local.exists():
                report.add("deploy/prometheus/prometheus.yml", f"rule file {rule_file} is not in deploy/prometheus")
                continue
            for group in (load_yaml(local.read_text()) or {}).get("groups") or []:
                for rule in group.get("rules") or []:
                    for metric in metric_names_in(rule.get("expr", "")):
                        if not known(metric):
                            report.add(str(local.relative_to(root)), f"rule {rule.get('alert')} uses unknown "
                                                                     f"metric {metric}")
    for dashboard in sorted((root / "deploy/grafana/dashboards").glob("*.json")):
        data = json.loads(dashboard.read_text())
        for panel in data.get("panels") or []:
            for target in panel.get("targets") or []:
                for metric in metric_names_in(target.get("expr", "")):
                    if not known(metric):
                        report.add(str(dashboard.relative_to(root)),
                                   f"panel {panel.get('title')!r} uses unknown metric {metric}")
            uid = ((panel.get("datasource") or {}).get("uid"))
            if panel.get("type") != "row" and uid != "fjord-prometheus":
                report.add(str(dashboard.relative_to(root)), f"panel {panel.get('title')!r} uses datasource {uid}")


def check(root: Path = ROOT, files: list[Path] | None = None, profiles: set[str] | frozenset[str] = frozenset())\
        -> list[str]:
    """All problems of the compose files `files` (merged in order), started with `profiles` active, and of deploy/."""
    root = Path(root)
    files = files or [root / "docker-compose.yml"]
    report = Report()
    compose = load_compose(files)
    keys = {process: config_keys(root, process) for process in PROCESS_SOURCES}
    for process, found in keys.items():
        if not found:
            report.add(f"fjord-{process}", "no ConfigDefinition declarations found in "
                                           f"{', '.join(PROCESS_SOURCES[process])}")
    check_references(compose, set(profiles), report)
    check_bind_mounts(root, compose, report)
    check_listeners(root, compose, report)
    check_environment(root, compose, keys, report)
    check_properties_files(root, keys, report)
    check_drift(root, compose, keys, report)
    check_image(root, compose, report)
    check_monitoring(root, compose, report)
    return report.problems


def combinations(root: Path) -> list[tuple[list[Path], set[str]]]:
    """What `make check-compose` checks: the base file with no profile and with each of its profiles, and the base
    file merged with each override deploy/compose/NAME.yml with profile NAME active (as docs/operations.md runs it)."""
    base = root / "docker-compose.yml"
    document = load_yaml(base.read_text()) or {}
    all_profiles = sorted({p for svc in (document.get("services") or {}).values() for p in (svc or {}).get("profiles") or []})
    result: list[tuple[list[Path], set[str]]] = [([base], set())]
    result += [([base], {profile}) for profile in all_profiles]
    result += [([base, override], {override.stem}) for override in sorted((root / "deploy/compose").glob("*.yml"))]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=str(ROOT))
    parser.add_argument("--profile", action="append", default=[], help="profile to treat as active (repeatable)")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    runs = [([Path(f).resolve() for f in args.files], set(args.profile))] if args.files else combinations(root)
    failed = False
    for files, profiles in runs:
        label = " + ".join(str(f.relative_to(root)) if f.is_relative_to(root) else str(f) for f in files)
        label += f" (profiles: {', '.join(sorted(profiles))})" if profiles else ""
        problems = check(root, files, profiles)
        if problems:
            failed = True
            print(f"check-compose: {label}: {len(problems)} problem(s)")
            for problem in problems:
                print(f"  {problem}")
        else:
            print(f"check-compose: {label}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
