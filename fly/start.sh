#!/usr/bin/env bash
# One machine, one instance: gunicorn (gthread, no preload) and a Celery worker sending the periodic tasks from
# a thread of its own (--beat-thread, alfred/beat_thread.py). This layout measured smallest (README "Benchmarks",
# memory): beat forked from the worker (-B) held 58 MiB more, a beat process of its own 84 MiB more. Migrations are not
# run here but once per deploy by the Fly file's release_command (README "Deploying").
#
# The processes are children of this script, which passes SIGTERM (and SIGINT, as SIGTERM) on to them (gunicorn and Celery
# both shut down gracefully on SIGTERM) and, when any child dies, stops the others and exits non-zero, so
# Fly restarts the machine rather than leaving half an instance running.
set -euo pipefail
instance=${1:-${INSTANCE:?set INSTANCE=home|biz}}
export DJANGO_SETTINGS_MODULE=settings.$instance INSTANCE=$instance
PY=${PY:-.venv/bin/python}
BIN=$(dirname "$PY")

# Every process writes its metric values here and /metrics adds them up (alfred/metrics.py). It must be set
# before any process imports prometheus_client, and emptied at start: files of an earlier run would be
# added to this run's counters.
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$PWD/var/metrics}
rm -rf "$PROMETHEUS_MULTIPROC_DIR"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

# No `manage.py check` here: it took half of the start (README "Benchmarks", cold start). Django's system checks
# run once per deploy in the release_command (before its first statement; an error stops the deploy), and each
# process below runs this instance's own checks as it boots (alfred/boot.py) and refuses to start.

# Beat keeps its schedule in var/ (--schedule below): without the directory beat dies at start, and the worker
# runs on without it, so nothing would sweep.
mkdir -p var

pids=()
# Every process logs JSON lines carrying the instance (README "Isolation" 5): Celery without its banner
# (--quiet), gunicorn's own and access lines configured by alfred/gunicorn_conf.py. One worker per instance:
# nobody to synchronise with at start (mingle waits a second for an answer) or to gossip with.
$BIN/celery --quiet -A settings worker --beat-thread --pool=threads --concurrency=4 -Q "alfred-$instance" \
  --hostname "alfred-$instance@%h" --loglevel INFO --schedule "var/celerybeat-$instance" \
  --without-mingle --without-gossip &
pids+=($!)
$BIN/gunicorn settings.wsgi:application --config python:alfred.gunicorn_conf --bind "0.0.0.0:${PORT:-8000}" \
  --worker-class gthread --workers 1 --threads 4 --timeout 30 --graceful-timeout 20 &
pids+=($!)
# Biz with SLACK_APP_TOKEN: Slack Socket Mode beside the HTTP endpoint, a child like the others.
if [ "$instance" = biz ] && [ -n "${SLACK_APP_TOKEN:-}" ]; then
  $PY manage.py slack_socket &
  pids+=($!)
fi

signalled=""
stop() {
  kill -s "$1" "${pids[@]}" 2>/dev/null || true
}
trap 'signalled=TERM; stop TERM' TERM
# Fly sends SIGINT unless told otherwise; passed on as SIGTERM, the graceful stop of both gunicorn and Celery
# (and background children of a script start with SIGINT ignored).
trap 'signalled=INT; stop TERM' INT

set +e
wait -n "${pids[@]}"
status=$?
if [ -z "$signalled" ]; then
  echo "start.sh: a process of the $instance instance exited with status $status; stopping the others" >&2
  [ "$status" -ne 0 ] || status=1
  stop TERM
fi
# A trapped signal interrupts `wait`; wait again until every child has really gone.
for pid in "${pids[@]}"; do
  while kill -0 "$pid" 2>/dev/null; do wait "$pid"; done
done
if [ -n "$signalled" ]; then
  echo "start.sh: stopped on SIG$signalled" >&2
  exit 0
fi
exit "$status"
