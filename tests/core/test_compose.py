"""docker-compose.yml runs home and biz side by side with nothing shared between the halves. No Docker engine
runs here: ``scripts/check_compose.py`` checks the file (and runs ``docker compose config`` where the client
has the compose plugin). Each rule is shown catching the mistake it is for."""

import copy
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

pytestmark = pytest.mark.home  # about a file, not an instance: run once

ROOT = Path(__file__).resolve().parents[2]


def load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_compose", ROOT / "scripts" / "check_compose.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_compose = load_checker()


@pytest.fixture
def compose() -> dict:
    return copy.deepcopy(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def test_the_compose_file_runs_each_instance_on_its_own(compose):
    assert check_compose.compose_problems(compose) == []
    for instance in ("home", "biz"):
        services = {name: spec for name, spec in compose["services"].items() if name.startswith(f"{instance}-")}
        assert set(services) == {f"{instance}-{role}" for role in ("db", "redis", "web", "worker", "beat")}
        assert {tuple(spec["networks"]) for spec in services.values()} == {(instance,)}
        for role in ("web", "worker", "beat"):
            assert services[f"{instance}-{role}"]["build"]["args"]["INSTANCE"] == instance
            assert services[f"{instance}-{role}"]["env_file"][0] == f"compose/{instance}.env"
    assert set(compose["networks"]) == {"home", "biz"}


def test_docker_compose_config_parses_it_where_the_client_can():
    ran, note = check_compose.docker_compose_config(ROOT / "docker-compose.yml")
    if not ran:
        pytest.skip(f"docker compose config not available here: {note} (the YAML rules above still ran)")


def test_a_home_service_on_the_biz_network_is_caught(compose):
    compose["services"]["home-web"]["networks"] = ["home", "biz"]

    assert check_compose.compose_problems(compose) == ["home-web: joins the 'biz' network (only 'home' is allowed)"]


def test_a_home_service_reading_the_biz_env_file_is_caught(compose):
    compose["services"]["home-worker"]["env_file"] = ["compose/home.env", "compose/biz.env"]

    problems = check_compose.compose_problems(compose)

    assert problems[0] == "home-worker: reads the env file compose/biz.env (not one of home's)"
    # ...and what is in it points at biz's database and Redis.
    assert "home-worker: compose/biz.env names biz's services: DATABASE_URL" in problems


def test_a_service_without_a_network_or_on_the_hosts_is_caught(compose):
    del compose["services"]["biz-beat"]["networks"]
    compose["services"]["home-redis"]["network_mode"] = "host"

    problems = check_compose.compose_problems(compose)

    assert "biz-beat: names no network, so it joins the shared 'default' network" in problems
    assert "home-redis: network_mode 'host' leaves its instance's network" in problems


def test_an_env_file_or_variable_naming_the_other_instances_host_is_caught(compose, tmp_path):
    (tmp_path / "compose").mkdir()
    for name in ("home.env", "biz.env", "home-db.env", "biz-db.env"):
        shutil.copy(ROOT / "compose" / name, tmp_path / "compose" / name)
    with (tmp_path / "compose" / "home.env").open("a") as env_file:
        env_file.write("DATABASE_URL=postgres://alfred:x@biz-db:5432/alfred\n")
    compose["services"]["biz-web"]["environment"] = {"REDIS_URL": "redis://home-redis:6379/0"}

    problems = check_compose.compose_problems(compose, tmp_path)

    assert "home-web: compose/home.env names biz's services: DATABASE_URL" in problems
    assert "biz-web: environment names home's services: REDIS_URL" in problems


def test_a_shared_volume_or_a_cross_dependency_or_the_wrong_image_is_caught(compose):
    compose["services"]["biz-db"]["volumes"] = ["home-db-data:/var/lib/postgresql/data"]
    compose["services"]["biz-worker"]["depends_on"] = {"home-web": {"condition": "service_started"}}
    compose["services"]["home-beat"]["build"] = {"context": ".", "args": {"INSTANCE": "biz"}}

    problems = check_compose.compose_problems(compose)

    assert "biz-db: mounts the volume home-db-data, which home uses too" in problems
    assert "biz-worker: depends on home-web, outside its instance" in problems
    assert "home-beat: its image is built with INSTANCE=biz, not home" in problems


def test_the_script_exits_1_on_a_broken_file(compose, tmp_path):
    compose["services"]["home-web"]["networks"] = ["biz"]
    (tmp_path / "compose").mkdir()
    for name in ("home.env", "biz.env", "home-db.env", "biz-db.env"):
        shutil.copy(ROOT / "compose" / name, tmp_path / "compose" / name)
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(compose))

    good = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_compose.py")], capture_output=True, text=True)
    bad = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_compose.py"), str(broken)], capture_output=True, text=True
    )

    assert good.returncode == 0, good.stdout
    assert bad.returncode == 1 and "home-web: joins the 'biz' network" in bad.stdout
