#!/usr/bin/env bash
# The bare project in fly/start.sh's layout: gunicorn gthread 1×4 (no preload) and a Celery worker with beat in a
# thread of it (--beat-thread, --pool=threads), children of this script. BARE_BEAT=-B: beat forked instead, the
# layout before. For bench/memory.py only.
set -euo pipefail
export DJANGO_SETTINGS_MODULE=bench.bare_project.settings
PY=${PY:-.venv/bin/python}
BIN=$(dirname "$PY")
pids=()
$BIN/celery -A bench.bare_project worker "${BARE_BEAT:---beat-thread}" --pool=threads --concurrency=4 -Q bare --hostname "bare@%h" \
  --loglevel INFO --schedule "${BEAT_SCHEDULE_FILE:-var/celerybeat-bare}" &
pids+=($!)
$BIN/gunicorn bench.bare_project.wsgi:application --bind "127.0.0.1:${PORT:-8000}" --worker-class gthread \
  --workers 1 --threads 4 --access-logfile - --timeout 30 --graceful-timeout 20 &
pids+=($!)
trap 'kill -s TERM "${pids[@]}" 2>/dev/null || true' TERM INT
set +e
wait -n "${pids[@]}"
kill -s TERM "${pids[@]}" 2>/dev/null || true
wait
