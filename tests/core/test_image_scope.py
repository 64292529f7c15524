"""Isolation layer 1, code: each instance's image holds only its own code, everything it runs on, and runs
as a non-root user; ``scripts/check_scope.py`` (the deploy guard-rail) proves it from the Dockerfile, the
ignore file and the Fly file, and fails naming each file or variable of the other instance.

Pure Python: no Docker engine. Each instance's cases run in that instance's own pass of the suite.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath
from types import ModuleType

import dockerfile
import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_check_scope() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_scope", ROOT / "scripts" / "check_scope.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_scope = load_check_scope()
OTHER = {"home": "biz", "biz": "home"}
OWN_SKILLS = {"home": "home_skills", "biz": "work_skills"}
OWN_CHANNEL = {"home": "channels_wa", "biz": "channels_slack"}
# The apps of the other instance only: channels_wa is shared channel code (biz's optional WhatsApp number).
FOREIGN_APPS = {"home": ("work_skills/", "channels_slack/"), "biz": ("home_skills/",)}
# The variables that switch an instance's optional channels on (settings/biz.py: biz's WhatsApp number).
OPTIONAL_CHANNEL_ENV = {
    "home": {},
    "biz": {"PHONE_ID": "1", "META_TOKEN": "t", "META_APP_SECRET": "s", "META_VERIFY_TOKEN": "v"},
}
INSTANCES = [pytest.param("home", marks=pytest.mark.home), pytest.param("biz", marks=pytest.mark.biz)]


def real_build(instance: str):
    return check_scope.build_from_fly(ROOT / "fly" / f"alfred-{instance}.toml", ROOT)


@pytest.fixture
def context_copy(tmp_path: Path) -> Path:
    """A copy of the repository as the builder receives it (plus the Fly files and the deploy workflow), to
    break one rule at a time."""
    extra = {"fly/alfred-home.toml", "fly/alfred-biz.toml", check_scope.WORKFLOW}
    for path in check_scope.context_paths(real_build("home")) | extra:
        source = ROOT / path
        if source.is_file():
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tmp_path / path)
    return tmp_path


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}: the test no longer breaks what it means to"
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize("instance", INSTANCES)
def test_each_image_holds_nothing_of_another_instance_and_everything_it_runs_on(instance):
    problems, summary = check_scope.check(instance)

    assert problems == [], "\n".join(map(str, problems))
    files = check_scope.image_of(real_build(instance)).files
    assert not [p for p in files if p.startswith(("tests/", "bench/", ".git/", "var/", *FOREIGN_APPS[instance]))]
    # settings/biz.py, templates/prompts/biz.txt, requirements/biz.txt… in the home image (and the reverse).
    assert not [p for p in files if OTHER[instance] in re.split(r"[^a-z0-9]+", p)]
    assert files["manage.py"] == "/app/manage.py"
    assert files[f"settings/{instance}.py"] == f"/app/settings/{instance}.py"
    assert f"templates/prompts/{instance}.txt" in files and f"requirements/{instance}.txt" in files
    assert "fly/start.sh" in files
    assert f"{instance} image:" in summary


@pytest.mark.parametrize("instance", INSTANCES)
def test_the_image_files_alone_start_the_instance_and_import_every_module(instance, tmp_path):
    """Lay out exactly the image's files and boot Django on them: system checks (apps, admin, URLs) pass
    and every module in the image imports, so nothing the instance needs was left out. An optional channel's
    modules (channels_wa in biz) import with its variables set, and the image also boots without them."""
    files = check_scope.image_of(real_build(instance)).files
    for source, in_image in files.items():
        target = tmp_path / PurePosixPath(in_image).relative_to("/app")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / source, target)
    modules = sorted(
        PurePosixPath(path).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
        for path in files
        # manage.py is a script; settings.wsgi is an entry point that boots the instance (README "Running it").
        if path.endswith(".py") and path not in ("manage.py", "settings/wsgi.py")
    )
    program = (
        "import importlib, sys, django\n"
        "django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('check', fail_level='ERROR')\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module(name)\n"
        "print('imported', len(sys.argv) - 1)\n"
    )
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "INSTANCE": instance,
        "DJANGO_SETTINGS_MODULE": f"settings.{instance}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    completed = subprocess.run(
        [sys.executable, "-c", program, *modules],
        cwd=tmp_path,
        env={**environment, **OPTIONAL_CHANNEL_ENV[instance]},
        capture_output=True,
        text=True,
        timeout=90,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert f"imported {len(modules)}" in completed.stdout
    assert len(modules) > 50
    if OPTIONAL_CHANNEL_ENV[instance]:
        plain = subprocess.run(
            [sys.executable, "-c", program],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert plain.returncode == 0, plain.stderr[-3000:]


@pytest.mark.parametrize("instance", INSTANCES)
def test_the_fly_file_builds_this_instance_from_the_one_dockerfile(instance):
    build = real_build(instance)

    assert build.dockerfile == ROOT / "Dockerfile"
    assert build.ignore_file == ROOT / ".dockerignore"
    assert build.args == {"INSTANCE": instance}
    assert build.context == ROOT


@pytest.mark.parametrize("instance", INSTANCES)
def test_the_script_exits_zero_on_the_real_tree(instance):
    """The deploy job runs it as a command; its exit status is the gate."""
    completed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_scope.py"), instance],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode == 0, completed.stderr
    assert "nothing of another instance, nothing missing" in completed.stdout


@pytest.mark.parametrize("instance", INSTANCES)
def test_a_stage_copying_the_other_instances_app_fails_naming_its_files(instance, context_copy, capsys):
    other_app, own_app = OWN_SKILLS[OTHER[instance]], OWN_SKILLS[instance]
    replace_in(
        context_copy / "Dockerfile",
        f"COPY {own_app}/ {own_app}/\n",
        f"COPY {own_app}/ {own_app}/\nCOPY {other_app}/ {other_app}/\n",
    )

    status = check_scope.main([instance, "--root", str(context_copy)])

    assert status == 1
    errors = capsys.readouterr().err
    leak = f"{other_app}/models.py (in the image at /app/{other_app}/models.py)"
    assert f"{leak}: app {other_app} belongs to {OTHER[instance]}" in errors


@pytest.mark.parametrize("instance", INSTANCES)
def test_an_ignore_file_that_lets_an_env_file_through_fails_naming_it(instance, context_copy, capsys):
    (context_copy / "alfred" / ".env").write_text("SOMETHING=stray\n")
    assert check_scope.main([instance, "--root", str(context_copy)]) == 0, "the intact ignore file keeps it out"
    replace_in(context_copy / ".dockerignore", "**/.env\n", "")

    status = check_scope.main([instance, "--root", str(context_copy)])

    assert status == 1
    assert (
        "alfred/.env (in the image at /app/alfred/.env): an environment file may hold secrets"
        in capsys.readouterr().err
    )


@pytest.mark.parametrize("instance", INSTANCES)
def test_an_ignore_file_that_sends_a_secret_to_the_builder_fails_naming_it(instance, context_copy, capsys):
    """Nothing copies a root .env into the image, but the context is uploaded to Fly's remote builder."""
    (context_copy / ".env.production").write_text("SOMETHING=stray\n")
    (context_copy / "var").mkdir()
    (context_copy / "var" / f"alfred-{instance}.sqlite3").write_bytes(b"")
    assert check_scope.main([instance, "--root", str(context_copy)]) == 0, "the allowlist keeps them out"
    # The ignore file this project had before: a short denylist.
    (context_copy / ".dockerignore").write_text(".venv\n.git\n__pycache__\n.env\n")

    assert check_scope.main([instance, "--root", str(context_copy)]) == 1
    errors = capsys.readouterr().err
    assert (
        ".env.production (in the build context): an environment file may hold secrets: it would be uploaded" in errors
    )
    assert (
        f"var/alfred-{instance}.sqlite3 (in the build context): local state (the embedded database) never leaves"
        in errors
    )


@pytest.mark.parametrize("instance", INSTANCES)
def test_an_ignore_file_that_drops_an_app_the_build_copies_is_refused(instance, context_copy, capsys):
    replace_in(context_copy / ".dockerignore", f"!{OWN_CHANNEL[instance]}/\n", "")

    status = check_scope.main([instance, "--root", str(context_copy)])

    assert status == 2
    assert f"COPY source '{OWN_CHANNEL[instance]}/' is not in the build context" in capsys.readouterr().err


@pytest.mark.parametrize("instance", INSTANCES)
def test_an_image_missing_an_installed_app_fails_naming_its_files(instance, context_copy, capsys):
    channel = OWN_CHANNEL[instance]
    replace_in(context_copy / "Dockerfile", f"COPY {channel}/ {channel}/\n", "")

    assert check_scope.main([instance, "--root", str(context_copy)]) == 1
    missing = f"{channel}/apps.py: the {instance} instance runs on it but the image has no /app/{channel}/apps.py"
    assert missing in capsys.readouterr().err


@pytest.mark.biz
def test_the_biz_image_carries_the_whatsapp_channel_and_fails_without_it(context_copy, capsys):
    """Biz's optional WhatsApp number is switched on by its variables alone: the image must already hold the
    channel's code, while home's skills stay out (test above)."""
    files = check_scope.image_of(real_build("biz")).files
    assert files["channels_wa/views.py"] == "/app/channels_wa/views.py"
    biz_stage = "FROM base AS app-biz\nCOPY work_skills/ work_skills/\nCOPY channels_slack/ channels_slack/\n"
    dockerfile_text = (context_copy / "Dockerfile").read_text()
    start = dockerfile_text.index(biz_stage)
    end = dockerfile_text.index("COPY channels_wa/ channels_wa/\n", start) + len("COPY channels_wa/ channels_wa/\n")
    (context_copy / "Dockerfile").write_text(dockerfile_text[:start] + biz_stage + dockerfile_text[end:])

    assert check_scope.main(["biz", "--root", str(context_copy)]) == 1
    missing = "channels_wa/apps.py: the biz instance runs on it but the image has no /app/channels_wa/apps.py"
    assert missing in capsys.readouterr().err
    assert check_scope.main(["home", "--root", str(context_copy)]) == 0, "home's stage still copies it"


@pytest.mark.parametrize("instance", INSTANCES)
def test_the_final_user_is_not_root_and_owns_var(instance):
    user = check_scope.image_of(real_build(instance)).user
    uid = user.split(":", 1)[0]

    assert uid.isdigit() and int(uid) != 0, f"USER {user!r}: a fixed, non-root uid"
    final_stage_runs: list[str] = []
    for command in dockerfile.parse_file(str(ROOT / "Dockerfile")):
        if command.cmd == "FROM":
            final_stage_runs = []
        elif command.cmd == "RUN":
            final_stage_runs.extend(command.value)
    # var/ is the one place it writes (SQLite when embedded, celery beat's schedule); the code stays root's.
    assert any(re.search(rf"install -d\b[^&]*-o {uid}\b[^&]*/app/var\b", run) for run in final_stage_runs)


@pytest.mark.parametrize("instance", INSTANCES)
def test_an_image_without_a_user_fails_as_root(instance, context_copy, capsys):
    replace_in(context_copy / "Dockerfile", "USER 10001:10001\n", "")

    assert check_scope.main([instance, "--root", str(context_copy)]) == 1
    assert "Dockerfile USER (none): the image would run as root" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("instance", "foreign_lines", "named"),
    [
        pytest.param(
            "home",
            'SLACK_TEAM_ID = "T0"\n  SLACK_SOMETHING_NEW = "x"\n',
            ["variable SLACK_SOMETHING_NEW", "variable SLACK_TEAM_ID"],
            marks=pytest.mark.home,
        ),
        pytest.param(
            "biz",
            'PHONE_ID = "1"\n  META_SOMETHING_NEW = "x"\n',
            ["variable META_SOMETHING_NEW", "variable PHONE_ID"],
            marks=pytest.mark.biz,
        ),
    ],
)
def test_a_fly_file_with_the_other_channels_variables_fails_naming_each(
    instance, foreign_lines, named, context_copy, capsys
):
    fly_file = context_copy / "fly" / f"alfred-{instance}.toml"
    replace_in(fly_file, "[env]\n", f"[env]\n  {foreign_lines}")

    assert check_scope.main([instance, "--root", str(context_copy)]) == 1
    errors = capsys.readouterr().err
    for variable in named:
        assert f"alfred-{instance}.toml: {variable}: read by a channel this instance does not use" in errors


@pytest.mark.parametrize("instance", INSTANCES)
def test_a_fly_file_naming_the_other_instance_fails(instance, context_copy, capsys):
    fly_file = context_copy / "fly" / f"alfred-{instance}.toml"
    replace_in(
        fly_file,
        f'DJANGO_SETTINGS_MODULE = "settings.{instance}"',
        f'DJANGO_SETTINGS_MODULE = "settings.{OTHER[instance]}"',
    )

    assert check_scope.main([instance, "--root", str(context_copy)]) == 1
    assert f"'settings.{OTHER[instance]}': names the {OTHER[instance]} instance" in capsys.readouterr().err


@pytest.mark.parametrize("instance", INSTANCES)
def test_a_fly_file_pointing_at_a_missing_dockerfile_is_refused(instance, context_copy, capsys):
    """flyctl resolves [build] dockerfile against the Fly file's own directory, not the repository root."""
    replace_in(
        context_copy / "fly" / f"alfred-{instance}.toml", 'dockerfile = "../Dockerfile"', 'dockerfile = "Dockerfile"'
    )

    assert check_scope.main([instance, "--root", str(context_copy)]) == 2
    assert "cannot evaluate" in capsys.readouterr().err


# --- the deploy workflow (.github/workflows/deploy.yml) ---------------------------------------------------

FOREIGN_SECRET = {"home": "SLACK_BOT_TOKEN", "biz": "META_TOKEN"}
DEPLOY_ENV = "          FLY_API_TOKEN: ${{ secrets.FLY_API_TOKEN }}\n"


@pytest.mark.parametrize("instance", INSTANCES)
def test_the_fly_file_deploys_its_own_app_in_madrid_with_256_mb_and_migrates_once_per_release(instance):
    config = check_scope.read_fly_file(ROOT / "fly" / f"alfred-{instance}.toml")

    assert config["app"] == f"alfred-{instance}-eu"
    assert config["primary_region"] == "mad"
    assert config["vm"] == [{"memory": "256mb", "cpu_kind": "shared", "cpus": 1}]
    assert config["deploy"]["release_command"] == "python manage.py migrate --noinput"
    assert config["env"] == {
        "INSTANCE": instance,
        "DJANGO_SETTINGS_MODULE": f"settings.{instance}",
        "PORT": "8000",
        # Fly's proxy overwrites this header with the client's address (the admin login lockout counts by it).
        "ALFRED_CLIENT_IP_HEADER": "Fly-Client-IP",
        # Reached only over HTTPS (force_https): redirect, HSTS, Secure cookies (tests/core/test_deploy_check.py).
        "ALFRED_HTTPS": "1",
    }
    assert [check["path"] for check in config["http_service"]["checks"]] == ["/healthz/"]
    # Migrations run in the release command, not at every start of every machine.
    assert "migrate" not in (ROOT / "fly" / "start.sh").read_text()


def test_the_workflow_deploys_both_instances_each_after_its_guard_rail():
    import yaml

    workflow = yaml.safe_load((ROOT / check_scope.WORKFLOW).read_text())
    deploy = workflow["jobs"]["deploy"]
    runs = [step.get("run", "") for step in deploy["steps"]]
    guard = next(i for i, run in enumerate(runs) if "scripts/check_scope.py ${{ matrix.instance }}" in run)
    flyctl = next(i for i, run in enumerate(runs) if "flyctl deploy -c fly/alfred-${{ matrix.instance }}.toml" in run)

    assert deploy["strategy"]["matrix"]["instance"] == ["home", "biz"]
    assert deploy["needs"] == "test" and "refs/heads/main" in deploy["if"]
    assert guard < flyctl
    assert deploy["environment"] == "${{ matrix.instance }}"
    assert deploy["steps"][flyctl]["env"] == {"FLY_API_TOKEN": "${{ secrets.FLY_API_TOKEN }}"}
    services = workflow["jobs"]["test"]["services"]
    assert {"postgres", "redis"} <= set(services)
    assert any(step.get("run") == "make test" for step in workflow["jobs"]["test"]["steps"])


@pytest.mark.parametrize("instance", INSTANCES)
def test_a_deploy_step_with_the_other_channels_secret_fails_naming_it(instance, context_copy, capsys):
    secret = FOREIGN_SECRET[instance]
    replace_in(
        context_copy / check_scope.WORKFLOW,
        DEPLOY_ENV,
        f"{DEPLOY_ENV}          {secret}: ${{{{ secrets.{secret} }}}}\n",
    )

    assert check_scope.main([instance, "--root", str(context_copy)]) == 1
    errors = capsys.readouterr().err
    assert f"deploy step Deploy: variable {secret}: read by a channel this instance does not use" in errors


@pytest.mark.parametrize("instance", INSTANCES)
def test_a_deploy_script_setting_the_other_channels_secret_fails_naming_it(instance, context_copy, capsys):
    secret = FOREIGN_SECRET[instance]
    replace_in(
        context_copy / check_scope.WORKFLOW,
        "      - name: Deploy\n",
        f'      - name: Secrets\n        run: flyctl secrets set {secret}="$TOKEN" --stage\n      - name: Deploy\n',
    )

    assert check_scope.main([instance, "--root", str(context_copy)]) == 1
    assert f"deploy step Secrets: variable {secret}" in capsys.readouterr().err


@pytest.mark.parametrize("instance", INSTANCES)
def test_a_step_that_runs_only_for_the_other_instance_may_use_its_variables(instance, context_copy, capsys):
    """The guard-rail judges the deploy this instance's matrix entry runs: a step whose `if:` is for the other
    instance is the other instance's business (and its own guard-rail run accepts its own variables)."""
    other = OTHER[instance]
    secret = FOREIGN_SECRET[instance]
    replace_in(
        context_copy / check_scope.WORKFLOW,
        "      - name: Deploy\n",
        f"      - name: Other secrets\n        if: matrix.instance == '{other}'\n"
        f"        run: flyctl secrets set {secret}=x --stage\n      - name: Deploy\n",
    )

    assert check_scope.main([instance, "--root", str(context_copy)]) == 0, capsys.readouterr().err
    assert check_scope.main([other, "--root", str(context_copy)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("instance", INSTANCES)
def test_a_deploy_step_naming_the_other_instances_fly_file_fails(instance, context_copy, capsys):
    replace_in(
        context_copy / check_scope.WORKFLOW,
        "flyctl deploy -c fly/alfred-${{ matrix.instance }}.toml",
        f"flyctl deploy -c fly/alfred-{OTHER[instance]}.toml",
    )

    assert check_scope.main([instance, "--root", str(context_copy)]) == 1
    assert f"names the {OTHER[instance]} instance" in capsys.readouterr().err


@pytest.mark.parametrize("instance", INSTANCES)
def test_a_matrix_without_the_instance_or_a_missing_workflow_is_refused(instance, context_copy, capsys):
    workflow = context_copy / check_scope.WORKFLOW
    replace_in(workflow, "instance: [home, biz]", f"instance: [{OTHER[instance]}]")
    assert check_scope.main([instance, "--root", str(context_copy)]) == 1
    assert f"its matrix does not deploy {instance}" in capsys.readouterr().err

    workflow.unlink()
    assert check_scope.main([instance, "--root", str(context_copy)]) == 2
    assert "deploy.yml is missing" in capsys.readouterr().err
