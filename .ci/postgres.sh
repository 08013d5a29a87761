# A throwaway PostgreSQL server for the test suite and the benchmarks.
#
# Source this file, then call `postgres_start`: it installs Debian's
# `postgresql` package if no server is installed, runs initdb into a fresh
# temporary folder (as the `postgres` user when run as root: initdb refuses
# root), starts the server listening on a Unix socket in that folder only (no
# TCP port to collide with), creates the database `ledger` and exports
# LEDGER_TEST_POSTGRES, the URL the tests look for. `postgres_stop` stops the
# server and removes the folder; `postgres_start` arranges for it to run on
# exit. Extra arguments to `postgres_start` are server settings, such as
# `-c fsync=off` for a test run that need not survive a power cut.

postgres_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ]; then
    echo "+ installing PostgreSQL (apt-get install postgresql)" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get install -y -qq postgresql >/dev/null ||
      { $sudo apt-get update -qq && $sudo apt-get install -y -qq postgresql >/dev/null; }
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  fi
  [ -n "$bin" ] || { echo "no PostgreSQL server after installing it" >&2; return 1; }
  echo "$bin"
}

postgres_start() {
  local bin as=()
  bin=$(postgres_bin) || return 1
  POSTGRES_DIR=$(mktemp -d /tmp/ledger-pg.XXXXXX)
  chmod 755 "$POSTGRES_DIR"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$POSTGRES_DIR"
    as=(runuser -u postgres --)
  fi
  trap postgres_stop EXIT
  "${as[@]}" "$bin/initdb" -D "$POSTGRES_DIR/data" -U ledger -A trust -E UTF8 --locale=C \
    >"$POSTGRES_DIR/initdb.log" 2>&1 || { cat "$POSTGRES_DIR/initdb.log" >&2; return 1; }
  "${as[@]}" "$bin/pg_ctl" -D "$POSTGRES_DIR/data" -l "$POSTGRES_DIR/server.log" -w start \
    -o "-k $POSTGRES_DIR -c listen_addresses='' -c max_connections=200 $*" >/dev/null ||
    { cat "$POSTGRES_DIR/server.log" >&2; return 1; }
  POSTGRES_BIN=$bin
  "$bin/createdb" -h "$POSTGRES_DIR" -U ledger ledger
  export LEDGER_TEST_POSTGRES="postgresql://ledger@/ledger?host=$POSTGRES_DIR"
  echo "+ PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at $LEDGER_TEST_POSTGRES" >&2
}

postgres_stop() {
  [ -n "${POSTGRES_DIR:-}" ] || return 0
  local as=()
  [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
  "${as[@]}" "$POSTGRES_BIN/pg_ctl" -D "$POSTGRES_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$POSTGRES_DIR"
  POSTGRES_DIR=""
}
