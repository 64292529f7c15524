#!/usr/bin/env bash
# One machine, one instance: gunicorn (gthread, no preload) + a Celery worker running beat (-B).
# This layout measured smallest in resident memory (see ../shared/NOTES.md "Memory").
set -euo pipefail
instance=${1:-${INSTANCE:?set INSTANCE=home|biz}}
export DJANGO_SETTINGS_MODULE=settings.$instance INSTANCE=$instance
PY=${PY:-.venv/bin/python}
BIN=$(dirname "$PY")
$PY manage.py check --fail-level ERROR
$PY manage.py migrate --noinput
$BIN/celery -A settings worker -B --pool=threads --concurrency=4 -Q "alfred-$instance" \
  --hostname "alfred-$instance@%h" --loglevel INFO --schedule "var/celerybeat-$instance" &
worker=$!
# Biz with SLACK_APP_TOKEN: Slack Socket Mode beside the HTTP endpoint (exits at once when the token is unset).
if [ "$instance" = biz ]; then $PY manage.py slack_socket --if-configured & socket=$!; fi
trap 'kill $worker ${socket:-} 2>/dev/null || true' EXIT
$BIN/gunicorn settings.wsgi:application --bind "0.0.0.0:${PORT:-8000}" --worker-class gthread --workers 1 \
  --threads 4 --access-logfile - --timeout 30
