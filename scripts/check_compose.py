#!/usr/bin/env python
"""Check that docker-compose.yml keeps the two instances apart (README "Run both instances locally").

No Docker engine runs where the suite runs, so the file is checked statically: with ``docker compose config``
when the installed client has the compose plugin, and always with the rules below, on the YAML itself:

- every service belongs to one instance by its name (``home-…`` / ``biz-…``), and each instance has its
  database, Redis, web, worker and beat;
- a service joins only its own instance's network, named explicitly (a service without ``networks`` would join
  the shared ``default`` one); no ``network_mode`` (host, or another service's stack), no ``links``/``external_links``;
- a service reads only its own instance's env files, and no env file or ``environment`` value names the other
  instance's hosts;
- ``depends_on`` and named volumes stay inside the instance; an app image is built for its own instance.

Usage: ``python scripts/check_compose.py [docker-compose.yml]``; exit status 1 and one line per problem.
"""

import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
INSTANCES = ("home", "biz")
ROLES = ("db", "redis", "web", "worker", "beat")


def instance_of(name: str) -> str | None:
    prefix = name.split("-", 1)[0]
    return prefix if prefix in INSTANCES else None


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value)
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def env_file_paths(service: dict[str, Any]) -> list[str]:
    return [entry["path"] if isinstance(entry, dict) else str(entry) for entry in as_list(service.get("env_file"))]


def env_file_lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def environment_values(service: dict[str, Any]) -> list[str]:
    environment = service.get("environment") or {}
    if isinstance(environment, dict):
        return [f"{key}={value}" for key, value in environment.items()]
    return [str(item) for item in environment]


def names_other(text: str, other: str, other_services: Iterable[str]) -> bool:
    """Whether a path or a value points at the other instance: its env files or one of its hosts."""
    lowered = text.lower()
    if f".env.{other}" in lowered or f"{other}.env" in lowered or f"{other}-db.env" in lowered:
        return True
    return any(
        f"@{host}" in lowered or f"//{host}" in lowered or f"={host}" in lowered or f"{host}:" in lowered
        for host in other_services
    )


def compose_problems(document: dict[str, Any], base: Path = ROOT) -> list[str]:
    problems: list[str] = []
    services: dict[str, Any] = document.get("services") or {}
    declared_networks = set(document.get("networks") or {})
    by_instance: dict[str, list[str]] = {instance: [] for instance in INSTANCES}
    for name in services:
        instance = instance_of(name)
        if instance is None:
            problems.append(f"{name}: the name does not say its instance (home-… or biz-…)")
        else:
            by_instance[instance].append(name)

    for instance in INSTANCES:
        if instance not in declared_networks:
            problems.append(f"networks: no '{instance}' network")
        for role in ROLES:
            if f"{instance}-{role}" not in services:
                problems.append(f"{instance}: no {instance}-{role} service")
    for network, spec in (document.get("networks") or {}).items():
        if network not in INSTANCES:
            problems.append(f"networks: '{network}' belongs to no instance")
        if isinstance(spec, dict) and spec.get("external"):
            problems.append(f"networks: '{network}' is external (shared with whatever else uses it)")

    volume_owner: dict[str, str] = {}
    for name, service in services.items():
        instance = instance_of(name)
        if instance is None:
            continue
        other = "biz" if instance == "home" else "home"
        service = service or {}

        networks = as_list(service.get("networks"))
        if not networks:
            problems.append(f"{name}: names no network, so it joins the shared 'default' network")
        for network in networks:
            if network != instance:
                problems.append(f"{name}: joins the '{network}' network (only '{instance}' is allowed)")
        if "network_mode" in service:
            problems.append(f"{name}: network_mode {service['network_mode']!r} leaves its instance's network")
        for key in ("links", "external_links"):
            if service.get(key):
                problems.append(f"{name}: {key} reaches outside the compose networks")

        for path in env_file_paths(service):
            if names_other(path, other, by_instance[other]) or instance not in Path(path).name:
                problems.append(f"{name}: reads the env file {path} (not one of {instance}'s)")
            for line in env_file_lines(base / path):
                if names_other(line, other, by_instance[other]):
                    problems.append(f"{name}: {path} names {other}'s services: {line.split('=', 1)[0]}")
        for line in environment_values(service):
            if names_other(line, other, by_instance[other]):
                problems.append(f"{name}: environment names {other}'s services: {line.split('=', 1)[0]}")

        for dependency in as_list(service.get("depends_on")):
            if instance_of(str(dependency)) != instance:
                problems.append(f"{name}: depends on {dependency}, outside its instance")

        build = service.get("build")
        if isinstance(build, dict):
            built_for = (build.get("args") or {}).get("INSTANCE")
            if built_for != instance:
                problems.append(f"{name}: its image is built with INSTANCE={built_for}, not {instance}")
        image = str(service.get("image", ""))
        if image.startswith("alfred-") and not image.startswith(f"alfred-{instance}:"):
            problems.append(f"{name}: runs the image {image}")

        for volume in as_list(service.get("volumes")):
            source = str(volume).split(":", 1)[0] if isinstance(volume, str) else str(volume.get("source", ""))
            if not source or source.startswith((".", "/")):
                continue
            owner = volume_owner.setdefault(source, instance)
            if owner != instance:
                problems.append(f"{name}: mounts the volume {source}, which {owner} uses too")
    return problems


def docker_compose_config(path: Path) -> tuple[bool, str]:
    """``docker compose config -q`` when this machine's docker client has the compose plugin: (ran, output)."""
    docker = shutil.which("docker")
    if docker is None:
        return False, "no docker client"
    version = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, check=False)  # noqa: S603
    if version.returncode != 0:
        return False, "the docker client has no compose plugin"
    parsed = subprocess.run(  # noqa: S603
        [docker, "compose", "-f", str(path), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        cwd=path.parent,
    )
    if parsed.returncode != 0:
        raise SystemExit(f"docker compose config: {parsed.stderr.strip()}")
    return True, "docker compose config: ok"


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else ROOT / "docker-compose.yml"
    ran, note = docker_compose_config(path)
    print(note if ran else f"docker compose config not run ({note}); YAML rules only")
    problems = compose_problems(yaml.safe_load(path.read_text()), path.parent)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{path.name}: home and biz share no network, env file, host or volume")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
