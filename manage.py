#!/usr/bin/env python
"""Django's command-line utility for Alfred. Defaults to the home instance."""

import importlib
import os
import sys

KNOWN_SETTINGS = ("settings.home", "settings.biz")
# Commands that only inform: ``check`` reports the same errors itself (all of them, readably), help lists.
COMMANDS_WITHOUT_BOOT = ("check", "help", "--help", "-h", "version", "--version")


def settings_module_from_argv(argv: list[str]) -> str | None:
    for index, arg in enumerate(argv):
        if arg.startswith("--settings="):
            return arg.split("=", 1)[1]
        if arg == "--settings" and index + 1 < len(argv):
            return argv[index + 1]
    return None


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.home")
    requested = settings_module_from_argv(sys.argv) or os.environ["DJANGO_SETTINGS_MODULE"]
    # The boot below sets Django up before the command parses --settings: it must boot the requested instance.
    os.environ["DJANGO_SETTINGS_MODULE"] = requested
    from django.core.exceptions import ImproperlyConfigured

    # Django would fail later with a bare ModuleNotFoundError traceback; say what is valid instead.
    try:
        importlib.import_module(requested)
    except ModuleNotFoundError as exc:
        if exc.name and requested.startswith(exc.name):
            sys.stderr.write(f"Unknown settings module '{requested}'. Use one of: {', '.join(KNOWN_SETTINGS)}.\n")
            sys.exit(2)
        raise
    except ImproperlyConfigured as refusal:
        # The settings refuse a dangerous or incomplete environment (a missing secret, DEBUG on a real database).
        sys.stderr.write(f"Refusing to start: {refusal}\n")
        sys.exit(1)
    from django.core.management import execute_from_command_line

    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    if command not in COMMANDS_WITHOUT_BOOT:
        import django

        django.setup()
        from django.core.management.base import SystemCheckError

        from alfred.boot import COMMAND, instance_boot

        try:
            instance_boot(COMMAND, command=command)
        except SystemCheckError as refusal:
            sys.stderr.write(f"Refusing to run '{command}': {refusal}\n")
            sys.exit(1)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
