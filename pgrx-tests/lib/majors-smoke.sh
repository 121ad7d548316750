#!/usr/bin/env bash
# Decoding smoke test, run INSIDE a root as postgres by `majors.sh smoke NN [PORT]`:
# a throwaway cluster on 127.0.0.1:PORT, a cedar_cdc slot, INSERT/UPDATE/DELETE, the decoded
# events printed. The cluster is stopped and removed on exit. Exit 0 when the creates came back.
set -euo pipefail
nn=$1 port=$2
sock=/tmp/cedar_majors dir=/tmp/cedar_majors/pg$nn
PSQL=(psql -X -h "$sock" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt)
stop() {
  if [ -f "$dir/postmaster.pid" ]; then pg_ctl -D "$dir" -m fast -w stop >/dev/null || true; fi
  rm -rf "$dir"
}
trap stop EXIT
mkdir -p "$sock"; rm -rf "$dir"
initdb -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
{
  echo "port = $port"
  echo "listen_addresses = '127.0.0.1'"
  echo "unix_socket_directories = '$sock'"
  echo "wal_level = logical"
  echo "max_replication_slots = 4"
  echo "max_wal_senders = 4"
  echo "fsync = off"
  echo "timezone = 'UTC'"
} >> "$dir/postgresql.conf"
pg_ctl -D "$dir" -l "$dir/server.log" -w start >/dev/null
echo "server: $("${PSQL[@]}" -c 'SELECT version()')"
if [ "$("${PSQL[@]}" -c "SELECT count(*) FROM pg_settings WHERE name = 'output_plugin_libraries'")" = 1 ]; then
  "${PSQL[@]}" -c "ALTER SYSTEM SET output_plugin_libraries = pgoutput, test_decoding, cedar_cdc" \
    -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
  echo "output_plugin_libraries = $("${PSQL[@]}" -c 'SHOW output_plugin_libraries')"
else
  echo "output_plugin_libraries: no such setting in this release"
fi
"${PSQL[@]}" <<'SQL'
CREATE TABLE smoke (id int PRIMARY KEY, note text, amount numeric(10,2));
SELECT 'slot ' || slot_name FROM pg_create_logical_replication_slot('cedar_smoke', 'cedar_cdc');
INSERT INTO smoke VALUES (1, 'first', 12.50), (2, NULL, 0.01);
UPDATE smoke SET note = 'changed' WHERE id = 2;
DELETE FROM smoke WHERE id = 1;
SQL
out=$("${PSQL[@]}" -c "SELECT data FROM pg_logical_slot_get_changes('cedar_smoke', NULL, NULL,
  'topic.prefix', 'smoke', 'schemas.enable', 'false')")
printf '%s\n' "$out"
creates=$(printf '%s\n' "$out" | grep -c '"op":"c"' || true)
echo "events: $(printf '%s\n' "$out" | grep -c . || true) messages, $creates creates"
"${PSQL[@]}" -c "SELECT pg_drop_replication_slot('cedar_smoke')" >/dev/null
[ "$creates" -ge 2 ]
