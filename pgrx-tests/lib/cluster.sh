# Throwaway PostgreSQL clusters for cedar_cdc's tests, demo and benchmarks.
# Source this file. Clusters live under $CEDAR_RUN (default /tmp/cedar_cdc), run as the
# `postgres` OS user (initdb refuses root), listen on 127.0.0.1 and a socket in $CEDAR_RUN.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
CEDAR_RUN=${CEDAR_RUN:-/tmp/cedar_cdc}
REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else sudo -u postgres -- "$@"; fi
}

# run_dir_init: $CEDAR_RUN exists, belongs to postgres and is readable by everyone.
run_dir_init() {
  mkdir -p "$CEDAR_RUN"
  chmod 755 "$CEDAR_RUN"
  chown postgres "$CEDAR_RUN" 2>/dev/null || true
}

# cluster_start NAME PORT [extra postgresql.conf lines...]
cluster_start() {
  local name=$1 port=$2; shift 2
  local dir="$CEDAR_RUN/$name"
  run_dir_init
  cluster_stop "$name" 2>/dev/null || true
  rm -rf "$dir"
  as_postgres "$PGBIN/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  {
    echo "port = $port"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$CEDAR_RUN'"
    echo "wal_level = logical"
    echo "max_replication_slots = 20"
    echo "max_wal_senders = 20"
    echo "track_commit_timestamp = on"
    echo "fsync = off"
    echo "full_page_writes = off"
    echo "timezone = 'UTC'"
    echo "log_min_messages = warning"
    for line in "$@"; do echo "$line"; done
  } | as_postgres tee -a "$dir/postgresql.conf" >/dev/null
  as_postgres "$PGBIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w start >/dev/null
  allow_plugins "$port" "pgoutput, test_decoding, cedar_cdc"
}

# allow_plugins PORT "plugin, plugin, ...": the output plugins the cluster may load (since the
# 2026 security releases only listed output plugins may be loaded).
allow_plugins() {
  psql_at "$1" -d postgres -qc "ALTER SYSTEM SET output_plugin_libraries = $2" \
    -c "SELECT pg_reload_conf()" >/dev/null
}

cluster_stop() {
  local dir="$CEDAR_RUN/$1"
  [ -f "$dir/postmaster.pid" ] && as_postgres "$PGBIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
  return 0
}

# psql_at PORT [psql args...]
psql_at() {
  local port=$1; shift
  psql -X -h "$CEDAR_RUN" -p "$port" -U postgres -v ON_ERROR_STOP=1 "$@"
}

# recvlogical_at PORT [pg_recvlogical args...]: pg_recvlogical on database postgres.
recvlogical_at() {
  local port=$1; shift
  pg_recvlogical -h "$CEDAR_RUN" -p "$port" -U postgres -d postgres "$@"
}

# recvlogical_bg PORT [pg_recvlogical args...]: the same in the background, with the pid of
# pg_recvlogical itself (not of a subshell) in $recv_pid, for kill.
recvlogical_bg() {
  local port=$1; shift
  pg_recvlogical -h "$CEDAR_RUN" -p "$port" -U postgres -d postgres "$@" &
  recv_pid=$!
}

# Builds the extension in release mode and installs it into the system PostgreSQL 15.
install_extension() {
  (cd "$REPO_ROOT" && cargo pgrx install --release --pg-config /usr/bin/pg_config >/dev/null)
}
