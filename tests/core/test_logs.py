"""Log lines (README "Isolation" 5 and "Credentials"): every process prints JSON lines carrying the instance,
and no secret reaches a line. The processes are started for real (a management command, the Celery worker
and beat, gunicorn) and each line they print is parsed; the redacting filter is checked through the
instance's own logging configuration; the suite-wide watch (tests/log_watch.py) is checked directly."""

import json
import logging
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from io import StringIO
from logging.config import dictConfig
from pathlib import Path

import pytest
from django.conf import settings

from alfred import logs, vault
from tests.core.entry_points import CELERY, ROOT, configured_env, log_records, start
from tests.log_watch import SecretWatch, leaked, suite_secrets

META_LIKE = "EAAlogtest0123456789abcdefghij"
VERIFY = "verify-token-for-the-log-test"


@contextmanager
def instance_logging() -> Iterator[StringIO]:
    """The instance's own logging configuration (settings.LOGGING), its handler writing into a buffer."""
    out = StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        dictConfig(settings.LOGGING)
    try:
        yield out
    finally:
        dictConfig(settings.LOGGING)


def lines(out: StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


# --- the filter, through the instance's own configuration ------------------------------------------------


def test_a_configured_secret_is_redacted_from_the_message_its_arguments_and_the_exception(settings):
    settings.META_TOKEN = "configured-meta-token-value"
    settings.SLACK_SIGNING_SECRET = "configured-signing-secret"
    with instance_logging() as out:
        try:
            raise RuntimeError(f"the provider refused {settings.SLACK_SIGNING_SECRET}")
        except RuntimeError:
            logging.getLogger("alfred.test").exception("sending with %s failed", settings.META_TOKEN)

    (line,) = lines(out)
    assert line["message"] == "sending with [redacted:META_TOKEN] failed"
    assert "the provider refused [redacted:SLACK_SIGNING_SECRET]" in str(line["exception"])
    assert (line["level"], line["logger"], line["instance"]) == ("ERROR", "alfred.test", settings.INSTANCE)
    assert "configured-" not in out.getvalue()


def test_token_shaped_strings_and_secret_query_parameters_are_redacted_though_not_configured():
    shaped = [
        "xoxb-1234-5678-abcdefABCDEF",
        "xoxe-1-refreshrefreshrefresh",
        "xapp-1-A111-222-abcdef",
        META_LIKE,
        "sk-proj-abcdefghijklmnop0123",
    ]
    with instance_logging() as out:
        for token in shaped:
            logging.getLogger("alfred.test").warning("the answer held %s.", token)
        logging.getLogger("alfred.test").warning("headers: Authorization: Bearer abc.def-ghi")
        logging.getLogger("alfred.test").warning("GET /webhooks/whatsapp/?hub.mode=subscribe&hub.verify_token=x1y2z3")

    printed = lines(out)
    assert [line["message"] for line in printed[: len(shaped)]] == ["the answer held [redacted]."] * len(shaped)
    assert printed[-2]["message"] == "headers: Authorization: Bearer [redacted]"
    assert printed[-1]["message"] == "GET /webhooks/whatsapp/?hub.mode=subscribe&hub.verify_token=[redacted]"


def test_a_token_read_from_the_store_is_redacted_from_then_on(settings):
    from cryptography.fernet import Fernet

    settings.ALFRED_VAULT_KEY = [Fernet.generate_key().decode()]
    stored = vault.encrypt("stored-token-no-setting-names")
    logs._registered.clear()  # as in another process, which only reads the row
    with instance_logging() as out:
        logging.getLogger("alfred.test").warning("before reading: %s", "stored-token-no-setting-names")
        token = vault.decrypt(stored)
        logging.getLogger("alfred.test").warning("after reading: %s", token)

    assert [line["message"] for line in lines(out)] == [
        "before reading: stored-token-no-setting-names",
        "after reading: [redacted:token]",
    ]


def test_the_format_is_json_by_default_and_text_in_development_mode_or_when_asked(monkeypatch):
    monkeypatch.delenv("ALFRED_LOG_FORMAT", raising=False)
    assert (logs.log_format(dev_mode=False), logs.log_format(dev_mode=True)) == ("json", "text")
    monkeypatch.setenv("ALFRED_LOG_FORMAT", "text")
    assert logs.log_format(dev_mode=False) == "text"
    monkeypatch.setenv("ALFRED_LOG_FORMAT", "yaml")
    with pytest.raises(ValueError, match="json or text"):
        logs.log_format(dev_mode=False)


# --- the suite-wide watch --------------------------------------------------------------------------------


def test_the_watch_sees_a_secret_in_a_record_that_was_not_redacted(settings):
    settings.META_VERIFY_TOKEN = VERIFY
    record = logging.LogRecord("alfred.test", logging.WARNING, __file__, 1, "token %s", (VERIFY,), None)
    unfiltered = SecretWatch()
    unfiltered.filters.clear()

    assert leaked(f"token {VERIFY}", suite_secrets()) == ["META_VERIFY_TOKEN"]
    assert unfiltered.check(record) == ["META_VERIFY_TOKEN"]
    # The same record through the processes' filter: nothing left to see.
    assert SecretWatch().check(record) == []


# --- every process prints JSON lines carrying the instance ----------------------------------------------


def assert_json_lines(output: str) -> list[dict[str, object]]:
    """Every line parses as JSON and carries the fields and this instance."""
    records = log_records(output)
    assert records, "no log line"
    for record in records:
        assert {"time", "level", "logger", "message", "instance"} <= set(record), record
        assert record["instance"] == settings.INSTANCE, record
    return records


def test_a_management_command_logs_json_lines_on_stderr_and_keeps_stdout_for_its_output(tmp_path):
    code = (
        "import logging; log = logging.getLogger('alfred.test'); log.info('from a command');\n"
        "try:\n    1 / 0\nexcept ZeroDivisionError:\n    log.exception('it failed')\nprint('the output')"
    )
    result = start("command", configured_env(), tmp=tmp_path, command=("shell", "--no-imports", "-c", code))

    assert result.returncode == 0, result.stderr
    assert result.stdout == "the output\n"
    records = assert_json_lines(result.stderr)
    assert [(record["level"], record["message"]) for record in records[-2:]] == [
        ("INFO", "from a command"),
        ("ERROR", "it failed"),
    ]
    assert "ZeroDivisionError" in str(records[-1]["exception"])


def run_until(argv: list[str], env: dict[str, str], phrase: str, timeout: float = 60) -> tuple[str, str]:
    """Start a server process, wait until ``phrase`` appears in what it prints, stop it (SIGTERM) and return
    its stdout and stderr."""
    out, err = Path(env["LOG_DIR"]) / "out", Path(env["LOG_DIR"]) / "err"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=stdout, stderr=stderr)
    try:
        deadline = time.monotonic() + timeout
        while phrase not in out.read_text() + err.read_text():
            assert process.poll() is None, out.read_text() + err.read_text()
            assert time.monotonic() < deadline, out.read_text() + err.read_text()
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return out.read_text(), err.read_text()


@pytest.mark.django_db(transaction=True)
def test_the_celery_worker_logs_json_lines_on_stdout(tmp_path):
    argv = [CELERY, "--quiet", "-A", "settings", "worker", "--pool=solo", "-Q", f"alfred-{settings.INSTANCE}"]
    env = configured_env(LOG_DIR=str(tmp_path), ALFRED_LOG_FORMAT=None)

    stdout, stderr = run_until([*argv, "--without-mingle", "--without-gossip"], env, " ready.")

    assert stderr == ""
    # The one line Celery prints itself, from its SIGTERM handler (Loki's shipper labels it by the app name).
    stdout = stdout.replace("worker: Warm shutdown (MainProcess)\n", "")
    messages = [str(record["message"]) for record in assert_json_lines(stdout)]
    assert any(message.endswith(" ready.") for message in messages), messages


@pytest.mark.django_db(transaction=True)
def test_celery_beat_logs_json_lines_on_stdout(tmp_path):
    argv = [CELERY, "--quiet", "-A", "settings", "beat", "--schedule", str(tmp_path / "schedule")]
    env = configured_env(LOG_DIR=str(tmp_path), ALFRED_LOG_FORMAT=None)

    stdout, stderr = run_until(argv, env, "beat: Starting")

    assert stderr == ""
    assert any("beat: Starting" in str(record["message"]) for record in assert_json_lines(stdout))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.django_db(transaction=True)
def test_gunicorn_logs_json_lines_and_its_access_log_never_shows_the_verify_token(tmp_path):
    port = free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    argv = [gunicorn, "settings.wsgi:application", "--config", "python:alfred.gunicorn_conf"]
    argv += ["--bind", f"127.0.0.1:{port}", "--worker-class", "gthread", "--workers", "1", "--threads", "2"]
    # Home knows the token (redacted as a configured secret); biz refuses META_* variables, and redacts the
    # query parameter by its name alone.
    verify = {"META_VERIFY_TOKEN": VERIFY} if settings.INSTANCE == "home" else {}
    env = configured_env(LOG_DIR=str(tmp_path), ALFRED_LOG_FORMAT=None, **verify)
    query = f"hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=4242"

    def request_then_wait() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                url = f"http://127.0.0.1:{port}/webhooks/whatsapp/?{query}"
                urllib.request.urlopen(urllib.request.Request(url, headers={"X-Request-ID": "probe-4242"}), timeout=5)
                return
            except urllib.error.HTTPError:
                return  # biz has no WhatsApp endpoint: a 404 is logged all the same
            except OSError:
                time.sleep(0.2)

    threading.Thread(target=request_then_wait, daemon=True).start()
    stdout, stderr = run_until(argv, env, "/webhooks/whatsapp/")
    printed = stdout + stderr

    records = assert_json_lines(stdout) + (log_records(stderr) if stderr.strip() else [])
    assert VERIFY not in printed
    access = [record for record in records if record["logger"] == "gunicorn.access"]
    assert len(access) == 1 and "hub.verify_token=[redacted" in str(access[0]["message"]), access
    # The access line names the request like the app's own lines (alfred/log_context.py).
    assert str(access[0]["message"]).endswith("request_id=probe-4242"), access
    assert any(record["logger"] == "gunicorn.error" for record in records)
