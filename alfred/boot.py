"""What every process of an instance does before its first unit of work: the web process (WSGI), the Celery
worker and beat, and management commands (``manage.py``). One function, so no entry point can skip a layer.

Each isolation layer adds its step to ``instance_boot`` (config checks, the instance stamp of the stores, the
egress guard, logging). A step raises ``SystemCheckError`` (or its own error naming what is wrong) and the
process refuses to start.
"""

from alfred.checks import assert_startup_checks

# Entry points, named in errors and logs.
WEB = "web"
WORKER = "worker"
BEAT = "beat"
COMMAND = "command"


# A worker running beat (``-B``) passes through two entry points; the layers are installed once per process.
_booted_as: list[str] = []


def instance_boot(entry_point: str) -> None:
    """Refuse to start on a mixed-up configuration; called once per process by each entry point."""
    if _booted_as:
        return
    # Layer 2, config: the instance's own checks (instance name, apps, channel credentials, foreign variables).
    assert_startup_checks()
    _booted_as.append(entry_point)
