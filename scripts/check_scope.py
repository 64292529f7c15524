"""The scope guard-rail: ``python scripts/check_scope.py home|biz`` fails if the instance's image or Fly
file carries anything of the other instance.

It builds nothing. From the instance's Fly file it takes the build (Dockerfile, ignore file, build
arguments) exactly as ``fly deploy`` does, parses the Dockerfile with BuildKit's own parser, filters the
build context with docker-py's ``.dockerignore`` matcher, and follows the COPY/ADD lines of the stages the
build ends on. Each file of the resulting image, and each variable the Fly file sets or references, is
judged by ownership read from the code, never from a list kept here:

- an app (a top-level package with ``apps.py``) ships only in the images of the instances its AppConfig's
  ``alfred_instances`` names (the owner is named in the message), or, without that declaration, in those whose
  settings module installs it. So ``channels_wa`` ships in biz too: biz's settings install it only when its
  optional WhatsApp number is configured, and the image must be able to do so; ``home_skills`` never does;
- a file or value named after another instance (``settings/biz.py``, ``templates/prompts/home.txt``,
  ``requirements/biz.txt``) belongs to that instance;
- a variable read by a channel the instance does not use (its ``ChannelDescription.env_vars``) is foreign,
  whether the Fly file or the workflow's deploy job for this instance (``.github/workflows/deploy.yml``, the
  matrix entry of this instance, steps whose ``if:`` excludes it left out) references it. "Use" is what the
  settings install without optional variables: biz's WhatsApp number is switched on by secrets set on the
  machine (``fly secrets set``), never by the Fly file or the deploy job, so home's values cannot be wired
  into biz's deploy;
- tests, benchmarks, docs, local state and secrets never ship.

It also fails when the image lacks something the instance runs on (its settings, the core, each installed
app, templates, the start script, its requirements) and when the image would run as root.

Exit status: 0 clean, 1 leak or missing file or root, 2 the build could not be evaluated.
"""

import argparse
import fnmatch
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import dockerfile
import yaml
from docker.utils.build import exclude_paths

ROOT = Path(__file__).resolve().parent.parent

# Never in any image: (pattern over the build-context path, why).
NEVER_SHIPPED: tuple[tuple[str, str], ...] = (
    ("tests/*", "tests never ship"),
    ("bench/*", "benchmarks never ship"),
    (".git/*", "version control never ships"),
    ("var/*", "local state never ships"),
    (".env", "an environment file may hold secrets"),
    ("*/.env", "an environment file may hold secrets"),
    (".env.*", "an environment file may hold secrets"),
    ("*/.env.*", "an environment file may hold secrets"),
    ("*.md", "docs are not needed at run time"),
    ("*/__pycache__/*", "local bytecode never ships"),
    ("*.pyc", "local bytecode never ships"),
    ("*.sqlite3", "a local database never ships"),
)
# Never even in the build context: Fly's builder is remote, so the context leaves the machine.
NEVER_SENT: tuple[tuple[str, str], ...] = (
    (".env", "an environment file may hold secrets"),
    ("*/.env", "an environment file may hold secrets"),
    (".env.*", "an environment file may hold secrets"),
    ("*/.env.*", "an environment file may hold secrets"),
    ("var/*", "local state (the embedded database) never leaves the machine"),
    ("*.sqlite3", "a local database never leaves the machine"),
)
# The files every image runs on besides its apps, its settings and its templates.
ALWAYS_NEEDED = ("manage.py", "fly/start.sh", "requirements/base.txt")
ROOT_USERS = {"", "root", "0"}


class Unevaluable(Exception):
    """The build uses something this check cannot follow; it refuses rather than guess."""


@dataclass(frozen=True)
class Problem:
    subject: str
    reason: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.reason}"


@dataclass(frozen=True)
class Facts:
    """What the code says about one instance (read in a clean subprocess, see ``read_facts``)."""

    instance: str
    instances: tuple[str, ...]
    installed_apps: frozenset[str]
    # Top-level packages with an apps.py → the instances their AppConfig names (None: not declared).
    project_apps: dict[str, list[str] | None]
    channel_apps: frozenset[str]
    # Every channel app of the project → the environment variables its ChannelDescription reads.
    channel_env_vars: dict[str, list[str]]

    @property
    def others(self) -> tuple[str, ...]:
        return tuple(name for name in self.instances if name != self.instance)

    def ships(self, app: str) -> bool:
        """Whether this instance's image carries the app: its settings install it, or its AppConfig names this
        instance (an app the settings install only on demand, such as biz's optional WhatsApp channel)."""
        owners = self.project_apps.get(app)
        return app in self.installed_apps or (owners is not None and self.instance in owners)


@dataclass
class Stage:
    name: str
    base: str
    workdir: str = "/"
    user: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    # (sources, destination, line) of each COPY/ADD from the build context.
    copies: list[tuple[list[str], str, int]] = field(default_factory=list)
    # Stages this one copies from with COPY --from.
    copies_from: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Build:
    """One image as ``fly deploy -c <fly file>`` builds it from the repository root."""

    context: Path
    dockerfile: Path
    ignore_file: Path
    args: dict[str, str]
    target: str


@dataclass(frozen=True)
class Image:
    # Build-context path → its path in the image.
    files: dict[str, str]
    workdir: str
    user: str


# --- facts from the code ----------------------------------------------------------------------------------

FACTS_PROGRAM = """
import importlib, json, sys
from pathlib import Path
root, instance = Path(sys.argv[1]), sys.argv[2]
sys.path.insert(0, str(root))
from alfred.checks import INSTANCES
settings = importlib.import_module(f"settings.{instance}")
project_apps, channel_env_vars = {}, {}
for package in sorted(p.parent.name for p in root.glob("*/apps.py")):
    module = importlib.import_module(f"{package}.apps")
    configs = [v for v in vars(module).values() if getattr(v, "name", None) == package and isinstance(v, type)]
    owners = [sorted(c.alfred_instances) for c in configs if getattr(c, "alfred_instances", None) is not None]
    project_apps[package] = owners[0] if owners else None
    if (root / package / "channel.py").is_file():
        channel_env_vars[package] = list(importlib.import_module(f"{package}.channel").CHANNEL.env_vars)
print(json.dumps({
    "instances": list(INSTANCES),
    "installed_apps": list(settings.INSTALLED_APPS),
    "channel_apps": list(settings.ALFRED_CHANNEL_APPS),
    "project_apps": project_apps,
    "channel_env_vars": channel_env_vars,
}))
"""


def read_facts(root: Path, instance: str) -> Facts:
    """Import the instance's settings module and the apps' configs in a subprocess with embedded-mode
    settings (no DATABASE_URL: nothing is connected to, no secret is needed), so this process and its
    environment stay untouched and a checkout with a local .env gives the same answer as CI."""
    environment = {name: os.environ[name] for name in ("PATH", "LANG", "HOME", "SYSTEMROOT") if name in os.environ}
    environment.update(
        DATABASE_URL="",
        REDIS_URL="",
        INSTANCE=instance,
        DJANGO_SETTINGS_MODULE=f"settings.{instance}",
        PYTHONDONTWRITEBYTECODE="1",
    )
    completed = subprocess.run(  # noqa: S603  (our own interpreter and program, no shell)
        [sys.executable, "-c", FACTS_PROGRAM, str(root), instance],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise Unevaluable(f"cannot read settings.{instance}: {last_line}")
    raw = json.loads(completed.stdout)
    if instance not in raw["instances"]:
        raise Unevaluable(f"{instance!r} is not an instance; the code knows {raw['instances']}")
    return Facts(
        instance=instance,
        instances=tuple(raw["instances"]),
        installed_apps=frozenset(raw["installed_apps"]),
        project_apps=raw["project_apps"],
        channel_apps=frozenset(raw["channel_apps"]),
        channel_env_vars=raw["channel_env_vars"],
    )


# --- the build, as Fly describes it -------------------------------------------------------------------------


def read_fly_file(path: Path) -> dict[str, Any]:
    with path.open("rb") as stream:
        return tomllib.load(stream)


def build_from_fly(fly_file: Path, context: Path) -> Build:
    """flyctl resolves ``dockerfile`` and ``ignorefile`` against the Fly file's directory; the context is the
    directory it runs in; without ``ignorefile`` it reads the context's ``.dockerignore``."""
    config = read_fly_file(fly_file).get("build", {})
    if "dockerfile" not in config:
        raise Unevaluable(f"{fly_file.name} has no [build] dockerfile")
    ignore = config.get("ignorefile")
    return Build(
        context=context,
        dockerfile=(fly_file.parent / config["dockerfile"]).resolve(),
        ignore_file=(fly_file.parent / ignore).resolve() if ignore else context / ".dockerignore",
        args={str(name): str(value) for name, value in config.get("args", {}).items()},
        target=str(config.get("build-target", "")),
    )


# --- the Dockerfile ---------------------------------------------------------------------------------------

VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def substitute(text: str, variables: dict[str, str], *, line: int) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("bare")
        if name in variables:
            return variables[name]
        if match.group("default") is not None:
            return match.group("default")
        raise Unevaluable(f"Dockerfile line {line}: ${name} has no value in this build")

    return VARIABLE.sub(value, text)


def arg_defaults(values: Sequence[str]) -> dict[str, str]:
    """``ARG NAME[=default] …``; the parser keeps quotes, the builder does not."""
    return {name: default.strip("\"'") for name, _, default in (value.partition("=") for value in values)}


def parse_stages(build: Build) -> dict[str, Stage]:
    """Every stage in order, named (unnamed ones by their index), with what each copies from the context."""
    global_args: dict[str, str] = {}
    stages: dict[str, Stage] = {}
    stage: Stage | None = None
    for command in dockerfile.parse_file(str(build.dockerfile)):
        line, values = command.start_line, list(command.value)
        if command.heredocs:
            raise Unevaluable(f"Dockerfile line {line}: heredocs are not evaluated")
        if command.cmd == "ARG":
            declared = arg_defaults(values)
            if stage is None:
                global_args.update({name: build.args.get(name, default) for name, default in declared.items()})
            else:
                for name, default in declared.items():
                    stage.variables[name] = build.args.get(name, global_args.get(name, default))
            continue
        if command.cmd == "FROM":
            base = substitute(values[0], global_args, line=line)
            # Stage names are case-insensitive; FROM <stage> names one by its lower-case name.
            name = values[2].lower() if len(values) == 3 and values[1].upper() == "AS" else str(len(stages))
            parent = stages.get(base.lower())
            stage = Stage(name=name, base=base)
            if parent is not None:
                stage.workdir, stage.user, stage.variables = parent.workdir, parent.user, dict(parent.variables)
            stages[name] = stage
            continue
        if stage is None:
            raise Unevaluable(f"Dockerfile line {line}: {command.cmd} before FROM")
        if command.cmd == "ENV":
            # The parser gives name, value, name, value…; values see the variables set before this line.
            before = dict(stage.variables)
            for name, raw in zip(values[::2], values[1::2], strict=True):
                stage.variables[name] = substitute(raw.strip("\"'"), before, line=line)
        elif command.cmd == "WORKDIR":
            stage.workdir = str(PurePosixPath(stage.workdir, substitute(values[0], stage.variables, line=line)))
        elif command.cmd == "USER":
            stage.user = substitute(values[0], stage.variables, line=line)
        elif command.cmd in ("COPY", "ADD"):
            add_copy(stage, command.cmd, list(command.flags), values, line=line)
    if stage is None:
        raise Unevaluable("the Dockerfile has no FROM")
    return stages


def add_copy(stage: Stage, instruction: str, flags: list[str], values: list[str], *, line: int) -> None:
    from_stage = ""
    for flag in flags:
        name, _, flag_value = flag.partition("=")
        if name == "--from":
            from_stage = substitute(flag_value, stage.variables, line=line)
        elif name not in ("--chown", "--chmod", "--link"):
            # --parents and --exclude change which files land where; follow them before allowing them.
            raise Unevaluable(f"Dockerfile line {line}: {instruction} {name} is not evaluated")
    sources = [substitute(value, stage.variables, line=line) for value in values[:-1]]
    destination = substitute(values[-1], stage.variables, line=line)
    if from_stage:
        stage.copies_from.append(from_stage)
        return
    if instruction == "ADD" and any("://" in source or source.startswith("git@") for source in sources):
        raise Unevaluable(f"Dockerfile line {line}: ADD from a URL is not evaluated")
    stage.copies.append((sources, destination, line))


def stage_chain(stages: dict[str, Stage], final: str) -> list[Stage]:
    """The final stage and the stages it is built on, base first."""
    chain: list[Stage] = []
    name = final.lower()
    while name in stages:
        if any(stage.name == name for stage in chain):
            raise Unevaluable(f"stage {name!r} is built on itself")
        chain.insert(0, stages[name])
        name = stages[name].base.lower()
    return chain


# --- the build context and the image ------------------------------------------------------------------------


def ignore_patterns(ignore_file: Path) -> list[str]:
    """The lines of an ignore file as docker-py's own client reads them (comments and blanks dropped)."""
    if not ignore_file.is_file():
        return []
    lines = [line.strip() for line in ignore_file.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def context_paths(build: Build) -> set[str]:
    """Every file and directory of the build context after the ignore rules (docker-py's implementation)."""
    dockerfile_in_context = os.path.relpath(build.dockerfile, build.context)
    return {
        PurePosixPath(path).as_posix()
        for path in exclude_paths(str(build.context), ignore_patterns(build.ignore_file), dockerfile_in_context)
    }


def copied_files(
    sources: list[str], destination: str, workdir: str, context: Path, paths: set[str], *, line: int
) -> dict[str, str]:
    """COPY semantics: a directory source copies its contents into the destination; a file lands at the
    destination, or inside it when it ends with / or there are several sources. Wildcards match per path
    segment, as Go's filepath.Match does."""
    target = PurePosixPath(workdir, destination)
    into_directory = destination.endswith("/") or len(sources) > 1
    copied: dict[str, str] = {}
    for source in sources:
        cleaned = PurePosixPath(source.lstrip("/")).as_posix().removeprefix("./") or "."
        if any(character in cleaned for character in "*?["):
            depth = len(PurePosixPath(cleaned).parts)
            matches = [p for p in paths if len(PurePosixPath(p).parts) == depth and fnmatch.fnmatchcase(p, cleaned)]
            into_directory = True
        else:
            matches = [cleaned] if cleaned in paths or cleaned == "." else []
        if not matches:
            raise Unevaluable(
                f"Dockerfile line {line}: COPY source {source!r} is not in the build context "
                "(missing, or excluded by the ignore file): the build would fail"
            )
        for match in matches:
            if match == "." or (context / match).is_dir():
                prefix = "" if match == "." else f"{match}/"
                for path in paths:
                    if path.startswith(prefix) and not (context / path).is_dir():
                        copied[path] = str(target / path.removeprefix(prefix))
            else:
                copied[match] = str(target / PurePosixPath(match).name if into_directory else target)
    return copied


def image_of(build: Build) -> Image:
    stages = parse_stages(build)
    final = (build.target or list(stages)[-1]).lower()
    if final not in stages:
        raise Unevaluable(f"build target {final!r} is not a stage of {build.dockerfile.name}")
    chain = stage_chain(stages, final)
    paths = context_paths(build)
    files: dict[str, str] = {}
    for stage in chain:
        for source_stage in stage.copies_from:
            if source_stage in stages and any(s.copies for s in stage_chain(stages, source_stage)):
                raise Unevaluable(f"stage {stage.name!r} copies files from stage {source_stage!r}: not evaluated")
        for sources, destination, line in stage.copies:
            files.update(copied_files(sources, destination, stage.workdir, build.context, paths, line=line))
    return Image(files=files, workdir=chain[-1].workdir, user=chain[-1].user)


# --- ownership ----------------------------------------------------------------------------------------------


def name_tokens(text: str) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", text.lower())) - {""}


def foreign_reason(path: str, facts: Facts) -> str | None:
    """Why a build-context path must not be in this instance's image, or None if it may."""
    for pattern, reason in NEVER_SHIPPED:
        if fnmatch.fnmatchcase(path, pattern):
            return reason
    top = path.split("/", 1)[0]
    if top in facts.project_apps and not facts.ships(top):
        owners = facts.project_apps[top]
        if owners is not None and facts.instance not in owners:
            return f"app {top} belongs to {', '.join(owners)}"
        return f"app {top} is not installed by settings.{facts.instance}"
    named = name_tokens(path) & set(facts.others)
    if named:
        return f"named for the {', '.join(sorted(named))} instance"
    return None


def needed_files(root: Path, facts: Facts) -> set[str]:
    """What the instance runs on: the shared files, its settings, each app it installs or may install, the
    templates."""
    needed = {*ALWAYS_NEEDED, f"requirements/{facts.instance}.txt"}
    packages = ["settings", "templates", *sorted(app for app in facts.project_apps if facts.ships(app))]
    for package in packages:
        for path in (root / package).rglob("*"):
            relative = path.relative_to(root).as_posix()
            if path.is_file() and foreign_reason(relative, facts) is None:
                needed.add(relative)
    return needed


def foreign_variables(facts: Facts) -> tuple[set[str], set[str]]:
    """The variables read by the channels this instance does not use by default (an optional channel's are
    set as machine secrets, never in the Fly file or the deploy job), and their shared prefixes (``SLACK_``): a
    new variable of that provider is foreign before anyone lists it."""
    own = {name for app in facts.channel_apps for name in facts.channel_env_vars.get(app, [])}
    foreign = {
        name
        for app, names in facts.channel_env_vars.items()
        if app not in facts.channel_apps
        for name in names
        if name not in own
    }
    own_prefixes = {name.split("_", 1)[0] + "_" for name in own}
    prefix_counts: dict[str, int] = {}
    for name in foreign:
        prefix = name.split("_", 1)[0] + "_"
        prefix_counts[prefix] = prefix_counts.get(prefix, 0) + 1
    prefixes = {prefix for prefix, count in prefix_counts.items() if count > 1 and prefix not in own_prefixes}
    return foreign, prefixes


def strings_in(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def fly_problems(fly_file: Path, facts: Facts) -> tuple[list[Problem], int]:
    """The variables the Fly file sets ([env], [build.args]) or references ($NAME in any value), and any
    value naming another instance (an app name, a settings module, a start argument)."""
    config = read_fly_file(fly_file)
    variables = set(config.get("env", {})) | set(config.get("build", {}).get("args", {}))
    problems: list[Problem] = []
    for text in strings_in(config):
        variables |= {m.group("braced") or m.group("bare") for m in VARIABLE.finditer(text)}
        for other in sorted(name_tokens(text) & set(facts.others)):
            problems.append(Problem(f"{fly_file.name}: {text!r}", f"names the {other} instance"))
    foreign, prefixes = foreign_variables(facts)
    for name in sorted(variables):
        if name in foreign or any(name.startswith(prefix) for prefix in prefixes):
            problems.append(
                Problem(f"{fly_file.name}: variable {name}", "read by a channel this instance does not use")
            )
    return problems, len(variables)


# --- the workflow's deploy job ---------------------------------------------------------------------------------

WORKFLOW = ".github/workflows/deploy.yml"
DEPLOY_JOB = "deploy"
MATRIX_VALUE = re.compile(r"\$\{\{\s*matrix\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}")
# secrets.NAME, vars.NAME, env.NAME inside ${{ }}; and, in scripts, any NAME_WITH_UNDERSCORES (an assignment
# such as `fly secrets set SLACK_BOT_TOKEN=…` references a variable as surely as $SLACK_BOT_TOKEN does).
CONTEXT_NAME = re.compile(r"\b(?:secrets|vars|env)\.([A-Za-z_][A-Za-z0-9_]*)")
UPPER_NAME = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]*\b")
INSTANCE_TEST = re.compile(r"matrix\.instance\s*(==|!=)\s*'([^']*)'")


def matrix_for(job: dict[str, Any], instance: str) -> dict[str, str] | None:
    """The matrix values of this instance's run of the job (``include`` entries for it added), or None when
    the matrix does not run it."""
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    instances = matrix.get("instance") or []
    if instance not in instances:
        return None
    values = {"instance": instance}
    for entry in matrix.get("include") or []:
        if isinstance(entry, dict) and entry.get("instance", instance) == instance:
            values.update({str(k): str(v) for k, v in entry.items()})
    return values


def step_runs_for(condition: object, instance: str) -> bool:
    """False only for an ``if:`` whose comparisons of matrix.instance (joined by &&) rule this instance out;
    any other condition may be true, so its step is checked."""
    text = str(condition or "")
    if "||" in text:
        return True
    for operator, value in INSTANCE_TEST.findall(text):
        if (value == instance) != (operator == "=="):
            return False
    return True


def rendered(value: object, matrix: dict[str, str]) -> list[str]:
    return [MATRIX_VALUE.sub(lambda m: matrix.get(m.group(1), m.group(0)), text) for text in strings_in(value)]


def workflow_problems(workflow: Path, facts: Facts) -> tuple[list[Problem], int]:
    """The variables the deploy job references when it deploys this instance (its environment, each step's
    env, scripts and inputs), and any value naming another instance."""
    if not workflow.is_file():
        raise Unevaluable(f"{WORKFLOW} is missing: the deploy job cannot be checked")
    with workflow.open() as stream:
        config = yaml.safe_load(stream) or {}
    job = (config.get("jobs") or {}).get(DEPLOY_JOB)
    if not isinstance(job, dict):
        raise Unevaluable(f"{WORKFLOW} has no {DEPLOY_JOB!r} job")
    matrix = matrix_for(job, facts.instance)
    if matrix is None:
        return [Problem(f"{WORKFLOW}: job {DEPLOY_JOB}", f"its matrix does not deploy {facts.instance}")], 0
    parts: list[tuple[str, object]] = [("job", {k: job.get(k) for k in ("env", "environment", "concurrency")})]
    for number, step in enumerate(job.get("steps") or [], start=1):
        if isinstance(step, dict) and step_runs_for(step.get("if"), facts.instance):
            parts.append((f"step {step.get('name') or step.get('uses') or number}", step))
    foreign, prefixes = foreign_variables(facts)
    problems: list[Problem] = []
    variables: set[str] = set()
    for where, part in parts:
        texts = rendered(part, matrix)
        names = {str(name) for name in (part.get("env") or {})} if isinstance(part, dict) else set()
        for text in texts:
            names |= set(CONTEXT_NAME.findall(text)) | set(UPPER_NAME.findall(text))
            names |= {m.group("braced") or m.group("bare") for m in VARIABLE.finditer(text)}
            for other in sorted(name_tokens(text) & set(facts.others)):
                problems.append(Problem(f"{WORKFLOW} deploy {where}: {text!r}", f"names the {other} instance"))
        for name in sorted(names):
            if name in foreign or any(name.startswith(prefix) for prefix in prefixes):
                problems.append(
                    Problem(
                        f"{WORKFLOW} deploy {where}: variable {name}", "read by a channel this instance does not use"
                    )
                )
        variables |= names
    return problems, len(variables)


# --- the check ----------------------------------------------------------------------------------------------


def context_problems(build: Build, image: Image) -> list[Problem]:
    """Files the image does not copy but the builder would still receive (and Fly's builder is remote)."""
    problems: list[Problem] = []
    for path in sorted(context_paths(build) - set(image.files)):
        reasons = [reason for pattern, reason in NEVER_SENT if fnmatch.fnmatchcase(path, pattern)]
        if reasons:
            problems.append(Problem(f"{path} (in the build context)", f"{reasons[0]}: it would be uploaded"))
    return problems


def check(instance: str, *, root: Path = ROOT, fly_file: Path | None = None) -> tuple[list[Problem], str]:
    """Every problem of the instance's image and Fly file, and a one-line summary."""
    fly_file = fly_file or root / "fly" / f"alfred-{instance}.toml"
    facts = read_facts(root, instance)
    build = build_from_fly(fly_file, root)
    sibling_ignore = build.dockerfile.with_name(build.dockerfile.name + ".dockerignore")
    if sibling_ignore.is_file() and sibling_ignore != build.ignore_file:
        raise Unevaluable(f"{sibling_ignore.name} exists: docker build would read it, fly deploy would not")
    image = image_of(build)
    problems: list[Problem] = context_problems(build, image)
    for path, in_image in sorted(image.files.items()):
        reason = foreign_reason(path, facts)
        if reason:
            problems.append(Problem(f"{path} (in the image at {in_image})", reason))
    expected_place = {path: str(PurePosixPath(image.workdir, path)) for path in needed_files(root, facts)}
    for path, place in sorted(expected_place.items()):
        if image.files.get(path) != place:
            problems.append(Problem(path, f"the {instance} instance runs on it but the image has no {place}"))
    if image.user.split(":", 1)[0] in ROOT_USERS:
        problems.append(
            Problem(f"{build.dockerfile.name} USER {image.user or '(none)'}", "the image would run as root")
        )
    variable_problems, variable_count = fly_problems(fly_file, facts)
    problems.extend(variable_problems)
    deploy_problems, deploy_count = workflow_problems(root / WORKFLOW, facts)
    problems.extend(deploy_problems)
    summary = (
        f"{instance} image: {len(image.files)} files, runs as {image.user or 'root'}; "
        f"{fly_file.name}: {variable_count} variables; deploy job: {deploy_count} variables"
    )
    return problems, summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("instance", help="home or biz")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (the build context)")
    parser.add_argument("--fly-file", type=Path, help="default: fly/alfred-<instance>.toml under --root")
    parser.add_argument("--list", action="store_true", help="print every file of the image")
    options = parser.parse_args(argv)
    root = options.root.resolve()
    try:
        problems, summary = check(options.instance, root=root, fly_file=options.fly_file)
        if options.list:
            fly_file = options.fly_file or root / "fly" / f"alfred-{options.instance}.toml"
            for path in sorted(image_of(build_from_fly(fly_file, root)).files):
                print(path)
    except (Unevaluable, OSError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        print(f"check_scope: cannot evaluate the {options.instance} build: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"check_scope: {problem}", file=sys.stderr)
    if problems:
        print(f"check_scope: {summary}; {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"check_scope: {summary}; nothing of another instance, nothing missing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
