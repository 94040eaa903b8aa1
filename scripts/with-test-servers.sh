#!/usr/bin/env bash
# Starts a throwaway Redis and PostgreSQL on free loopback ports, runs the given command with
# TEST_REDIS_URL / TEST_DATABASE_URL (and the REDIS_SERVER_BIN / PG_BIN it used) exported, then
# stops both and removes their data, whatever the command's outcome.
#   scripts/with-test-servers.sh npx jest
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

log() { printf '[test-servers] %s\n' "$*" >&2; }

ensure_redis() {
  if command -v redis-server >/dev/null 2>&1; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "redis-server missing: installing Debian's redis-server package"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null 2>&1 || true
  fi
  command -v redis-server >/dev/null 2>&1 || {
    log "redis-server is required for the tests: install it with 'apt-get install redis-server'"; exit 1; }
}

ensure_chromium() {
  # The console's browser test drives Debian's chromium through playwright-core.
  if [ -x /usr/bin/chromium ]; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "chromium missing: installing Debian's chromium package"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 || true
  fi
  [ -x /usr/bin/chromium ] || log "warning: /usr/bin/chromium is missing: the console test will fail; install it with 'apt-get install chromium'"
}

ensure_postgres() {
  [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] || {
    log "PostgreSQL 15 server binaries not found in $PG_BIN: install 'postgresql-15' or set PG_BIN"; exit 1; }
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

ensure_redis
ensure_postgres
ensure_chromium

WORK="$(mktemp -d /tmp/recs-test-XXXXXX)"
chmod 755 "$WORK"
REDIS_PORT="$(free_port)"
PG_PORT="$(free_port)"
PG_DIR="$WORK/pg"
mkdir -p "$PG_DIR"

# PostgreSQL refuses to run as root: run it as the 'postgres' user when we are root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown -R postgres "$PG_DIR"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cleanup() {
  set +e
  [ -f "$WORK/redis.pid" ] && kill "$(cat "$WORK/redis.pid")" 2>/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log" --dir "$WORK" >/dev/null

as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
  -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null

for _ in $(seq 1 50); do
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done

export TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
export PG_BIN
export REDIS_SERVER_BIN="$(command -v redis-server)"
log "redis on $TEST_REDIS_URL, postgres on $TEST_DATABASE_URL"

set +e
"$@"
status=$?
set -e
exit $status
