# Throwaway PostgreSQL clusters for cedar_cdc's tests, demo and benchmarks.
# Source this file. Clusters live under $CEDAR_RUN (default /tmp/cedar_cdc), run as the
# `postgres` OS user (initdb refuses root), listen on 127.0.0.1 and a socket in $CEDAR_RUN.
#
# CEDAR_PG_MAJOR (default: the host's 15) picks the server major. Another major's server runs
# inside its Debian root (lib/majors.sh), with $CEDAR_RUN bind-mounted at the same path, so
# the host's clients (psql, pg_recvlogical, pg_regress, the Debezium connector) reach it
# through the same socket directory and port.

HOST_PG_MAJOR=15
CEDAR_PG_MAJOR=${CEDAR_PG_MAJOR:-$HOST_PG_MAJOR}
PGBIN=${PGBIN:-/usr/lib/postgresql/$CEDAR_PG_MAJOR/bin}
CEDAR_RUN=${CEDAR_RUN:-/tmp/cedar_cdc}
REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export CEDAR_PG_MAJOR CEDAR_RUN

# Whether server commands run in the major's root (outside it, for a major the host lacks).
in_root() {
  [ "$CEDAR_PG_MAJOR" != "$HOST_PG_MAJOR" ] && [ ! -e /.majors-root ]
}

# server_path PATH: where the host reaches PATH as the server sees it. The root's bind mounts
# are private, so a mount made on the host's $CEDAR_RUN (a tmpfs for a full disk) stays unseen
# inside the root: it must be made on this path.
server_path() {
  if in_root; then
    echo "$(bash "$REPO_ROOT/pgrx-tests/lib/majors.sh" path "$CEDAR_PG_MAJOR")$1"
  else
    echo "$1"
  fi
}

as_postgres() {
  if in_root; then
    MAJORS_BIND_EXTRA="$CEDAR_RUN" bash "$REPO_ROOT/pgrx-tests/lib/majors.sh" run -u postgres "$CEDAR_PG_MAJOR" "$@"
  elif [ "$(id -un)" = postgres ]; then "$@"; else sudo -u postgres -- "$@"; fi
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
# 2026 security releases only listed output plugins may be loaded). A server without the
# setting (13, or a release before them) loads any plugin: nothing to do.
allow_plugins() {
  has_plugin_allowlist "$1" || return 0
  psql_at "$1" -d postgres -qc "ALTER SYSTEM SET output_plugin_libraries = $2" \
    -c "SELECT pg_reload_conf()" >/dev/null
}

# has_plugin_allowlist PORT: whether the server has output_plugin_libraries.
has_plugin_allowlist() {
  [ "$(psql_at "$1" -d postgres -Atqc "SELECT count(*) FROM pg_settings WHERE name = 'output_plugin_libraries'")" = 1 ]
}

# cluster_standby NAME PORT PRIMARY_PORT SLOT [extra postgresql.conf lines...]: a physical
# standby of the cluster on PRIMARY_PORT, streaming through its physical slot SLOT, with a
# dbname in primary_conninfo (slot synchronization needs one).
cluster_standby() {
  local name=$1 port=$2 pport=$3 slot=$4; shift 4
  local dir="$CEDAR_RUN/$name"
  run_dir_init
  cluster_stop "$name" 2>/dev/null || true
  rm -rf "$dir"
  # Without -R: its primary_conninfo (in postgresql.auto.conf, which wins) has no dbname.
  as_postgres "$PGBIN/pg_basebackup" -h "$CEDAR_RUN" -p "$pport" -U postgres -D "$dir" -X stream -S "$slot"
  as_postgres touch "$dir/standby.signal"
  {
    echo "port = $port"
    echo "primary_conninfo = 'host=$CEDAR_RUN port=$pport user=postgres dbname=postgres'"
    echo "primary_slot_name = '$slot'"
    for line in "$@"; do echo "$line"; done
  } | as_postgres tee -a "$dir/postgresql.conf" >/dev/null
  as_postgres "$PGBIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w start >/dev/null
}

# cluster_crash NAME: an immediate shutdown (crash recovery at the next start).
cluster_crash() {
  local dir="$CEDAR_RUN/$1"
  [ -f "$dir/postmaster.pid" ] && as_postgres "$PGBIN/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null
  return 0
}

# cluster_restart NAME: starts a stopped (or crashed) cluster again, keeping its data; after
# cluster_crash this runs crash recovery.
cluster_restart() {
  local dir="$CEDAR_RUN/$1"
  as_postgres "$PGBIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w start >/dev/null
}

# cluster_promote NAME: promotes a standby.
cluster_promote() {
  as_postgres "$PGBIN/pg_ctl" -D "$CEDAR_RUN/$1" -w promote >/dev/null
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

# Builds the extension in release mode and installs it into the server of CEDAR_PG_MAJOR
# (the host's, or inside the major's root). CEDAR_PG_CONFIG picks another host installation
# (a relocated copy with its own PGBIN, so that parallel work does not share one libdir).
install_extension() {
  if in_root; then
    bash "$REPO_ROOT/pgrx-tests/lib/majors.sh" run -C "$REPO_ROOT" "$CEDAR_PG_MAJOR" \
      cargo pgrx install --release --features "pg$CEDAR_PG_MAJOR" --no-default-features \
      --pg-config "/usr/lib/postgresql/$CEDAR_PG_MAJOR/bin/pg_config" >/dev/null
  else
    (cd "$REPO_ROOT" && cargo pgrx install --release --pg-config "${CEDAR_PG_CONFIG:-/usr/bin/pg_config}" >/dev/null)
  fi
}
