"""Start the real entry points of an instance (web, worker, beat, a management command) in their own processes,
as a deployment starts them, against the test database and Redis."""

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
from django.conf import settings

from alfred.channels import channel_descriptions

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).parent / "celery")

ENTRY_POINTS = ("web", "worker", "beat", "command")


def channel_credentials() -> dict[str, str]:
    """Stand-in values for every setting this instance's channels cannot start without (boot checks only that
    they are set)."""
    return {
        name: f"test-{name.lower().replace('_', '-')}"
        for description in channel_descriptions()
        for name in description.required_settings
    }


def database_url(name: str | None = None) -> str:
    """The URL of the test database (or of another database on the same server)."""
    database = settings.DATABASES["default"]
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{name or database['NAME']}"


@functools.cache
def suite_role_bypasses_rls() -> bool:
    """True when the suite itself runs as a superuser or BYPASSRLS role (a single file run as postgres): the entry
    points would refuse that role at boot, so they are let through for local work. ``make test`` runs as the
    ordinary role alfred_app, where every process started here passes the real row-level security check."""
    database = settings.DATABASES["default"]
    with psycopg.connect(
        host=database["HOST"], port=database["PORT"], user=database["USER"], dbname="postgres"
    ) as server:
        row = server.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user").fetchone()
    return bool(row and row[0])


def configured_env(**changes: str | None) -> dict[str, str]:
    """The environment of a configured deployment of this instance; a change to None removes the variable."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": f"settings.{settings.INSTANCE}",
        "INSTANCE": settings.INSTANCE,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DEBUG": "0",
        **channel_credentials(),
    }
    if suite_role_bypasses_rls():
        env["ALFRED_ALLOW_UNPROTECTED_DATABASE"] = "1"
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def start(
    entry_point: str, env: dict[str, str], *, tmp: Path, command: tuple[str, ...] = ("showmigrations", "alfred")
) -> subprocess.CompletedProcess[str]:
    """Run one entry point until it exits. A worker or beat that is allowed to start runs until the timeout,
    so only start those where a refusal is expected."""
    queue = f"alfred-{settings.INSTANCE}"
    argv = {
        "web": [sys.executable, "-c", "import settings.wsgi"],
        "worker": [
            CELERY,
            "-A",
            "settings",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-mingle",
            "--without-gossip",
        ],
        "beat": [CELERY, "-A", "settings", "beat", "--schedule", str(tmp / "celerybeat-schedule")],
        "command": [sys.executable, "manage.py", *command],
    }[entry_point]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def log_records(output: str) -> list[dict[str, object]]:
    """Each line of a process's log output, parsed as the JSON object it must be (README "Isolation" 5)."""
    return [json.loads(line) for line in output.splitlines() if line.strip()]
